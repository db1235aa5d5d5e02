import * as path from "node:path";
import { generate } from "selfsigned";
import { InputError, parseInputs, secretsToMask, type ActionInputs, type Environment } from "../../src/action/inputs";

const ENV: Environment = { GITHUB_WORKSPACE: "/home/runner/work/repo", RUNNER_TEMP: "/home/runner/temp" };
const MINIMAL = { "client-secret": "app-secret-value", "refresh-token": "0.AXk-refresh" };

function parse(inputs: Record<string, string>, env: Environment = ENV): ActionInputs {
  return parseInputs((name) => inputs[name] ?? "", env);
}

/** The InputError thrown for `inputs`, so each test can assert which input it names. */
function refusal(inputs: Record<string, string>, env: Environment = ENV): InputError {
  try {
    parse(inputs, env);
  } catch (error) {
    if (error instanceof InputError) return error;
    throw error;
  }
  throw new Error("the inputs were accepted");
}

let pair: { cert: string; private: string };
let otherPair: { cert: string; private: string };
beforeAll(async () => {
  pair = await generate([{ name: "commonName", value: "CIPP-SAM" }], { keySize: 2048 });
  otherPair = await generate([{ name: "commonName", value: "other" }], { keySize: 2048 });
});

describe("parseInputs: accepted inputs", () => {
  test("defaults: plan mode over the workspace's stacks folder, summary on", () => {
    const inputs = parse(MINIMAL);
    expect(inputs).toEqual({
      mode: "plan",
      stacksDir: path.resolve("/home/runner/work/repo", "stacks"),
      forceConsent: false,
      credential: { kind: "secret", clientSecret: "app-secret-value" },
      refreshToken: "0.AXk-refresh",
      caCertificates: [],
      summary: true,
      outputDir: "/home/runner/temp",
      allowEmpty: false,
    });
  });

  test("every optional input is carried over, trimmed", () => {
    const inputs = parse({
      ...MINIMAL,
      mode: " refresh ",
      tenant: "fabrikam.onmicrosoft.com",
      stacks: "infra/stacks",
      "force-consent": "TRUE",
      concurrency: "25",
      "sandbox-url": "https://127.0.0.1:41234",
      summary: "false",
    });
    expect(inputs.mode).toBe("refresh");
    expect(inputs.tenant).toBe("fabrikam.onmicrosoft.com");
    expect(inputs.stacksDir).toBe(path.resolve("/home/runner/work/repo", "infra/stacks"));
    expect(inputs.forceConsent).toBe(true);
    expect(inputs.concurrency).toBe(25);
    expect(inputs.sandboxUrl).toBe("https://127.0.0.1:41234");
    expect(inputs.summary).toBe(false);
  });

  test("gdap-changed-since: an ISO 8601 time with its zone, in refresh mode; empty is off", () => {
    expect(parse({ ...MINIMAL, mode: "refresh", "gdap-changed-since": " 2026-12-01T00:00:12Z " }).gdapChangedSince).toBe(
      Date.UTC(2026, 11, 1, 0, 0, 12),
    );
    expect(parse({ ...MINIMAL, mode: "refresh", "gdap-changed-since": "2026-12-01T01:00:00.5+01:00" }).gdapChangedSince).toBe(
      Date.UTC(2026, 11, 1, 0, 0, 0, 500),
    );
    expect(parse({ ...MINIMAL, mode: "refresh", "gdap-changed-since": "" })).not.toHaveProperty("gdapChangedSince");
    expect(parse({ ...MINIMAL, mode: "plan" })).not.toHaveProperty("gdapChangedSince");
  });

  test("reset with a matching confirmation", () => {
    const tenant = "1e5b2c7d-8a9f-4b3c-a1d2-3e4f5a6b7c01";
    const inputs = parse({ ...MINIMAL, mode: "reset", tenant, confirm: tenant });
    expect(inputs.mode).toBe("reset");
    expect(inputs.confirm).toBe(tenant);
  });

  test("a certificate with its own key", () => {
    const inputs = parse({ "refresh-token": "rt", certificate: pair.cert, "certificate-key": pair.private });
    expect(inputs.credential).toEqual({ kind: "certificate", certificatePem: pair.cert.trim(), privateKeyPem: pair.private.trim() });
  });

  test("OIDC when the job may request an ID token", () => {
    const env = { ...ENV, ACTIONS_ID_TOKEN_REQUEST_URL: "https://token.example/?x=1", ACTIONS_ID_TOKEN_REQUEST_TOKEN: "t" };
    expect(parse({ "refresh-token": "rt", "use-oidc": "true" }, env).credential).toEqual({ kind: "oidc" });
  });

  test("ca-certificates: every PEM block, in order", () => {
    const inputs = parse({ ...MINIMAL, "ca-certificates": `${pair.cert}\n${otherPair.cert}` });
    expect(inputs.caCertificates).toHaveLength(2);
    expect(inputs.caCertificates[0]?.trim()).toBe(pair.cert.trim());
    expect(inputs.caCertificates[1]?.trim()).toBe(otherPair.cert.trim());
  });
});

describe("parseInputs: each bad input is refused, naming it", () => {
  const cases: [string, Record<string, string>, string, RegExp][] = [
    ["unknown mode", { ...MINIMAL, mode: "apply" }, "mode", /'apply' is not one of plan, refresh, reset/],
    ["mode in capitals", { ...MINIMAL, mode: "Refresh" }, "mode", /not one of/],
    ["tenant that is no id nor domain", { ...MINIMAL, tenant: "fabrikam" }, "tenant", /neither a tenant id/],
    ["reset without tenant", { ...MINIMAL, mode: "reset" }, "tenant", /one tenant/],
    ["reset without confirmation", { ...MINIMAL, mode: "reset", tenant: "fabrikam.onmicrosoft.com" }, "confirm", /repeat the tenant/],
    [
      "reset with a different confirmation",
      { ...MINIMAL, mode: "reset", tenant: "fabrikam.onmicrosoft.com", confirm: "Fabrikam.onmicrosoft.com" },
      "confirm",
      /repeat the tenant exactly/,
    ],
    ["confirmation outside reset", { ...MINIMAL, mode: "refresh", confirm: "x.example.com" }, "confirm", /only mode 'reset'/],
    [
      "gdap-changed-since not a time",
      { ...MINIMAL, mode: "refresh", "gdap-changed-since": "yesterday" },
      "gdap-changed-since",
      /not an ISO 8601 date and time/,
    ],
    [
      "gdap-changed-since without a zone",
      { ...MINIMAL, mode: "refresh", "gdap-changed-since": "2026-12-01T00:00:00" },
      "gdap-changed-since",
      /with its zone/,
    ],
    [
      "gdap-changed-since an impossible date",
      { ...MINIMAL, mode: "refresh", "gdap-changed-since": "2026-13-01T00:00:00Z" },
      "gdap-changed-since",
      /not an ISO 8601/,
    ],
    [
      "gdap-changed-since outside refresh",
      { ...MINIMAL, mode: "plan", "gdap-changed-since": "2026-12-01T00:00:00Z" },
      "gdap-changed-since",
      /only mode 'refresh'/,
    ],
    ["force-consent not boolean", { ...MINIMAL, "force-consent": "yes" }, "force-consent", /not a boolean/],
    ["summary not boolean", { ...MINIMAL, summary: "1" }, "summary", /not a boolean/],
    ["use-oidc not boolean", { ...MINIMAL, "use-oidc": "on" }, "use-oidc", /not a boolean/],
    ["concurrency zero", { ...MINIMAL, concurrency: "0" }, "concurrency", /from 1 to 100/],
    ["concurrency fractional", { ...MINIMAL, concurrency: "2.5" }, "concurrency", /whole number/],
    ["concurrency too high", { ...MINIMAL, concurrency: "101" }, "concurrency", /from 1 to 100/],
    ["sandbox-url not a URL", { ...MINIMAL, "sandbox-url": "127.0.0.1:8443" }, "sandbox-url", /not (a|an http\(s\)) URL/],
    ["sandbox-url not http", { ...MINIMAL, "sandbox-url": "ftp://127.0.0.1/" }, "sandbox-url", /not an http\(s\) URL/],
    ["no credential", { "refresh-token": "rt" }, "client-secret", /needs a credential/],
    ["two credentials", { ...MINIMAL, "use-oidc": "true" }, "use-oidc", /choose one credential/],
    ["no refresh token", { "client-secret": "s" }, "refresh-token", /refresh token is required/],
    ["refresh token in pieces", { "client-secret": "s", "refresh-token": "0.AXk abc" }, "refresh-token", /white space/],
    ["ca-certificates without PEM", { ...MINIMAL, "ca-certificates": "/etc/ssl/proxy.pem" }, "ca-certificates", /no PEM certificate/],
    [
      "ca-certificates with a broken block",
      { ...MINIMAL, "ca-certificates": "-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----" },
      "ca-certificates",
      /certificate 1 of 1 is not valid/,
    ],
  ];
  test.each(cases)("%s", (_name, inputs, input, reason) => {
    const error = refusal(inputs);
    expect(error.input).toBe(input);
    expect(error.message).toMatch(reason);
    expect(error.message.startsWith(`Input '${input}': `)).toBe(true);
  });

  test("OIDC without id-token permission", () => {
    const error = refusal({ "refresh-token": "rt", "use-oidc": "true" });
    expect(error.input).toBe("use-oidc");
    expect(error.message).toMatch(/id-token: write/);
  });

  test("certificate without key, key without certificate", () => {
    expect(refusal({ "refresh-token": "rt", certificate: pair.cert }).input).toBe("certificate-key");
    expect(refusal({ "refresh-token": "rt", "certificate-key": pair.private }).input).toBe("certificate");
  });

  test("a certificate that is not PEM", () => {
    const error = refusal({ "refresh-token": "rt", certificate: "MIIB", "certificate-key": pair.private });
    expect(error.input).toBe("certificate");
  });

  test("a key that does not parse is refused without quoting it", () => {
    const key = "-----BEGIN PRIVATE KEY-----\nc2VjcmV0LWtleS1tYXRlcmlhbA==\n-----END PRIVATE KEY-----";
    const error = refusal({ "refresh-token": "rt", certificate: pair.cert, "certificate-key": key });
    expect(error.input).toBe("certificate-key");
    expect(error.message).not.toContain("c2VjcmV0");
  });

  test("a key of another certificate", () => {
    const error = refusal({ "refresh-token": "rt", certificate: pair.cert, "certificate-key": otherPair.private });
    expect(error.input).toBe("certificate-key");
    expect(error.message).toMatch(/does not belong to the certificate 'CN=CIPP-SAM'/);
  });

  test("no RUNNER_TEMP: nowhere to write the plan", () => {
    expect(refusal(MINIMAL, { GITHUB_WORKSPACE: "/w" }).input).toBe("RUNNER_TEMP");
  });

  test("secrets never appear in a refusal", () => {
    const error = refusal({ "client-secret": "app-secret-value", "refresh-token": "0.AXk abc" });
    expect(error.message).not.toContain("app-secret-value");
    expect(error.message).not.toContain("0.AXk");
  });
});

describe("parseInputs: refresh-token write-back and allow-empty", () => {
  const RUNNER = { ...ENV, GITHUB_REPOSITORY: "contoso-msp/cipp-permissions", GITHUB_API_URL: "https://github.example/api/v3" };

  test("a repository secret, on the runner's API URL and repository", () => {
    const inputs = parse({ ...MINIMAL, "refresh-token-secret": "CIPP_REFRESH_TOKEN", "secrets-token": "github_pat_x" }, RUNNER);
    expect(inputs.refreshTokenSecret).toEqual({
      apiUrl: "https://github.example/api/v3",
      repository: "contoso-msp/cipp-permissions",
      name: "CIPP_REFRESH_TOKEN",
      token: "github_pat_x",
    });
  });

  test("an environment secret; api.github.com when the runner names no API URL", () => {
    const env = { ...RUNNER, GITHUB_API_URL: undefined };
    const inputs = parse(
      { ...MINIMAL, "refresh-token-secret": "CIPP_REFRESH_TOKEN", "refresh-token-secret-environment": "cipp-cpv", "secrets-token": "t" },
      env,
    );
    expect(inputs.refreshTokenSecret).toMatchObject({ apiUrl: "https://api.github.com", environment: "cipp-cpv" });
  });

  test("no secret named: no write-back", () => {
    expect(parse(MINIMAL, RUNNER).refreshTokenSecret).toBeUndefined();
  });

  test("a secret without a token that may write it is refused, naming the permission", () => {
    const error = refusal({ ...MINIMAL, "refresh-token-secret": "CIPP_REFRESH_TOKEN" }, RUNNER);
    expect(error.input).toBe("secrets-token");
    expect(error.message).toMatch(/Secrets: Read and write/);
    expect(error.message).toMatch(/GITHUB_TOKEN cannot write secrets/);
  });

  test("a name GitHub would refuse, an environment without a secret, no repository", () => {
    expect(refusal({ ...MINIMAL, "refresh-token-secret": "GITHUB_TOKEN", "secrets-token": "t" }, RUNNER).input).toBe(
      "refresh-token-secret",
    );
    expect(refusal({ ...MINIMAL, "refresh-token-secret": "1ABC", "secrets-token": "t" }, RUNNER).input).toBe("refresh-token-secret");
    expect(refusal({ ...MINIMAL, "refresh-token-secret-environment": "cipp-cpv" }, RUNNER).input).toBe("refresh-token-secret-environment");
    expect(refusal({ ...MINIMAL, "refresh-token-secret": "CIPP_REFRESH_TOKEN", "secrets-token": "t" }, ENV).input).toBe(
      "GITHUB_REPOSITORY",
    );
  });

  test("mode refresh with no tenant covers the whole fleet; reset never does", () => {
    const refresh = parse({ ...MINIMAL, mode: "refresh", tenant: "" });
    expect(refresh.mode).toBe("refresh");
    expect(refresh.tenant).toBeUndefined();
    expect(refresh.changedFiles).toBeUndefined();
    expect(refusal({ ...MINIMAL, mode: "reset", tenant: "" }).input).toBe("tenant");
  });

  test("allow-empty is a boolean", () => {
    expect(parse({ ...MINIMAL, "allow-empty": "true" }).allowEmpty).toBe(true);
    expect(refusal({ ...MINIMAL, "allow-empty": "yes" }).input).toBe("allow-empty");
  });

  test("the secrets-token is masked with the other secrets", () => {
    expect(secretsToMask((name) => ({ ...MINIMAL, "secrets-token": "github_pat_secret" })[name] ?? "")).toContain("github_pat_secret");
  });

  test("reset without confirmation is refused before any credential is looked at", () => {
    const error = refusal({ mode: "reset", tenant: "fabrikam.onmicrosoft.com" }, {});
    expect(error.input).toBe("confirm");
  });
});

describe("secretsToMask", () => {
  test("each secret whole, and each line of a PEM key without its armour", () => {
    const key = "-----BEGIN PRIVATE KEY-----\nAAAAline1\nBBBBline2\n-----END PRIVATE KEY-----\n";
    const inputs: Record<string, string> = { "client-secret": " s3cret ", "refresh-token": "0.AXk", "certificate-key": key, mode: "plan" };
    const masked = secretsToMask((name) => inputs[name] ?? "");
    expect(masked).toEqual(["s3cret", "0.AXk", key.trim(), "AAAAline1", "BBBBline2"]);
  });

  test("nothing set, nothing to mask", () => {
    expect(secretsToMask(() => "")).toEqual([]);
  });
});
