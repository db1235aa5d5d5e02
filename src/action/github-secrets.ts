/**
 * Writes the rotated refresh token back to a GitHub Actions secret (repository or environment),
 * through GitHub's REST API: the value is sealed with the secret store's public key
 * (libsodium sealed box, as GitHub's "Encrypting secrets for the REST API" describes), so
 * GitHub alone can read it. Also reads when the secret was last updated, to warn before the
 * stored token can expire. Free of @actions/core: the Action decides what to print.
 */
// The default export: the ESM build adds the crypto functions to it once `ready` resolves.
import sodium from "libsodium-wrappers";
import { request, type Dispatcher } from "undici";

/** Where the secret lives and who may write it. */
export interface SecretTarget {
  /** GitHub's REST API base URL, as the runner gives it in GITHUB_API_URL. */
  readonly apiUrl: string;
  /** "owner/repo", as the runner gives it in GITHUB_REPOSITORY. */
  readonly repository: string;
  /** The secret's name, e.g. CIPP_REFRESH_TOKEN. */
  readonly name: string;
  /** The environment holding the secret; undefined for a repository secret. */
  readonly environment?: string;
  /** A token allowed to write the secret (see {@link permissionNeeded}). */
  readonly token: string;
}

/** A call to GitHub's secrets API that did not succeed. Never carries a token or the secret's value. */
export class GitHubSecretsError extends Error {
  override readonly name = "GitHubSecretsError";
  constructor(
    message: string,
    /** HTTP status of GitHub's answer; null when none came. */
    readonly status: number | null,
  ) {
    super(message);
  }
}

/** What the token given as `secrets-token` needs, in GitHub's words, for this target. */
export function permissionNeeded(target: Pick<SecretTarget, "environment">): string {
  return target.environment === undefined
    ? 'a fine-grained token or GitHub App with the repository permission "Secrets: Read and write" (a classic token: the repo scope); the workflow\'s GITHUB_TOKEN cannot write secrets'
    : 'a fine-grained token or GitHub App with the repository permission "Environments: Read and write" (a classic token: the repo scope); the workflow\'s GITHUB_TOKEN cannot write secrets';
}

/** Client of the few secrets endpoints the write-back needs. */
export class GitHubSecrets {
  constructor(
    private readonly target: SecretTarget,
    private readonly dispatcher?: Dispatcher,
  ) {}

  /** Where the secret is, in words, e.g. "repository secret CIPP_REFRESH_TOKEN of contoso/cpv". */
  describe(): string {
    const { name, environment, repository } = this.target;
    return environment === undefined
      ? `repository secret ${name} of ${repository}`
      : `secret ${name} of environment ${environment} in ${repository}`;
  }

  /** When the secret was last written, or null when it does not exist yet. */
  async updatedAt(): Promise<Date | null> {
    const answer = await this.call("GET", this.path(`secrets/${encodeURIComponent(this.target.name)}`), "read when it was last updated");
    if (answer.status === 404) return null;
    const updated = (answer.body as { updated_at?: unknown }).updated_at;
    const at = typeof updated === "string" ? new Date(updated) : null;
    if (at === null || Number.isNaN(at.getTime())) {
      throw new GitHubSecretsError(`GitHub's answer for the ${this.describe()} has no valid updated_at.`, answer.status);
    }
    return at;
  }

  /** Seals `value` with the secret store's public key and writes it. */
  async write(value: string): Promise<void> {
    const keyAnswer = await this.call("GET", this.path("secrets/public-key"), "read its public key");
    if (keyAnswer.status === 404) throw this.refused(404, "read its public key");
    const { key, key_id: keyId } = keyAnswer.body as { key?: unknown; key_id?: unknown };
    if (typeof key !== "string" || typeof keyId !== "string") {
      throw new GitHubSecretsError(
        `GitHub's public key for the ${this.describe()} is not in the expected shape (key, key_id).`,
        keyAnswer.status,
      );
    }
    const encryptedValue = await seal(value, key);
    const put = await this.call("PUT", this.path(`secrets/${encodeURIComponent(this.target.name)}`), "write it", {
      encrypted_value: encryptedValue,
      key_id: keyId,
    });
    if (put.status !== 201 && put.status !== 204) throw this.refused(put.status, "write it");
  }

  private path(rest: string): string {
    const { repository, environment } = this.target;
    const repo = repository.split("/").map(encodeURIComponent).join("/");
    return environment === undefined
      ? `/repos/${repo}/actions/${rest}`
      : `/repos/${repo}/environments/${encodeURIComponent(environment)}/${rest}`;
  }

  private async call(method: "GET" | "PUT", path: string, what: string, body?: unknown): Promise<{ status: number; body: unknown }> {
    const url = `${this.target.apiUrl.replace(/\/+$/, "")}${path}`;
    let answer: Dispatcher.ResponseData;
    try {
      answer = await request(url, {
        method,
        headers: {
          accept: "application/vnd.github+json",
          authorization: `Bearer ${this.target.token}`,
          "x-github-api-version": "2022-11-28",
          "user-agent": "cipp-cpv",
          ...(body !== undefined ? { "content-type": "application/json" } : {}),
        },
        ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
        ...(this.dispatcher !== undefined ? { dispatcher: this.dispatcher } : {}),
        headersTimeout: 30_000,
        bodyTimeout: 30_000,
      });
    } catch (error) {
      const reason = error instanceof Error ? error.message : String(error);
      throw new GitHubSecretsError(`Could not reach GitHub at ${this.target.apiUrl} to ${what} (the ${this.describe()}): ${reason}`, null);
    }
    const text = await answer.body.text();
    let parsed: unknown = {};
    try {
      parsed = text === "" ? {} : JSON.parse(text);
    } catch {
      // An answer that is not JSON is judged by its status alone.
    }
    if (answer.statusCode >= 400 && answer.statusCode !== 404) throw this.refused(answer.statusCode, what);
    return { status: answer.statusCode, body: parsed };
  }

  private refused(status: number, what: string): GitHubSecretsError {
    const cause =
      status === 401
        ? "the secrets-token was not accepted (expired, revoked or mistyped)"
        : status === 403 || status === 404
          ? `the secrets-token may not ${what === "write it" ? "write" : "read"} it, or ${this.target.environment === undefined ? "the repository" : "the environment"} does not exist (GitHub answers 404 for both)`
          : `GitHub answered HTTP ${status}`;
    return new GitHubSecretsError(
      `Could not ${what}, the ${this.describe()}: HTTP ${status}, ${cause}. The secrets-token needs ${permissionNeeded(this.target)}.`,
      status,
    );
  }
}

/** `value` sealed for the holder of the base64 public key `publicKey`, base64 (what GitHub's API takes). */
export async function seal(value: string, publicKey: string): Promise<string> {
  await sodium.ready;
  const key = sodium.from_base64(publicKey, sodium.base64_variants.ORIGINAL);
  return sodium.to_base64(sodium.crypto_box_seal(sodium.from_string(value), key), sodium.base64_variants.ORIGINAL);
}
