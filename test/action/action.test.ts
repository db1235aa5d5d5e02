/**
 * The built Action (dist/index.js) run as the runner runs it, against the emulator's demo world
 * and the repository's own stacks/ (cloud: sandbox).
 */
import { cp, mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import * as path from "node:path";
import { generate } from "selfsigned";
import { DEMO, DEMO_CREDENTIALS, DEMO_FEDERATION, demoWorld, startEmulator, type RunningEmulator } from "../../src/emulator";
import { JWT_PATTERN, NODE_LABEL, ROOT, runAction, type ActionRun } from "./runner";

let emulator: RunningEmulator;
let caFile: string;
let caDir: string;

beforeAll(async () => {
  emulator = await startEmulator();
  caDir = await mkdtemp(path.join(tmpdir(), "cipp-cpv-ca-"));
  caFile = path.join(caDir, "emulator-ca.pem");
  await writeFile(caFile, emulator.caCertificatePem);
});
afterAll(async () => {
  await emulator.stop();
  await rm(caDir, { recursive: true, force: true });
});
beforeEach(() => {
  emulator.loadWorld(demoWorld());
});

/** Inputs for a run with the demo's client secret against the emulator. */
function sandboxInputs(extra: Record<string, string> = {}): Record<string, string> {
  return {
    "client-secret": DEMO_CREDENTIALS.clientSecret,
    "refresh-token": DEMO_CREDENTIALS.refreshToken,
    "ca-certificates": emulator.caCertificatePem,
    "sandbox-url": emulator.baseUrl,
    ...extra,
  };
}

/** Every refresh token the emulator's world knows, rotated ones included. */
function knownRefreshTokens(): string[] {
  return [...emulator.world().refreshTokens.keys()];
}

function expectNoSecrets(run: ActionRun): void {
  for (const secret of [DEMO_CREDENTIALS.clientSecret, DEMO_CREDENTIALS.refreshToken, ...knownRefreshTokens()]) {
    expect(run.everythingVisible).not.toContain(secret);
  }
  expect(run.everythingVisible).not.toMatch(JWT_PATTERN);
}

function annotations(run: ActionRun, command: "error" | "warning" | "notice"): string[] {
  return run.commands.filter((c) => c.command === command).map((c) => c.message);
}

describe(`the bundled Action on ${NODE_LABEL}`, () => {
  test("secrets are masked before anything else is printed", async () => {
    const run = await runAction(sandboxInputs({ tenant: DEMO.healthy.defaultDomain }));
    const lines = run.stdout.split("\n").filter((line) => line !== "");
    const masks = lines.filter((line) => line.startsWith("::add-mask::"));
    expect(masks).toEqual(
      expect.arrayContaining([`::add-mask::${DEMO_CREDENTIALS.clientSecret}`, `::add-mask::${DEMO_CREDENTIALS.refreshToken}`]),
    );
    expect(lines.slice(0, 2)).toEqual([`::add-mask::${DEMO_CREDENTIALS.clientSecret}`, `::add-mask::${DEMO_CREDENTIALS.refreshToken}`]);
    expect(run.exitCode).toBe(0);
    expectNoSecrets(run);
  });

  test("plan of a drifted tenant: the step succeeds, outputs say changes, the summary shows the plan", async () => {
    const run = await runAction(sandboxInputs({ tenant: DEMO.drifted.defaultDomain }));
    expect(run.exitCode).toBe(0);
    expect(run.outputs["exit-code"]).toBe("2");
    expect(run.outputs["changes"]).toBe("true");
    expect(run.outputs["failed-tenants"]).toBe("[]");
    expect(run.outputs["result-json"]).toBe("");
    expect(run.outputs["plan-json"]).toMatch(/plan\.json$/);
    expect(run.summary).toContain("AuditLog.Read.All");
    expect(run.summary).toContain("Policy.Read.All");
    expect(run.summary).toContain(DEMO.drifted.displayName);
    expect(annotations(run, "error")).toEqual([]);
    expectNoSecrets(run);
  });

  test("plan of the whole fleet: an unreachable tenant fails the step with an error annotation; an unlicensed workload warns", async () => {
    const run = await runAction(sandboxInputs());
    expect(run.exitCode).toBe(1);
    expect(run.outputs["exit-code"]).toBe("1");
    expect(run.outputs["changes"]).toBe("true");
    expect(JSON.parse(run.outputs["failed-tenants"] ?? "null")).toEqual([DEMO.noGdap.defaultDomain]);
    const errors = annotations(run, "error");
    expect(errors.some((message) => message.includes(DEMO.noGdap.defaultDomain) || /GDAP/i.test(message))).toBe(true);
    expect(errors.at(-1)).toMatch(/1 tenant\(s\) failed: wingtiptoys\.onmicrosoft\.com/);
    const warnings = run.commands.filter((c) => c.command === "warning");
    expect(warnings.some((w) => w.message.startsWith(`${DEMO.unlicensed.defaultDomain}: WindowsDefenderATP`))).toBe(true);
    expect(run.summary).toContain(DEMO.fresh.displayName);
    expectNoSecrets(run);
  });

  test("refresh converges a drifted tenant; the next plan has no changes", async () => {
    const refresh = await runAction(sandboxInputs({ mode: "refresh", tenant: DEMO.drifted.defaultDomain }));
    expect(refresh.exitCode).toBe(0);
    expect(refresh.outputs["exit-code"]).toBe("0");
    expect(refresh.outputs["changes"]).toBe("true");
    expect(refresh.outputs["result-json"]).toMatch(/result\.json$/);
    expect(refresh.summary).toContain("AuditLog.Read.All");
    expectNoSecrets(refresh);

    const plan = await runAction(sandboxInputs({ tenant: DEMO.drifted.defaultDomain }));
    expect(plan.exitCode).toBe(0);
    expect(plan.outputs["exit-code"]).toBe("0");
    expect(plan.outputs["changes"]).toBe("false");
    expectNoSecrets(plan);
  });

  test("summary: false leaves the job summary empty but still sets every output", async () => {
    const run = await runAction(sandboxInputs({ tenant: DEMO.drifted.defaultDomain, summary: "false" }));
    expect(run.exitCode).toBe(0);
    expect(run.summary).toBe("");
    expect(Object.keys(run.outputs).sort()).toEqual([
      "changes",
      "exit-code",
      "failed-tenants",
      "plan-json",
      "plan-markdown",
      "result-json",
    ]);
  });

  test("a refresh token Entra ID rotates in is masked, never output, and reported as a notice", async () => {
    const run = await runAction(sandboxInputs({ tenant: DEMO.healthy.defaultDomain }));
    const rotated = knownRefreshTokens().filter((token) => token !== DEMO_CREDENTIALS.refreshToken);
    expect(rotated.length).toBeGreaterThan(0);
    for (const token of rotated) expect(run.stdout).toContain(`::add-mask::${token}`);
    expect(annotations(run, "notice")).toEqual([expect.stringMatching(/new refresh token .* discarded/)]);
    expect(annotations(run, "warning")).toEqual([]);
    expectNoSecrets(run);
  });

  test("a bad input fails the step naming the input, and nothing is sent", async () => {
    const before = emulator.requests().total;
    const run = await runAction(sandboxInputs({ mode: "reset", tenant: DEMO.drifted.defaultDomain, confirm: "northwind" }));
    expect(run.exitCode).toBe(1);
    expect(annotations(run, "error")).toEqual([expect.stringMatching(/^Input 'confirm': .*repeat the tenant exactly/)]);
    expect(run.outputs["exit-code"]).toBe("1");
    expect(emulator.requests().total).toBe(before);
    expectNoSecrets(run);
  });

  test("a wrong declaration is annotated at its file and line, and nothing is sent", async () => {
    const workspace = await mkdtemp(path.join(tmpdir(), "cipp-cpv-workspace-"));
    try {
      await cp(path.join(ROOT, "stacks"), path.join(workspace, "stacks"), { recursive: true });
      const tenantFile = path.join(workspace, "stacks", "tenants", "adatum.yaml");
      const text = await readFile(tenantFile, "utf8");
      await writeFile(tenantFile, `${text}add:\n  - resource: Microsoft Graph\n    appRoles: [Mail.Sendd]\n`);
      const line = text.split("\n").length + 2;
      const before = emulator.requests().total;
      const run = await runAction(sandboxInputs(), { GITHUB_WORKSPACE: workspace });
      expect(run.exitCode).toBe(1);
      const annotation = run.commands.find((c) => c.command === "error" && c.properties.includes("file=stacks/tenants/adatum.yaml"));
      expect(annotation?.properties).toContain(`line=${line}`);
      expect(annotation?.message).toMatch(/Mail\.Sendd/);
      expect(emulator.requests().total).toBe(before);
    } finally {
      await rm(workspace, { recursive: true, force: true });
    }
  });

  test("sandbox stacks without sandbox-url are refused before any request", async () => {
    const before = emulator.requests().total;
    const inputs = sandboxInputs({ tenant: DEMO.drifted.defaultDomain });
    delete inputs["sandbox-url"];
    const run = await runAction(inputs);
    expect(run.exitCode).toBe(1);
    expect(annotations(run, "error")).toEqual([expect.stringMatching(/^cipp-cpv could not run: .*sandbox/i)]);
    expect(emulator.requests().total).toBe(before);
  });

  test("without the sandbox's CA certificate the TLS failure is reported, not thrown", async () => {
    const inputs = sandboxInputs({ tenant: DEMO.drifted.defaultDomain });
    delete inputs["ca-certificates"];
    const run = await runAction(inputs);
    expect(run.exitCode).toBe(1);
    expect(run.outputs["exit-code"]).toBe("1");
    expect(annotations(run, "error")[0]).toMatch(/TLS certificate is not trusted/);
    expect(run.stderr).not.toMatch(/at .*dist\/(?:index|run)\.js/);
    expectNoSecrets(run);
  });

  test("reset of one confirmed tenant removes CIPP-SAM, adds it back and reports the reset", async () => {
    const tenant = DEMO.healthy.defaultDomain;
    const before = [...(emulator.world().tenants.get(DEMO.healthy.tenantId)?.servicePrincipals.values() ?? [])].find(
      (sp) => sp.appId === DEMO.applicationId,
    );
    const run = await runAction(sandboxInputs({ mode: "reset", tenant, confirm: tenant }));
    expect(run.exitCode).toBe(0);
    expect(run.outputs["exit-code"]).toBe("0");
    const result = JSON.parse(run.files["result-json"] ?? "null") as {
      mode: string;
      tenants: { tenant: { defaultDomain: string }; status: string; steps: { reset: { removed: boolean } | null } }[];
    };
    expect(result.mode).toBe("reset");
    expect(result.tenants.map((t) => [t.tenant.defaultDomain, t.status, t.steps.reset?.removed])).toEqual([[tenant, "changed", true]]);
    expect(JSON.parse(run.files["plan-json"] ?? "null")).toHaveProperty("tenants");
    expect(run.files["plan-markdown"]).toContain(DEMO.healthy.displayName);
    const after = [...(emulator.world().tenants.get(DEMO.healthy.tenantId)?.servicePrincipals.values() ?? [])].find(
      (sp) => sp.appId === DEMO.applicationId,
    );
    expect(before).toBeDefined();
    expect(after).toBeDefined();
    expect(after?.id).not.toBe(before?.id);
    expectNoSecrets(run);
  });

  test("a certificate credential signs client assertions", async () => {
    const pair = await generate([{ name: "commonName", value: "CIPP-SAM" }], { keySize: 2048 });
    const world = demoWorld();
    emulator.loadWorld({
      ...world,
      applications: world.applications.map((app) =>
        app.appId === DEMO.applicationId ? { ...app, secrets: [], certificates: [{ certificatePem: pair.cert }] } : app,
      ),
    });
    const inputs = sandboxInputs({ tenant: DEMO.drifted.defaultDomain, certificate: pair.cert, "certificate-key": pair.private });
    delete inputs["client-secret"];
    const run = await runAction(inputs);
    expect(annotations(run, "error")).toEqual([]);
    expect(run.exitCode).toBe(0);
    expect(run.outputs["exit-code"]).toBe("2");
    for (const line of pair.private.split("\n").filter((l) => l !== "" && !l.startsWith("-----"))) {
      expect(run.stdout).toContain(`::add-mask::${line}`);
      expect(run.everythingVisible).not.toContain(line);
    }
    expectNoSecrets(run);
  });

  describe("GitHub OIDC instead of a client secret", () => {
    function oidcEnv(subject: string): Record<string, string> {
      return {
        ACTIONS_ID_TOKEN_REQUEST_URL: `${emulator.baseUrl}/_emulator/github-oidc/token?subject=${encodeURIComponent(subject)}`,
        ACTIONS_ID_TOKEN_REQUEST_TOKEN: "runner-request-token",
        // The runner's ID-token service is GitHub's; here it is the emulator, whose CA Node must trust.
        NODE_EXTRA_CA_CERTS: caFile,
      };
    }
    function oidcInputs(): Record<string, string> {
      const inputs = sandboxInputs({ tenant: DEMO.drifted.defaultDomain, "use-oidc": "true" });
      delete inputs["client-secret"];
      return inputs;
    }

    test("a token whose subject matches CIPP-SAM's federated credential signs in", async () => {
      const run = await runAction(oidcInputs(), oidcEnv(DEMO_FEDERATION.subject));
      expect(run.exitCode).toBe(0);
      expect(run.outputs["exit-code"]).toBe("2");
      expect(run.outputs["changes"]).toBe("true");
      // @actions/core masks the ID token it fetched.
      expect(run.stdout).toMatch(/^::add-mask::eyJ/m);
      expectNoSecrets(run);
    });

    test("a token from another repository is refused with Entra ID's reason", async () => {
      const run = await runAction(oidcInputs(), oidcEnv("repo:someone-else/fork:pull_request"));
      expect(run.exitCode).toBe(1);
      expect(run.outputs["failed-tenants"]).toBe(JSON.stringify([DEMO.drifted.defaultDomain]));
      expect(annotations(run, "error").join("\n")).toMatch(/AADSTS70021|AADSTS700213|federated/i);
      expectNoSecrets(run);
    });
  });
});
