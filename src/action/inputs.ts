/**
 * Every input of the Action, parsed and validated in one place. A pure function of a
 * `getInput`-like reader and the environment, so that each bad input is unit-testable without
 * @actions/core and is refused before anything is sent.
 */
import { X509Certificate, createPrivateKey } from "node:crypto";
import * as path from "node:path";
import type { RunMode } from "../plan/model";
import { parseChangedPaths } from "../desired/changed-paths";
import { parseSinceTime } from "../discover/since-time";
import { isGuid } from "../guid";
import type { SecretTarget } from "./github-secrets";

/** Reads one raw input, as `core.getInput` does: "" when not set. */
export type InputReader = (name: string) => string;

/** The environment variables the Action depends on. */
export type Environment = Readonly<Record<string, string | undefined>>;

/** How CIPP-SAM authenticates, before OIDC (which needs @actions/core) is wired up. */
export type CredentialInput =
  | { readonly kind: "secret"; readonly clientSecret: string }
  | { readonly kind: "certificate"; readonly certificatePem: string; readonly privateKeyPem: string }
  | { readonly kind: "oidc" };

/** The Action's inputs, validated. */
export interface ActionInputs {
  readonly mode: RunMode;
  /** Absolute path of the stacks folder. */
  readonly stacksDir: string;
  readonly tenant?: string;
  /** Absolute paths of the files a change touches: only the tenants they touch are covered. */
  readonly changedFiles?: readonly string[];
  readonly confirm?: string;
  readonly forceConsent: boolean;
  /** Refresh only: epoch milliseconds; tenants whose GDAP access changed after it get a fresh consent. */
  readonly gdapChangedSince?: number;
  readonly concurrency?: number;
  readonly credential: CredentialInput;
  readonly refreshToken: string;
  /** Each certificate of the `ca-certificates` input, one PEM block each. */
  readonly caCertificates: readonly string[];
  /** The emulator's base URL, when the stacks target the sandbox. */
  readonly sandboxUrl?: string;
  readonly summary: boolean;
  /** Where plan-json and result-json are written. */
  readonly outputDir: string;
  /** A stacks folder without tenant files is accepted (otherwise the run is refused). */
  readonly allowEmpty: boolean;
  /** Where the rotated refresh token is written back; undefined when write-back is not configured. */
  readonly refreshTokenSecret?: SecretTarget;
}

/** Inputs that carry secrets: they are masked before any of them is parsed. */
export const SECRET_INPUTS = ["client-secret", "refresh-token", "certificate-key", "secrets-token"] as const;

/**
 * The values to mask before anything else runs: each secret input whole, and each line of a
 * multi-line one (a PEM key), because the runner only masks a registered value where it appears
 * whole, and a log line can hold a single line of the key. PEM armour lines are not secret.
 */
export function secretsToMask(getInput: InputReader): string[] {
  const values = new Set<string>();
  for (const name of SECRET_INPUTS) {
    const value = getInput(name).trim();
    if (value === "") continue;
    values.add(value);
    for (const line of value.split(/\r?\n/)) {
      const trimmed = line.trim();
      if (trimmed !== "" && trimmed !== value && !/^-----(BEGIN|END) [A-Z ]+-----$/.test(trimmed)) values.add(trimmed);
    }
  }
  return [...values];
}

/** A bad input: names the input and says what is wrong with it. Never quotes a secret's value. */
export class InputError extends Error {
  constructor(
    readonly input: string,
    reason: string,
  ) {
    super(`Input '${input}': ${reason}`);
    this.name = "InputError";
  }
}

const MODES: readonly RunMode[] = ["plan", "refresh", "reset"];
// A DNS name of at least two labels, as tenants' default domains are.
const DOMAIN = /^(?=.{1,253}$)(?:[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z]{2,63}$/i;
const MAX_CONCURRENCY = 100;
const PEM_CERTIFICATE = /-----BEGIN CERTIFICATE-----[\s\S]*?-----END CERTIFICATE-----/g;

/**
 * Parses and validates every input. Throws {@link InputError} on the first bad one.
 * `env` supplies GITHUB_WORKSPACE (stacks are relative to it), RUNNER_TEMP (where files are
 * written) and the OIDC request variables GitHub sets when the job may request an ID token.
 */
export function parseInputs(getInput: InputReader, env: Environment): ActionInputs {
  const read = (name: string): string => getInput(name).trim();

  const mode = parseMode(read("mode"));
  const tenant = optional(read("tenant"));
  if (tenant !== undefined && !isGuid(tenant) && !DOMAIN.test(tenant)) {
    throw new InputError("tenant", `'${tenant}' is neither a tenant id (GUID) nor a domain name.`);
  }
  const confirm = optional(read("confirm"));
  if (mode === "reset") {
    if (tenant === undefined) {
      throw new InputError("tenant", "mode 'reset' works on one tenant; name it by id or default domain.");
    }
    if (confirm !== tenant) {
      throw new InputError(
        "confirm",
        `mode 'reset' removes CIPP-SAM from '${tenant}' and adds it again; repeat the tenant exactly in 'confirm' to proceed.`,
      );
    }
  } else if (confirm !== undefined) {
    throw new InputError("confirm", `only mode 'reset' takes a confirmation; mode is '${mode}'.`);
  }

  // The runner starts actions in the workspace; outside a runner, relative means the current folder.
  const workspace = env["GITHUB_WORKSPACE"] ?? ".";
  const stacks = read("stacks") || "stacks";
  const changedFiles = parseChangedFiles(read("changed-files"), tenant, workspace);
  const concurrency = parseConcurrency(read("concurrency"));
  const gdapChangedSince = parseGdapChangedSince(read("gdap-changed-since"), mode);
  const sandboxUrl = parseSandboxUrl(read("sandbox-url"));
  const outputDir = env["RUNNER_TEMP"];
  if (!outputDir) {
    throw new InputError("RUNNER_TEMP", "the runner sets this variable; it is where plan-json and result-json are written.");
  }

  return {
    mode,
    stacksDir: path.resolve(workspace, stacks),
    ...(tenant !== undefined ? { tenant } : {}),
    ...(changedFiles !== undefined ? { changedFiles } : {}),
    ...(confirm !== undefined ? { confirm } : {}),
    forceConsent: parseBoolean("force-consent", read("force-consent"), false),
    ...optionalEntry("gdapChangedSince", gdapChangedSince),
    ...(concurrency !== undefined ? { concurrency } : {}),
    credential: parseCredential(read, env),
    refreshToken: parseRefreshToken(read("refresh-token")),
    caCertificates: parseCaCertificates(read("ca-certificates")),
    ...(sandboxUrl !== undefined ? { sandboxUrl } : {}),
    summary: parseBoolean("summary", read("summary"), true),
    outputDir,
    allowEmpty: parseBoolean("allow-empty", read("allow-empty"), false),
    ...optionalEntry("refreshTokenSecret", parseSecretTarget(read, env)),
  };
}

function optionalEntry<K extends string, V>(key: K, value: V | undefined): Partial<Record<K, V>> {
  return value === undefined ? {} : ({ [key]: value } as Partial<Record<K, V>>);
}

// GitHub's rules for secret names: letters, digits and underscores, not starting with a digit or GITHUB_.
const SECRET_NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;

/** Where the rotated refresh token goes, or undefined when `refresh-token-secret` is empty. */
function parseSecretTarget(read: (name: string) => string, env: Environment): SecretTarget | undefined {
  const name = read("refresh-token-secret");
  const environment = read("refresh-token-secret-environment");
  const token = read("secrets-token");
  if (name === "") {
    if (environment !== "")
      throw new InputError("refresh-token-secret-environment", "is set, but 'refresh-token-secret' (the secret to write) is not.");
    return undefined;
  }
  if (!SECRET_NAME.test(name) || /^GITHUB_/i.test(name)) {
    throw new InputError(
      "refresh-token-secret",
      `'${name}' is not a secret name GitHub accepts (letters, digits and _, not starting with a digit or GITHUB_).`,
    );
  }
  if (token === "") {
    throw new InputError(
      "secrets-token",
      `'refresh-token-secret' is set, so a token that may write the ${environment === "" ? "repository" : "environment"} secret is needed ` +
        `(${environment === "" ? '"Secrets: Read and write"' : '"Environments: Read and write"'}); the workflow's GITHUB_TOKEN cannot write secrets.`,
    );
  }
  const repository = env["GITHUB_REPOSITORY"];
  if (!repository || !/^[^/\s]+\/[^/\s]+$/.test(repository)) {
    throw new InputError(
      "GITHUB_REPOSITORY",
      "the runner sets this variable (owner/repo); it names the repository whose secret is written.",
    );
  }
  const apiUrl = env["GITHUB_API_URL"] || "https://api.github.com";
  try {
    new URL(apiUrl);
  } catch {
    throw new InputError("GITHUB_API_URL", `'${apiUrl}' is not a URL.`);
  }
  return { apiUrl, repository, name, token, ...(environment !== "" ? { environment } : {}) };
}

function optional(value: string): string | undefined {
  return value === "" ? undefined : value;
}

function parseMode(value: string): RunMode {
  if (value === "") return "plan";
  const mode = MODES.find((m) => m === value);
  if (mode === undefined) throw new InputError("mode", `'${value}' is not one of ${MODES.join(", ")}.`);
  return mode;
}

/** The YAML 1.2 core-schema booleans, as `core.getBooleanInput` accepts them. */
function parseBoolean(name: string, value: string, fallback: boolean): boolean {
  if (value === "") return fallback;
  if (["true", "True", "TRUE"].includes(value)) return true;
  if (["false", "False", "FALSE"].includes(value)) return false;
  throw new InputError(name, `'${value}' is not a boolean; use true or false.`);
}

/** The changed paths, resolved against the workspace as `git diff --name-only` lists them from the repository root. */
function parseChangedFiles(value: string, tenant: string | undefined, workspace: string): string[] | undefined {
  if (value === "") return undefined;
  if (tenant !== undefined) {
    throw new InputError(
      "changed-files",
      `choose one: 'tenant' covers '${tenant}' alone, 'changed-files' covers the tenants a change touches; both are set.`,
    );
  }
  return parseChangedPaths(value).map((file) => path.resolve(workspace, file));
}

function parseGdapChangedSince(value: string, mode: RunMode): number | undefined {
  if (value === "") return undefined;
  if (mode !== "refresh")
    throw new InputError("gdap-changed-since", `only mode 'refresh' forces a consent for changed GDAP access; mode is '${mode}'.`);
  const ms = parseSinceTime(value);
  if (ms === null) {
    throw new InputError(
      "gdap-changed-since",
      `'${value}' is not an ISO 8601 date and time with its zone (e.g. 2026-01-31T00:00:00Z), or empty.`,
    );
  }
  return ms;
}

function parseConcurrency(value: string): number | undefined {
  if (value === "") return undefined;
  const n = /^\d+$/.test(value) ? Number(value) : Number.NaN;
  if (!Number.isSafeInteger(n) || n < 1 || n > MAX_CONCURRENCY) {
    throw new InputError("concurrency", `'${value}' is not a whole number from 1 to ${MAX_CONCURRENCY}.`);
  }
  return n;
}

function parseSandboxUrl(value: string): string | undefined {
  if (value === "") return undefined;
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    throw new InputError("sandbox-url", `'${value}' is not a URL.`);
  }
  if (url.protocol !== "https:" && url.protocol !== "http:") {
    throw new InputError("sandbox-url", `'${value}' is not an http(s) URL.`);
  }
  return value;
}

function parseCredential(read: (name: string) => string, env: Environment): CredentialInput {
  const clientSecret = read("client-secret");
  const certificatePem = read("certificate");
  const privateKeyPem = read("certificate-key");
  const useOidc = parseBoolean("use-oidc", read("use-oidc"), false);

  const chosen = [
    clientSecret !== "" ? "client-secret" : null,
    certificatePem !== "" || privateKeyPem !== "" ? "certificate" : null,
    useOidc ? "use-oidc" : null,
  ].filter((c): c is string => c !== null);
  if (chosen.length === 0) {
    throw new InputError(
      "client-secret",
      "CIPP-SAM needs a credential: set 'client-secret', or 'certificate' with 'certificate-key', or 'use-oidc: true'.",
    );
  }
  if (chosen.length > 1) {
    throw new InputError(chosen[1] ?? "client-secret", `choose one credential; ${chosen.join(" and ")} are both set.`);
  }

  if (clientSecret !== "") return { kind: "secret", clientSecret };
  if (useOidc) {
    if (!env["ACTIONS_ID_TOKEN_REQUEST_URL"] || !env["ACTIONS_ID_TOKEN_REQUEST_TOKEN"]) {
      throw new InputError(
        "use-oidc",
        "GitHub offers no ID token to this job; give the job 'permissions: id-token: write' (pull requests from forks never get one).",
      );
    }
    return { kind: "oidc" };
  }
  return parseCertificate(certificatePem, privateKeyPem);
}

function parseCertificate(certificatePem: string, privateKeyPem: string): CredentialInput {
  if (certificatePem === "") throw new InputError("certificate", "'certificate-key' is set; give its certificate (PEM) too.");
  if (privateKeyPem === "") throw new InputError("certificate-key", "'certificate' is set; give its private key (PEM) too.");
  let certificate: X509Certificate;
  try {
    certificate = new X509Certificate(certificatePem);
  } catch (error) {
    throw new InputError("certificate", `not a PEM certificate (${describe(error)}).`);
  }
  let key;
  try {
    key = createPrivateKey(privateKeyPem);
  } catch {
    // The parser's message could echo key material; say only what is wrong.
    throw new InputError("certificate-key", "not an unencrypted PEM private key.");
  }
  if (!certificate.checkPrivateKey(key)) {
    throw new InputError("certificate-key", `does not belong to the certificate '${certificate.subject}'.`);
  }
  return { kind: "certificate", certificatePem, privateKeyPem };
}

function parseRefreshToken(value: string): string {
  if (value === "") {
    throw new InputError(
      "refresh-token",
      "the CIPP service account's refresh token is required (Partner Center consent and Graph reads are made as that user).",
    );
  }
  if (/\s/.test(value)) throw new InputError("refresh-token", "contains white space; copy the token as one line.");
  return value;
}

function parseCaCertificates(value: string): string[] {
  if (value === "") return [];
  const blocks = value.match(PEM_CERTIFICATE) ?? [];
  if (blocks.length === 0) throw new InputError("ca-certificates", "holds no PEM certificate (-----BEGIN CERTIFICATE-----).");
  for (const [index, block] of blocks.entries()) {
    try {
      new X509Certificate(block);
    } catch (error) {
      throw new InputError("ca-certificates", `certificate ${index + 1} of ${blocks.length} is not valid (${describe(error)}).`);
    }
  }
  return blocks;
}

function describe(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
