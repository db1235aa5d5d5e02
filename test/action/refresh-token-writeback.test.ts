/**
 * The refresh token's lifecycle, with the built Action run as the runner runs it: the token Entra
 * ID (the emulator) rotates in is sealed with the secret store's public key and written back to a
 * loopback stand-in for GitHub's secrets API, which opens the box; the next run signs in with it;
 * and neither it nor the GitHub token shows anywhere a person can read.
 */
import { DEMO, DEMO_CREDENTIALS, demoWorld, startEmulator, type RunningEmulator } from "../../src/emulator";
import { startSecretsStandIn, type SecretsStandIn } from "./github-secrets-standin";
import { JWT_PATTERN, NODE_LABEL, runAction, type ActionRun } from "./runner";

const REPOSITORY = "contoso-msp/cipp-permissions";
const SECRET = "CIPP_REFRESH_TOKEN";
const GITHUB_TOKEN = "github_pat_11ABCDEFG0secrets0writer0token";
const REPO_SECRET_PATH = `repos/${REPOSITORY}/actions/secrets/${SECRET}`;

let emulator: RunningEmulator;
let github: SecretsStandIn;

beforeAll(async () => {
  emulator = await startEmulator();
  github = await startSecretsStandIn();
});
afterAll(async () => {
  await github.stop();
  await emulator.stop();
});
beforeEach(() => {
  emulator.loadWorld(demoWorld());
  github.secrets.clear();
  github.requests.length = 0;
  github.refuseWith = null;
});

const RUNNER_ENV = (): Record<string, string> => ({ GITHUB_API_URL: github.apiUrl, GITHUB_REPOSITORY: REPOSITORY });

function inputs(extra: Record<string, string> = {}): Record<string, string> {
  return {
    tenant: DEMO.healthy.defaultDomain,
    "client-secret": DEMO_CREDENTIALS.clientSecret,
    "refresh-token": DEMO_CREDENTIALS.refreshToken,
    "ca-certificates": emulator.caCertificatePem,
    "sandbox-url": emulator.baseUrl,
    "refresh-token-secret": SECRET,
    "secrets-token": GITHUB_TOKEN,
    ...extra,
  };
}

/** Refresh tokens the emulator issued, newest last, the one the demo started with excluded. */
function rotatedTokens(): string[] {
  return [...emulator.world().refreshTokens.keys()].filter((token) => token !== DEMO_CREDENTIALS.refreshToken);
}

function expectNothingSecretVisible(run: ActionRun): void {
  for (const secret of [GITHUB_TOKEN, DEMO_CREDENTIALS.clientSecret, ...emulator.world().refreshTokens.keys()]) {
    expect(run.everythingVisible).not.toContain(secret);
  }
  expect(run.everythingVisible).not.toMatch(JWT_PATTERN);
}

function annotations(run: ActionRun, command: string): string[] {
  return run.commands.filter((c) => c.command === command).map((c) => c.message);
}

describe(`refresh token write-back, the bundled Action on ${NODE_LABEL}`, () => {
  test("the rotated token is written back sealed to the repository secret, and the next run signs in with it", async () => {
    const first = await runAction(inputs(), RUNNER_ENV());
    expect(annotations(first, "error")).toEqual([]);
    expect(first.exitCode).toBe(0);
    const stored = github.secrets.get(REPO_SECRET_PATH);
    expect(stored).toBeDefined();
    // The stand-in opened the sealed box: it holds a token the emulator issued in this run.
    expect(rotatedTokens()).toContain(stored?.value);
    expect(stored?.value).not.toBe(DEMO_CREDENTIALS.refreshToken);
    expect(github.requests.every((r) => r.token === GITHUB_TOKEN)).toBe(true);
    expect(github.requests.map((r) => `${r.method} ${r.path}`)).toEqual([
      `GET ${REPO_SECRET_PATH}`,
      `GET repos/${REPOSITORY}/actions/secrets/public-key`,
      `PUT ${REPO_SECRET_PATH}`,
    ]);
    expect(first.stdout).toContain(`::add-mask::${GITHUB_TOKEN}`);
    expect(first.visibleStdout).toMatch(/Wrote the rotated refresh token to the repository secret CIPP_REFRESH_TOKEN/);
    expect(annotations(first, "notice").join("\n")).not.toMatch(/discarded/);
    expectNothingSecretVisible(first);

    // The next run reads the stored token, as the workflow's secrets context would give it.
    const written = stored?.value ?? "";
    const issuedBefore = rotatedTokens().length;
    // Every other token revoked: the next run can only sign in with the one written back.
    for (const state of emulator.world().refreshTokens.values()) if (state.token !== written) state.status = "revoked";
    const second = await runAction(inputs({ "refresh-token": written }), RUNNER_ENV());
    expect(annotations(second, "error")).toEqual([]);
    expect(second.exitCode).toBe(0);
    expect(emulator.world().refreshTokens.get(written)?.status).toBe("valid");
    expect(rotatedTokens().length).toBeGreaterThan(issuedBefore);
    const renewed = github.secrets.get(REPO_SECRET_PATH)?.value;
    expect(renewed).not.toBe(written);
    expect(rotatedTokens()).toContain(renewed);
    // A secret renewed moments ago raises no age warning.
    expect(annotations(second, "warning")).toEqual([]);
    expectNothingSecretVisible(second);
  });

  test("an environment secret is written through the environment's endpoints", async () => {
    const run = await runAction(inputs({ "refresh-token-secret-environment": "cipp-cpv" }), RUNNER_ENV());
    expect(run.exitCode).toBe(0);
    const path = `repos/${REPOSITORY}/environments/cipp-cpv/secrets/${SECRET}`;
    expect(rotatedTokens()).toContain(github.secrets.get(path)?.value);
    expect(github.secrets.has(REPO_SECRET_PATH)).toBe(false);
    expect(github.requests.map((r) => `${r.method} ${r.path}`)).toContain(
      `GET repos/${REPOSITORY}/environments/cipp-cpv/secrets/public-key`,
    );
    expectNothingSecretVisible(run);
  });

  test("a stored token not renewed for 75 days raises a warning before it expires", async () => {
    github.secrets.set(REPO_SECRET_PATH, {
      value: DEMO_CREDENTIALS.refreshToken,
      updatedAt: new Date(Date.now() - 75 * 86_400_000).toISOString(),
    });
    const run = await runAction(inputs(), RUNNER_ENV());
    expect(run.exitCode).toBe(0);
    expect(annotations(run, "warning")).toEqual([expect.stringMatching(/last renewed 75 days ago .*90 days/)]);
    expectNothingSecretVisible(run);
  });

  test("a token that may not write the secret fails the step, naming the permission, and prints no token", async () => {
    github.refuseWith = 403;
    const run = await runAction(inputs(), RUNNER_ENV());
    expect(run.exitCode).toBe(1);
    // The tenants are fine: the exit-code output describes them; the step fails for the write-back.
    expect(run.outputs["exit-code"]).toBe("0");
    const errors = annotations(run, "error");
    expect(errors).toEqual([expect.stringMatching(/HTTP 403.*"Secrets: Read and write".*GITHUB_TOKEN cannot write secrets/)]);
    expect(annotations(run, "warning")).toEqual([expect.stringMatching(/HTTP 403/)]);
    expectNothingSecretVisible(run);
  });

  test("without refresh-token-secret, the run says once that the token is not renewed", async () => {
    const run = await runAction(inputs({ "refresh-token-secret": "", "secrets-token": "" }), RUNNER_ENV());
    expect(run.exitCode).toBe(0);
    expect(github.requests).toEqual([]);
    expect(annotations(run, "notice")).toEqual([expect.stringMatching(/discarded, because refresh-token-secret is not set/)]);
    expectNothingSecretVisible(run);
  });

  test("a revoked refresh token: one error that says how to get a new one, and nothing written back", async () => {
    for (const state of emulator.world().refreshTokens.values()) state.status = "revoked";
    const run = await runAction(inputs({ tenant: "" }), RUNNER_ENV());
    expect(run.exitCode).toBe(1);
    const errors = annotations(run, "error");
    expect(errors).toHaveLength(1);
    expect(errors[0]).toMatch(/AADSTS50173/);
    expect(errors[0]).toMatch(/not attempted/);
    expect(errors[0]).toMatch(
      /Sign the CIPP service account in again with MFA to get a new one \(README, "Getting and renewing the refresh token"\)/,
    );
    expect(github.requests.filter((r) => r.method === "PUT")).toEqual([]);
    expectNothingSecretVisible(run);
  });
});
