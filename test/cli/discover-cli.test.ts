/**
 * `cipp-cpv discover` and `refresh --gdap-changed` as a user runs them: `main()` over real HTTPS
 * to the emulator, with credentials from the environment only.
 */
import { cpSync, existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import Ajv from "ajv";
import { main } from "../../src/cli/program";
import { ENV, secretsFromEnvironment } from "../../src/cli/environment";
import { createOutput, type Output } from "../../src/cli/output";
import { DEMO, DEMO_CREDENTIALS, startEmulator, type RunningEmulator } from "../../src/emulator";

jest.setTimeout(60_000);

const STACKS = path.resolve(__dirname, "../../stacks");

function capture(): { output: Output; stdout(): string; stderr(): string } {
  let out = "";
  let err = "";
  const output = createOutput({ stdout: { write: (s: string) => (out += s) }, stderr: { write: (s: string) => (err += s) } });
  return { output, stdout: () => out, stderr: () => err };
}

let emulator: RunningEmulator;
let work: string;
let caFile: string;

beforeAll(async () => {
  emulator = await startEmulator();
  work = mkdtempSync(path.join(tmpdir(), "cipp-cpv-discover-cli-"));
  caFile = path.join(work, "ca.pem");
  writeFileSync(caFile, emulator.caCertificatePem);
});
afterAll(async () => {
  await emulator.stop();
  rmSync(work, { recursive: true, force: true });
});

function env(): NodeJS.ProcessEnv {
  return {
    CIPP_CPV_CLIENT_SECRET: DEMO_CREDENTIALS.clientSecret,
    CIPP_CPV_REFRESH_TOKEN: DEMO_CREDENTIALS.refreshToken,
    CIPP_CPV_SANDBOX_URL: emulator.baseUrl,
    CIPP_CPV_CA_FILE: caFile,
  };
}

function expectNoSecrets(text: string): void {
  expect(text).not.toContain(DEMO_CREDENTIALS.clientSecret);
  expect(text).not.toContain(DEMO_CREDENTIALS.refreshToken);
  expect(text).not.toMatch(/eyJ[A-Za-z0-9_-]{4,}\.eyJ/);
}

it("discover exits 2 with a proposal, writes the Markdown and JSON reports, and with --write the file; then exits 0", async () => {
  const stacks = path.join(work, "stacks");
  cpSync(STACKS, stacks, { recursive: true, filter: (src) => !src.endsWith(".ts") });
  const md = path.join(work, "out", "discovery.md");
  const json = path.join(work, "out", "discovery.json");
  const io = capture();
  expect(await main(["discover", "--stacks", stacks, "--markdown", md, "--json", json], env(), io.output)).toBe(2);
  expect(io.stdout()).toContain("tenants/litware.yaml");
  expect(existsSync(path.join(stacks, "tenants", "litware.yaml"))).toBe(false);
  expect(readFileSync(md, "utf8")).toContain("## GDAP discovery");
  const report = JSON.parse(readFileSync(json, "utf8")) as { kind: string; proposed: { tenantId: string }[] };
  expect(report.kind).toBe("discovery");
  const checkSchema = new Ajv({ allErrors: true, strict: true }).compile(
    JSON.parse(readFileSync(path.resolve(__dirname, "../../schema/discovery.schema.json"), "utf8")) as object,
  );
  const valid = checkSchema(report);
  expect(checkSchema.errors ?? []).toEqual([]);
  expect(valid).toBe(true);
  expect(report.proposed.map((p) => p.tenantId)).toEqual([DEMO.newCustomer.tenantId]);
  for (const text of [io.stdout(), io.stderr(), readFileSync(md, "utf8"), readFileSync(json, "utf8")]) expectNoSecrets(text);

  const write = capture();
  expect(await main(["discover", "--stacks", stacks, "--write"], env(), write.output)).toBe(2);
  expect(existsSync(path.join(stacks, "tenants", "litware.yaml"))).toBe(true);
  const validate = capture();
  expect(await main(["validate", "--stacks", stacks], {}, validate.output)).toBe(0);
  expect(validate.stdout()).toContain("7 tenants declared");

  const again = capture();
  expect(await main(["discover", "--stacks", stacks, "--write"], env(), again.output)).toBe(0);
  expect(again.stdout()).not.toContain("New tenant files");
});

it("discover refuses a profile that does not exist, before any request", async () => {
  const io = capture();
  const before = emulator.requests().total;
  expect(await main(["discover", "--stacks", STACKS, "--profile", "nope"], env(), io.output)).toBe(1);
  expect(io.stderr()).toContain("nope.yaml does not exist");
  expect(emulator.requests().total).toBe(before);
});

it("refresh --gdap-changed records on its first run and refreshes nothing", async () => {
  const state = path.join(work, "gdap", "roles.json");
  const io = capture();
  expect(await main(["refresh", "--stacks", STACKS, "--gdap-changed", "--gdap-state", state, "--quiet"], env(), io.output)).toBe(0);
  expect(io.stderr()).toContain("No GDAP role record");
  expect(Object.keys((JSON.parse(readFileSync(state, "utf8")) as { tenants: object }).tenants)).toContain(DEMO.drifted.tenantId);
  const next = capture();
  expect(await main(["refresh", "--stacks", STACKS, "--gdap-changed", "--gdap-state", state, "--quiet"], env(), next.output)).toBe(0);
  expect(next.stderr()).toContain("nothing to refresh");
});

it("refresh --gdap-changed refuses a state file that is not a record, before any request", async () => {
  const state = path.join(work, "bad-state.json");
  writeFileSync(state, '{"tenants": 3}');
  const io = capture();
  const before = emulator.requests().total;
  expect(await main(["refresh", "--stacks", STACKS, "--gdap-changed", "--gdap-state", state], env(), io.output)).toBe(1);
  expect(io.stderr()).toContain("is not a GDAP role record");
  expect(emulator.requests().total).toBe(before);
});

it("refresh --gdap-changed-since says which tenants get a consent for changed GDAP access", async () => {
  const io = capture();
  await main(["refresh", "--stacks", STACKS, "--gdap-changed-since", "2999-01-01T00:00:00+00:00", "--quiet"], env(), io.output);
  expect(io.stderr()).toContain("No declared tenant's GDAP access changed since 2999-01-01T00:00:00.000Z: no consent forced.");
});

it("refresh --gdap-changed-since refuses a time that is not ISO 8601 with its zone, before any request", async () => {
  const io = capture();
  const before = emulator.requests().total;
  expect(await main(["refresh", "--stacks", STACKS, "--gdap-changed-since", "2026-12-01"], env(), io.output)).toBe(1);
  expect(io.stderr()).toMatch(/--gdap-changed-since.*ISO 8601/);
  expect(emulator.requests().total).toBe(before);
});

describe("a federated assertion file as CIPP-SAM's credential", () => {
  it("is read for each token request", async () => {
    const file = path.join(work, "oidc-token");
    writeFileSync(file, "first-assertion\n");
    const secrets = secretsFromEnvironment({ [ENV.federatedTokenFile]: file, [ENV.refreshToken]: "rt" });
    if (secrets.credential.kind !== "assertion") throw new Error(`expected an assertion credential, got ${secrets.credential.kind}`);
    expect(await secrets.credential.getAssertion()).toBe("first-assertion");
    writeFileSync(file, "second-assertion");
    expect(await secrets.credential.getAssertion()).toBe("second-assertion");
  });

  it("is refused together with a client secret", () => {
    expect(() => secretsFromEnvironment({ [ENV.federatedTokenFile]: "/x", [ENV.clientSecret]: "s", [ENV.refreshToken]: "rt" })).toThrow(
      /set one CIPP-SAM credential/,
    );
  });
});
