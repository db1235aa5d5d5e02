/**
 * Property 4: with every debug switch on, no secret, token or assertion appears in any output,
 * report, file or log. The switches: NODE_DEBUG for undici, fetch, http, https, net and tls (Node's
 * own debug logs), DEBUG=* (the `debug` package's convention), AZURE_LOG_LEVEL=verbose (Azure SDKs),
 * the CLI without --quiet (progress on stderr), and for the Action ACTIONS_STEP_DEBUG and
 * RUNNER_DEBUG (what a re-run "with debug logging" sets; @actions/core then prints every
 * core.debug line). msal-node's logger is configured in code only and the product sets none, so
 * msal has no switch to turn on.
 *
 * Every secret is collected where the emulator issues or accepts it: the client secret, the
 * certificate's private key, every refresh token the world knows (rotated ones included), every
 * JWT the emulator signed (access tokens, id tokens, GitHub OIDC tokens) and every JWT it decoded
 * or verified (client assertions, federated assertions, the access tokens presented).
 */
import { mkdirSync, readdirSync, readFileSync, statSync, writeFileSync } from "node:fs";
import path from "node:path";
import jsonwebtoken from "jsonwebtoken";
import { generate } from "selfsigned";
import { DEMO, DEMO_CREDENTIALS, demoWorld, type WorldSpec } from "../../src/emulator";
import { SigningKey } from "../../src/emulator/tokens";
import { runAction } from "../action/runner";
import { secretFindings, type Output } from "./checks";
import { runCli, startCliBench, type CliBench } from "./cli-process";
import { STACKS } from "./fleet";

const DEBUG_ENV = {
  NODE_DEBUG: "undici,fetch,http,https,net,tls",
  DEBUG: "*",
  AZURE_LOG_LEVEL: "verbose",
  ACTIONS_STEP_DEBUG: "true",
  RUNNER_DEBUG: "1",
} as const;

/** Every JWT the emulator signed, and every string it decoded or verified as one. */
const jwts = new Set<string>();
/** Every refresh token the emulator's world held, gathered before each reload of the world. */
const refreshTokens = new Set<string>();
const harvest = (): void => {
  for (const token of bench.emulator.world().refreshTokens.keys()) refreshTokens.add(token);
};
const signed = jest.spyOn(SigningKey.prototype, "sign");
const decoded = jest.spyOn(jsonwebtoken, "decode");
const verified = jest.spyOn(jsonwebtoken, "verify");

let bench: CliBench;
let certificate: { cert: string; private: string };
let world: WorldSpec;
/** Secret inputs live here, apart from the folder whose every file is scanned. */
let inputs: string;
/** The CLI's working folder: reports, reset records and anything else it writes land here. */
let cwd: string;
const outputs: Output[] = [];
let tokenOut: string;

function collectJwts(): void {
  for (const result of signed.mock.results) if (result.type === "return" && typeof result.value === "string") jwts.add(result.value);
  for (const call of [...decoded.mock.calls, ...verified.mock.calls]) if (typeof call[0] === "string") jwts.add(call[0]);
}

function secrets(): string[] {
  collectJwts();
  harvest();
  const keyLines = certificate.private.split("\n").filter((l) => l !== "" && !l.startsWith("-----"));
  return [DEMO_CREDENTIALS.clientSecret, ...refreshTokens, ...keyLines, ...jwts];
}

/** Every file under `dir`, as outputs to scan. */
function filesUnder(dir: string, except: ReadonlySet<string>): Output[] {
  return readdirSync(dir, { recursive: true, encoding: "utf8" })
    .map((name) => path.join(dir, name))
    .filter((file) => statSync(file).isFile() && !except.has(file))
    .map((file) => ({ where: file, text: readFileSync(file, "latin1") }));
}

beforeAll(async () => {
  certificate = await generate([{ name: "commonName", value: "CIPP-SAM" }], { keySize: 2048 });
  const demo = demoWorld();
  world = {
    ...demo,
    applications: demo.applications.map((app) =>
      app.appId === DEMO.applicationId ? { ...app, certificates: [{ certificatePem: certificate.cert }] } : app,
    ),
  };
  bench = await startCliBench({ world, clockSpeed: 10, faults: { replicationLagMs: 3_000, latencyMs: 40 } });
  inputs = path.join(bench.work, "inputs");
  cwd = path.join(bench.work, "cli");
  mkdirSync(inputs);
  mkdirSync(cwd);
  tokenOut = path.join(cwd, "rotated-refresh-token");
  writeFileSync(path.join(inputs, "cert.pem"), certificate.cert);
  writeFileSync(path.join(inputs, "key.pem"), certificate.private);

  const env = (extra: Record<string, string> = {}): NodeJS.ProcessEnv => bench.env({ ...DEBUG_ENV, ...extra });
  const cli = async (name: string, args: string[], extra: Record<string, string> = {}): Promise<number | null> => {
    const run = await runCli(args, { env: env(extra), cwd });
    outputs.push({ where: `${name}: stdout`, text: run.stdout }, { where: `${name}: stderr`, text: run.stderr });
    return run.exitCode;
  };
  const reports = (name: string): string[] => ["--json", path.join(cwd, `${name}.json`), "--markdown", path.join(cwd, `${name}.md`)];

  // A fleet refresh with the client secret: consent, drift repaired, a tenant failing, the rotated token written out.
  expect(
    await cli("refresh (secret)", ["refresh", "--stacks", STACKS, "--no-color", "--refresh-token-out", tokenOut, ...reports("refresh")]),
  ).toBe(1);
  // A reset with the certificate (client assertions), writing its reset record.
  const tenant = DEMO.healthy.defaultDomain;
  const certificateEnv = {
    CIPP_CPV_CLIENT_SECRET: "",
    CIPP_CPV_CERTIFICATE_FILE: path.join(inputs, "cert.pem"),
    CIPP_CPV_CERTIFICATE_KEY_FILE: path.join(inputs, "key.pem"),
  };
  expect(
    await cli(
      "reset (certificate)",
      [
        "reset",
        "--tenant",
        tenant,
        "--confirm",
        tenant,
        "--stacks",
        STACKS,
        "--no-color",
        "--reset-records",
        path.join(cwd, "resets"),
        ...reports("reset"),
      ],
      certificateEnv,
    ),
  ).toBe(0);
  // A plan with a federated assertion (a GitHub OIDC token in a file, as workload identity hands it over).
  const oidc = await bench.agent.request({ origin: bench.emulator.baseUrl, path: "/_emulator/github-oidc/token", method: "GET" });
  const federated = path.join(inputs, "federated-token");
  writeFileSync(federated, ((await oidc.body.json()) as { value: string }).value);
  expect(
    await cli("plan (federated)", ["plan", "--stacks", STACKS, "--no-color", ...reports("plan")], {
      CIPP_CPV_CLIENT_SECRET: "",
      CIPP_CPV_FEDERATED_TOKEN_FILE: federated,
    }),
  ).toBe(1);
  // The Action as the runner runs it, with step debugging on: a refresh of the drifted tenant, drifted again.
  harvest();
  bench.emulator.loadWorld(world);
  const action = await runAction(
    {
      mode: "refresh",
      tenant: DEMO.drifted.defaultDomain,
      "client-secret": DEMO_CREDENTIALS.clientSecret,
      "refresh-token": DEMO_CREDENTIALS.refreshToken,
      "ca-certificates": bench.emulator.caCertificatePem,
      "sandbox-url": bench.emulator.baseUrl,
    },
    DEBUG_ENV,
  );
  expect(action.exitCode).toBe(0);
  // The debug switches did switch something on: Node's own HTTP debug log, in the CLI and in the Action (which
  // prints no core.debug lines of its own, so ACTIONS_STEP_DEBUG and RUNNER_DEBUG add nothing there).
  expect(outputs.find((o) => o.where === "refresh (secret): stderr")?.text).toMatch(/^(UNDICI|FETCH|HTTP|NET|TLS) \d+:/m);
  expect(action.stderr).toMatch(/^(UNDICI|FETCH|HTTP|NET|TLS) \d+:/m);
  // stdout without `::add-mask::` lines (the runner consumes them), stderr, the step summary, outputs and files written.
  outputs.push({ where: "the Action: everything visible", text: action.everythingVisible });
  outputs.push(...filesUnder(cwd, new Set([tokenOut])));
});
afterAll(async () => {
  signed.mockRestore();
  decoded.mockRestore();
  verified.mockRestore();
  await bench.stop();
});

describe("every debug switch on", () => {
  it("no secret, token or assertion in any output, report, file or log", () => {
    const all = secrets();
    // The collection found what the runs used: the rotated token, access tokens and the assertions.
    expect(all.length).toBeGreaterThan(20);
    expect(refreshTokens.size).toBeGreaterThan(2);
    expect(outputs.length).toBeGreaterThanOrEqual(8);
    expect(outputs.filter((o) => o.where.startsWith(cwd)).map((o) => path.basename(o.where))).toEqual(
      expect.arrayContaining(["refresh.json", "refresh.md", "reset.json", "reset.md", "plan.json", "plan.md"]),
    );
    expect(secretFindings(outputs, all)).toEqual([]);
    const bytes = outputs.reduce((n, o) => n + o.text.length, 0);
    console.log(
      `debug switches on: ${outputs.length} outputs (${bytes} characters) scanned for ${all.length} secrets (${jwts.size} JWTs, ${refreshTokens.size} refresh tokens)`,
    );
  });

  describe("the scanner catches planted secrets", () => {
    it("the rotated refresh token in the file meant for it is found", () => {
      expect(secretFindings(filesUnder(cwd, new Set()), secrets())).toEqual([expect.stringContaining(`${tokenOut}: `)]);
    });

    it("a slice of an access token without its JWT header, a client secret's tail and a key line are found", () => {
      const accessToken = [...jwts].find((t) => t.split(".").length === 3) ?? "";
      const middle = accessToken.split(".")[2]?.slice(10, 40) ?? "";
      const keyLine = certificate.private.split("\n")[3] ?? "";
      const planted: Output[] = [
        { where: "planted stdout", text: `debug: signature ${middle}` },
        { where: "planted file", text: `secret=…${DEMO_CREDENTIALS.clientSecret.slice(-20)}` },
        { where: "planted log", text: keyLine },
        { where: "planted header", text: `Authorization: Bearer ${accessToken.slice(0, 30)}` },
      ];
      expect(secretFindings(planted, secrets())).toEqual([
        expect.stringMatching(/^planted stdout: 16 characters of secret #\d+/),
        expect.stringMatching(/^planted file: 16 characters of secret #0 /),
        expect.stringMatching(/^planted log: 16 characters of secret #\d+/),
        expect.stringMatching(/^planted header: a JWT segment/),
        expect.stringMatching(/^planted header: 16 characters of secret #\d+/),
      ]);
    });
  });
});
