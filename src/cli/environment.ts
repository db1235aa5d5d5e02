/**
 * Credentials and trust for the command line, read from the environment and files only: a
 * secret passed as a flag would sit in the shell history and in every `ps` listing.
 */
import { readFileSync } from "node:fs";
import type { AppCredential } from "../run/run-request";

/** The environment variables the CLI reads. */
export const ENV = {
  clientSecret: "CIPP_CPV_CLIENT_SECRET",
  certificateFile: "CIPP_CPV_CERTIFICATE_FILE",
  certificateKeyFile: "CIPP_CPV_CERTIFICATE_KEY_FILE",
  refreshToken: "CIPP_CPV_REFRESH_TOKEN",
  federatedTokenFile: "CIPP_CPV_FEDERATED_TOKEN_FILE",
  caFile: "CIPP_CPV_CA_FILE",
  sandboxUrl: "CIPP_CPV_SANDBOX_URL",
} as const;

/** A problem with the CLI's configuration; nothing was sent. */
export class ConfigurationError extends Error {
  override readonly name = "ConfigurationError";
}

export interface CliSecrets {
  readonly credential: AppCredential;
  readonly refreshToken: string;
}

type Env = Readonly<Record<string, string | undefined>>;
type ReadFile = (path: string) => string;

const readText: ReadFile = (path) => readFileSync(path, "utf8");

/** Reads CIPP-SAM's credential and the service account's refresh token from the environment. */
export function secretsFromEnvironment(env: Env, readFile: ReadFile = readText): CliSecrets {
  const secret = nonEmpty(env[ENV.clientSecret]);
  const certFile = nonEmpty(env[ENV.certificateFile]);
  const keyFile = nonEmpty(env[ENV.certificateKeyFile]);
  const refreshToken = nonEmpty(env[ENV.refreshToken]);
  const federatedFile = nonEmpty(env[ENV.federatedTokenFile]);
  const problems: string[] = [];

  if (federatedFile !== undefined && (secret !== undefined || certFile !== undefined || keyFile !== undefined)) {
    problems.push(
      `set one CIPP-SAM credential: ${ENV.federatedTokenFile}, ${ENV.clientSecret}, or ${ENV.certificateFile} with ${ENV.certificateKeyFile}`,
    );
  } else if (federatedFile !== undefined) {
    // A federated assertion (e.g. a GitHub Actions OIDC token saved to a file), as Azure's
    // workload identity does with AZURE_FEDERATED_TOKEN_FILE: read again for every token request.
  } else if (secret !== undefined && (certFile !== undefined || keyFile !== undefined)) {
    problems.push(`set either ${ENV.clientSecret} or ${ENV.certificateFile} with ${ENV.certificateKeyFile}, not both`);
  } else if (secret === undefined && certFile === undefined && keyFile === undefined) {
    problems.push(`CIPP-SAM's credential is missing: set ${ENV.clientSecret}, or ${ENV.certificateFile} and ${ENV.certificateKeyFile}`);
  } else if (secret === undefined && (certFile === undefined || keyFile === undefined)) {
    problems.push(`a certificate credential needs both ${ENV.certificateFile} and ${ENV.certificateKeyFile}`);
  }
  if (refreshToken === undefined) {
    problems.push(`the CIPP service account's refresh token is missing: set ${ENV.refreshToken}`);
  }
  if (problems.length > 0) throw new ConfigurationError(problems.join("; ") + ".");

  const credential: AppCredential =
    federatedFile !== undefined
      ? { kind: "assertion", getAssertion: () => Promise.resolve().then(() => readFederatedToken(readFile, federatedFile)) }
      : secret !== undefined
        ? { kind: "secret", clientSecret: secret }
        : {
            kind: "certificate",
            certificatePem: readPem(readFile, certFile as string, ENV.certificateFile, "CERTIFICATE"),
            privateKeyPem: readPem(readFile, keyFile as string, ENV.certificateKeyFile, "PRIVATE KEY"),
          };
  return { credential, refreshToken: refreshToken as string };
}

/** Extra CA certificates to trust, from a flag or the environment. */
export function caCertificatesFrom(file: string | undefined, env: Env, readFile: ReadFile = readText): string[] {
  const path = nonEmpty(file) ?? nonEmpty(env[ENV.caFile]);
  return path === undefined ? [] : [readPem(readFile, path, file !== undefined ? "--ca-file" : ENV.caFile, "CERTIFICATE")];
}

/**
 * The sandbox's base URL from a flag or the environment, checked before anything is sent: a
 * malformed one would otherwise fail every tenant with a bare "Invalid URL".
 */
export function sandboxUrlFrom(flag: string | undefined, env: Env): string | undefined {
  const fromFlag = nonEmpty(flag);
  const value = fromFlag ?? nonEmpty(env[ENV.sandboxUrl]);
  if (value === undefined) return undefined;
  const origin = fromFlag !== undefined ? "--sandbox-url" : ENV.sandboxUrl;
  let url: URL | undefined;
  try {
    url = new URL(value);
  } catch {
    url = undefined;
  }
  if (url?.protocol !== "https:") {
    throw new ConfigurationError(
      `${origin}: "${withoutUserinfo(value)}" is not an https URL; the sandbox prints its own, e.g. https://127.0.0.1:8443, when it starts.`,
    );
  }
  // Credentials in a URL end up in error messages, logs and process listings: refuse them rather than carry them.
  if (url.username !== "" || url.password !== "") {
    throw new ConfigurationError(
      `${origin}: "${withoutUserinfo(value)}" carries credentials before its host; the sandbox takes none, so give its URL without them.`,
    );
  }
  return value;
}

/**
 * A URL as it may be printed: whatever stands between the scheme and an `@` is masked, also in text
 * that does not parse as a URL, so a password in it never reaches an error message.
 */
export function withoutUserinfo(text: string): string {
  return text.replace(/^([a-z][a-z0-9+.-]*:\/\/)?[^/?#]*@/i, (_whole, scheme: string | undefined) => `${scheme ?? ""}***@`);
}

function readPem(readFile: ReadFile, path: string, origin: string, kind: string): string {
  let text: string;
  try {
    text = readFile(path);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code ?? "unreadable";
    throw new ConfigurationError(`${origin}: cannot read ${path} (${code}).`);
  }
  if (!text.includes(`-----BEGIN`) || !text.includes(kind)) {
    throw new ConfigurationError(`${origin}: ${path} is not a PEM file holding a ${kind.toLowerCase()}.`);
  }
  return text;
}

function readFederatedToken(readFile: ReadFile, path: string): string {
  let text: string;
  try {
    text = readFile(path).trim();
  } catch (error) {
    throw new ConfigurationError(
      `${ENV.federatedTokenFile}: cannot read ${path} (${(error as NodeJS.ErrnoException).code ?? "unreadable"}).`,
    );
  }
  if (text === "") throw new ConfigurationError(`${ENV.federatedTokenFile}: ${path} is empty.`);
  return text;
}

function nonEmpty(value: string | undefined): string | undefined {
  const trimmed = value?.trim();
  return trimmed === undefined || trimmed === "" ? undefined : trimmed;
}
