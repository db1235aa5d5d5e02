/**
 * The built Action at fleet scale, run as the runner runs it: annotations on each tenant's file and
 * line within GitHub's per-step limits, the plan in a log group, one error for a credential every
 * tenant shares, and an empty tenants folder refused unless allowed.
 */
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import * as path from "node:path";
import { fleetTenants, fleetWorld } from "../../src/bench/fleet-fixture";
import { temporaryStacks, type TemporaryStacks } from "../../src/bench/sandbox-run";
import { DEMO, DEMO_CREDENTIALS, demoWorld, startEmulator, type RunningEmulator } from "../../src/emulator";
import { NODE_LABEL, ROOT, runAction, type ActionRun } from "./runner";

let emulator: RunningEmulator;
const TENANTS = fleetTenants(30);
let fleet: TemporaryStacks;

beforeAll(async () => {
  emulator = await startEmulator();
  fleet = temporaryStacks(TENANTS);
});
afterAll(async () => {
  fleet.remove();
  await emulator.stop();
});

function sandboxInputs(extra: Record<string, string> = {}): Record<string, string> {
  return {
    "client-secret": DEMO_CREDENTIALS.clientSecret,
    "refresh-token": DEMO_CREDENTIALS.refreshToken,
    "ca-certificates": emulator.caCertificatePem,
    "sandbox-url": emulator.baseUrl,
    ...extra,
  };
}

function commands(run: ActionRun, command: string): ActionRun["commands"] {
  return run.commands.filter((c) => c.command === command);
}

describe(`the bundled Action over a fleet, on ${NODE_LABEL}`, () => {
  test("each tenant's annotation sits on its declaration's file and line; the plan is in a log group", async () => {
    emulator.loadWorld(demoWorld());
    const run = await runAction(sandboxInputs());
    const wingtip = commands(run, "error").find((c) => c.message.includes("GDAP"));
    const line =
      readFileSync(path.join(ROOT, "stacks", "tenants", "wingtiptoys.yaml"), "utf8")
        .split("\n")
        .findIndex((l) => l.startsWith("defaultDomain:")) + 1;
    expect(wingtip?.properties).toContain("file=stacks/tenants/wingtiptoys.yaml");
    expect(wingtip?.properties).toContain(`line=${line}`);
    const adatum = commands(run, "warning").find((c) => c.message.startsWith(DEMO.unlicensed.defaultDomain));
    expect(adatum?.properties).toContain("file=stacks/tenants/adatum.yaml");
    // The plan's text, folded in the log.
    const group = /::group::Plan\n([\s\S]*?)::endgroup::/.exec(run.stdout);
    expect(group?.[1]).toMatch(/Northwind Traders \(northwind\.onmicrosoft\.com, verified\) .*: 2 to add/);
    expect(group?.[1]).toMatch(/^Plan: /m);
  });

  test("more failures than GitHub keeps: 9 tenant errors and the step's own, the full list in the job summary", async () => {
    const world = fleetWorld("converged", TENANTS);
    emulator.loadWorld({ ...world, gdapRelationships: [] });
    const run = await runAction(sandboxInputs({ stacks: "." }), { GITHUB_WORKSPACE: fleet.dir });
    expect(run.exitCode).toBe(1);
    const errors = commands(run, "error");
    expect(errors).toHaveLength(10);
    expect(errors.slice(0, 9).every((c) => /file=tenants\/bench\d+\.yaml/.test(c.properties) && /line=\d+/.test(c.properties))).toBe(true);
    expect(errors[9]?.message).toMatch(/^30 tenant\(s\) failed: .*21 more error\(s\) not shown as annotations .*job summary/);
    expect(run.summary).toContain("Every error and warning (30)");
    for (const tenant of TENANTS) expect(run.summary).toContain(`tenants/${tenant.defaultDomain.split(".")[0]}.yaml`);
    expect(JSON.parse(run.outputs["failed-tenants"] ?? "[]")).toHaveLength(30);
  });

  test("a bad client secret: one sign-in attempt for 30 tenants, one error", async () => {
    emulator.loadWorld(fleetWorld("converged", TENANTS));
    const before = emulator.requests().byService["login"] ?? 0;
    const run = await runAction(sandboxInputs({ stacks: ".", mode: "refresh", "client-secret": "not-the-secret" }), {
      GITHUB_WORKSPACE: fleet.dir,
    });
    expect((emulator.requests().byService["login"] ?? 0) - before).toBe(1);
    expect(run.exitCode).toBe(1);
    const errors = commands(run, "error").map((c) => c.message);
    expect(errors).toEqual([
      expect.stringMatching(
        /^Stopped after bench\d+\.onmicrosoft\.com: CIPP-SAM's own credential was refused.*AADSTS7000215.*29 other tenants were not attempted\. To fix: /,
      ),
    ]);
    expect(run.everythingVisible).not.toContain("not-the-secret");
  });

  test("reset without confirm is refused before credentials are looked at: none given, still the confirm error", async () => {
    const before = emulator.requests().total;
    const run = await runAction({ mode: "reset", tenant: DEMO.healthy.defaultDomain, "sandbox-url": emulator.baseUrl });
    expect(run.exitCode).toBe(1);
    expect(commands(run, "error").map((c) => c.message)).toEqual([expect.stringMatching(/^Input 'confirm': .*repeat the tenant exactly/)]);
    expect(emulator.requests().total).toBe(before);
  });

  test("an empty tenants folder is refused, naming it, unless allow-empty", async () => {
    const workspace = mkdtempSync(path.join(tmpdir(), "cipp-cpv-empty-"));
    try {
      mkdirSync(path.join(workspace, "stacks", "tenants"), { recursive: true });
      writeFileSync(path.join(workspace, "stacks", "cipp-cpv.yaml"), readFileSync(path.join(ROOT, "stacks", "cipp-cpv.yaml")));
      const before = emulator.requests().total;
      const refused = await runAction(sandboxInputs(), { GITHUB_WORKSPACE: workspace });
      expect(refused.exitCode).toBe(1);
      expect(commands(refused, "error").map((c) => c.message)).toEqual([
        expect.stringMatching(
          new RegExp(
            `${path.join(workspace, "stacks", "tenants").replace(/[.*+?^${}()|[\]\\]/g, "\\$&")} holds no tenant declarations.*allow-empty`,
          ),
        ),
      ]);
      expect(emulator.requests().total).toBe(before);

      const allowed = await runAction(sandboxInputs({ "allow-empty": "true" }), { GITHUB_WORKSPACE: workspace });
      expect(allowed.exitCode).toBe(0);
      expect(allowed.outputs["exit-code"]).toBe("0");
    } finally {
      rmSync(workspace, { recursive: true, force: true });
    }
  });
});
