/**
 * Access tokens for CIPP-SAM, through @azure/msal-node: delegated tokens redeemed from the service
 * account's refresh token (Partner Center in the partner tenant, Graph in any tenant) and app-only
 * Graph tokens from client credentials. Cached per (flow, tenant, resource); the rotated refresh
 * token is captured so the caller can persist it.
 */
import { X509Certificate } from "node:crypto";
import { ConfidentialClientApplication, type AuthenticationResult, type Configuration } from "@azure/msal-node";
import type { CloudEndpoints } from "./endpoints";
import { withoutQuery, type HttpClient } from "./http";
import { RecordingNetworkModule } from "./token-network";

/** How CIPP-SAM proves its identity to Entra ID. */
export type AppCredential =
  | { readonly kind: "secret"; readonly clientSecret: string }
  | { readonly kind: "certificate"; readonly privateKeyPem: string; readonly certificatePem: string }
  /** A federated assertion, e.g. a GitHub Actions OIDC token; asked for on every token request. */
  | { readonly kind: "assertion"; readonly getAssertion: () => Promise<string> };

/** The APIs tokens are requested for. */
export type TokenResource = "graph" | "partnerCenter";

export interface AccessToken {
  readonly token: string;
  readonly tenantId: string;
  /** Milliseconds since the epoch. */
  readonly expiresAt: number;
  /** Scopes (delegated) or roles (app-only) the token carries, without the resource prefix. */
  readonly scopes: readonly string[];
}

export interface TokenOptions {
  /** Skip the cache: after a consent or grant change a cached token still carries the old scopes. */
  readonly fresh?: boolean;
}

/** A token request Entra ID refused, or that never got an answer. */
export class TokenError extends Error {
  override readonly name = "TokenError";
  constructor(
    /** The AADSTS number (65001, 50020, ...), or null when the failure did not come from Entra ID. */
    readonly aadsts: number | null,
    /** OAuth `error` ("invalid_grant", ...), or "network_error" / "no_response". */
    readonly error: string,
    /** HTTP status of the token endpoint's answer; null when none came. */
    readonly status: number | null,
    /** What Entra ID said (first line of `error_description`), secrets masked. */
    readonly description: string,
    readonly tenantId: string,
    readonly resource: TokenResource,
    readonly flow: "refresh-token" | "client-credentials",
  ) {
    super(
      `Token request (${flow === "refresh-token" ? "delegated" : "app-only"}, ${resource}) in tenant ${tenantId} failed: ` +
        (aadsts !== null ? `AADSTS${aadsts} ` : "") +
        `${error}${status !== null ? ` (HTTP ${status})` : ""}: ${description}`,
    );
  }

  /** The same refusal for a request in another tenant or flow, not sent because this one is permanent. */
  again(tenantId: string, resource: TokenResource, flow: "refresh-token" | "client-credentials"): TokenError {
    const note = this.description.endsWith("(not asked again this run)") ? "" : " (not asked again this run)";
    return new TokenError(this.aadsts, this.error, this.status, `${this.description}${note}`, tenantId, resource, flow);
  }
}

export interface TokenProviderOptions {
  readonly endpoints: CloudEndpoints;
  readonly applicationId: string;
  readonly credential: AppCredential;
  readonly refreshToken: string;
  readonly http: HttpClient;
}

/** Tokens are renewed this long before they expire, so a request never leaves with a dying token. */
const EXPIRY_MARGIN_MS = 5 * 60_000;

/** Scopes msal-node adds to every refresh-token request; they say nothing about the API's permissions. */
const OIDC_SCOPES = new Set(["openid", "profile", "offline_access", "email"]);

/**
 * AADSTS codes that condemn the refresh token itself, in every tenant: expired (700082, 70008),
 * revoked (50173), malformed (9002313) or issued to another application (700007). Asking again,
 * in this tenant or another, cannot succeed.
 */
const REFRESH_TOKEN_DEAD = new Set([50173, 700082, 70008, 9002313, 700007]);

/** AADSTS codes that condemn CIPP-SAM's own credential (invalid or expired client secret), in every flow and tenant. */
const APP_CREDENTIAL_DEAD = new Set([7000215, 7000222]);

/** Issues and caches CIPP-SAM's tokens. One per run; shared by every tenant. */
export class TokenProvider {
  private refreshToken: string;
  /** Set by the first permanent credential error: later requests fail with it at once, without the network. */
  private refreshTokenFailure: TokenError | null = null;
  private appCredentialFailure: TokenError | null = null;
  private readonly cache = new Map<string, AccessToken>();
  private readonly inflight = new Map<string, Promise<AccessToken>>();
  /** Bumped by every forget, so that an answer to a request sent before it is not cached. */
  private readonly generations = new Map<string, number>();
  private readonly certificate: { thumbprintSha256: string; privateKey: string; x5c: string } | null;
  /** Token endpoint HTTP requests sent (retries included), for cost accounting. */
  requestCount = 0;

  constructor(private readonly options: TokenProviderOptions) {
    this.refreshToken = options.refreshToken;
    const redactor = options.http.redactor;
    redactor.register(options.refreshToken);
    const credential = options.credential;
    if (credential.kind === "secret") redactor.register(credential.clientSecret);
    this.certificate =
      credential.kind === "certificate"
        ? {
            thumbprintSha256: new X509Certificate(credential.certificatePem).fingerprint256.replace(/:/g, "").toLowerCase(),
            privateKey: credential.privateKeyPem,
            x5c: credential.certificatePem,
          }
        : null;
  }

  /** The service account's delegated token in `tenantId` (the partner tenant for Partner Center). */
  delegated(tenantId: string, resource: TokenResource, options: TokenOptions = {}): Promise<AccessToken> {
    const dead = this.appCredentialFailure ?? this.refreshTokenFailure;
    if (dead !== null) return Promise.reject(dead.again(tenantId, resource, "refresh-token"));
    return this.cached(`delegated|${resource}|${tenantId}`, options, () => this.redeemRefreshToken(tenantId, resource));
  }

  /** CIPP-SAM's app-only Graph token in `tenantId`. */
  appOnly(tenantId: string, options: TokenOptions = {}): Promise<AccessToken> {
    if (this.appCredentialFailure !== null) return Promise.reject(this.appCredentialFailure.again(tenantId, "graph", "client-credentials"));
    return this.cached(`app|graph|${tenantId}`, options, () => this.clientCredentials(tenantId));
  }

  /** The permanent credential error of this run, if one was met: every later token request fails with it. */
  permanentFailure(): TokenError | null {
    return this.appCredentialFailure ?? this.refreshTokenFailure;
  }

  /** Remembers a permanent error, so that no tenant asks Entra ID again in vain. */
  private remember(error: TokenError): TokenError {
    if (error.aadsts !== null && APP_CREDENTIAL_DEAD.has(error.aadsts)) this.appCredentialFailure ??= error;
    else if (error.aadsts !== null && error.flow === "refresh-token" && REFRESH_TOKEN_DEAD.has(error.aadsts)) this.refreshTokenFailure ??= error;
    return error;
  }

  /**
   * Forgets every token for the tenant, e.g. after its consent or grants changed: cached ones, and
   * ones still being requested, which Entra ID may issue with the scopes from before the change.
   */
  invalidate(tenantId: string): void {
    for (const key of new Set([...this.cache.keys(), ...this.inflight.keys()])) if (key.endsWith(`|${tenantId}`)) this.forget(key);
  }

  /** The newest refresh token Entra ID issued (the one given at start until the first rotation). Persist it. */
  currentRefreshToken(): string {
    return this.refreshToken;
  }

  private async cached(key: string, options: TokenOptions, acquire: () => Promise<AccessToken>): Promise<AccessToken> {
    if (options.fresh) this.forget(key);
    const now = this.options.http.clock();
    const hit = this.cache.get(key);
    if (hit && hit.expiresAt - EXPIRY_MARGIN_MS > now) return hit;
    // Concurrent callers for the same token share one request instead of storming the token endpoint.
    const pending = this.inflight.get(key);
    if (pending) return pending;
    const generation = this.generations.get(key) ?? 0;
    const promise: Promise<AccessToken> = acquire()
      .then((token) => {
        // A token requested before a forget may carry the old scopes: hand it to who asked, keep it from everyone else.
        if ((this.generations.get(key) ?? 0) === generation) this.cache.set(key, token);
        return token;
      })
      .finally(() => {
        if (this.inflight.get(key) === promise) this.inflight.delete(key);
      });
    this.inflight.set(key, promise);
    return promise;
  }

  private forget(key: string): void {
    this.cache.delete(key);
    this.inflight.delete(key);
    this.generations.set(key, (this.generations.get(key) ?? 0) + 1);
  }

  private async redeemRefreshToken(tenantId: string, resource: TokenResource): Promise<AccessToken> {
    const { client, network } = this.newClient(tenantId);
    const usedRefreshToken = this.refreshToken;
    try {
      const result = await client.acquireTokenByRefreshToken({
        refreshToken: usedRefreshToken,
        scopes: [`${this.resourceUri(resource)}/.default`],
        // Without forceCache msal-node 7 caches nothing when the answer has an id_token, and the
        // rotated refresh token would be lost.
        forceCache: true,
      });
      if (!result) throw new Error("msal-node returned no token");
      this.captureRotatedRefreshToken(client, usedRefreshToken);
      return this.toAccessToken(result, tenantId, resource);
    } catch (err) {
      throw this.remember(this.tokenError(err, network, tenantId, resource, "refresh-token"));
    } finally {
      this.requestCount += network.requests;
    }
  }

  private async clientCredentials(tenantId: string): Promise<AccessToken> {
    const { client, network } = this.newClient(tenantId);
    try {
      const result = await client.acquireTokenByClientCredential({
        scopes: [`${this.options.endpoints.graphResource}/.default`],
        skipCache: true,
      });
      if (!result) throw new Error("msal-node returned no token");
      return this.toAccessToken(result, tenantId, "graph");
    } catch (err) {
      throw this.remember(this.tokenError(err, network, tenantId, "graph", "client-credentials"));
    } finally {
      this.requestCount += network.requests;
    }
  }

  /**
   * A new msal client per token request: msal-node keeps a throttle cache that would fail identical
   * requests without network traffic for up to an hour after a 429, and our own cache and retry
   * policy already do that job. With the authority metadata given, msal-node makes no discovery call.
   */
  private newClient(tenantId: string): { client: ConfidentialClientApplication; network: RecordingNetworkModule } {
    const login = this.options.endpoints.login.replace(/\/+$/, "");
    const network = new RecordingNetworkModule(this.options.http);
    const credential = this.options.credential;
    const redactor = this.options.http.redactor;
    const auth: Configuration["auth"] = {
      clientId: this.options.applicationId,
      authority: `${login}/${tenantId}`,
      knownAuthorities: [new URL(login).host],
      // msal-node substitutes the literal {tenant} with the request's tenant.
      authorityMetadata: JSON.stringify({
        token_endpoint: `${login}/{tenant}/oauth2/v2.0/token`,
        authorization_endpoint: `${login}/{tenant}/oauth2/v2.0/authorize`,
        issuer: `${login}/{tenant}/v2.0`,
        jwks_uri: `${login}/{tenant}/discovery/v2.0/keys`,
      }),
      ...(credential.kind === "secret" ? { clientSecret: credential.clientSecret } : {}),
      ...(this.certificate ? { clientCertificate: this.certificate } : {}),
      ...(credential.kind === "assertion"
        ? {
            clientAssertion: async () => {
              const assertion = await credential.getAssertion();
              redactor.register(assertion);
              return assertion;
            },
          }
        : {}),
    };
    const client = new ConfidentialClientApplication({
      auth,
      system: { networkClient: network, disableInternalRetries: true },
    });
    return { client, network };
  }

  private captureRotatedRefreshToken(client: ConfidentialClientApplication, used: string): void {
    const serialized = JSON.parse(client.getTokenCache().serialize()) as {
      RefreshToken?: Record<string, { secret?: string }>;
    };
    for (const entry of Object.values(serialized.RefreshToken ?? {})) {
      if (entry.secret && entry.secret !== used) {
        this.options.http.redactor.register(entry.secret);
        // Only move forward: a concurrent request may already have rotated past `used`.
        if (this.refreshToken === used) this.refreshToken = entry.secret;
      }
    }
  }

  private toAccessToken(result: AuthenticationResult, tenantId: string, resource: TokenResource): AccessToken {
    this.options.http.redactor.register(result.accessToken);
    const prefix = `${this.resourceUri(resource)}/`;
    return {
      token: result.accessToken,
      tenantId,
      expiresAt: result.expiresOn ? result.expiresOn.getTime() : this.options.http.clock() + 55 * 60_000,
      scopes: result.scopes
        .map((s) => (s.startsWith(prefix) ? s.slice(prefix.length) : s))
        .filter((s) => !OIDC_SCOPES.has(s) && s !== ".default"),
    };
  }

  private resourceUri(resource: TokenResource): string {
    const uri = resource === "graph" ? this.options.endpoints.graphResource : this.options.endpoints.partnerCenterResource;
    return uri.replace(/\/+$/, "");
  }

  private tokenError(
    err: unknown,
    network: RecordingNetworkModule,
    tenantId: string,
    resource: TokenResource,
    flow: "refresh-token" | "client-credentials",
  ): TokenError {
    const redact = (text: string) => this.options.http.redactor.redact(text);
    const last = network.last;
    if (last?.kind === "transport") {
      return new TokenError(null, "network_error", null, redact(last.error.message), tenantId, resource, flow);
    }
    if (last?.kind === "response" && last.status >= 400) {
      const body = (last.body ?? {}) as { error?: unknown; error_description?: unknown; error_codes?: unknown };
      const description = typeof body.error_description === "string" ? body.error_description : "";
      const codes = Array.isArray(body.error_codes) ? body.error_codes : [];
      const aadsts = typeof codes[0] === "number" ? codes[0] : aadstsIn(description);
      return new TokenError(
        aadsts,
        typeof body.error === "string" ? body.error : "unknown_error",
        last.status,
        redact(firstLine(description) || `no description (${withoutQuery(this.options.endpoints.login)})`),
        tenantId,
        resource,
        flow,
      );
    }
    // msal-node refused before or after the wire (configuration, unreadable answer).
    const e = err as { errorCode?: unknown; errorMessage?: unknown; message?: unknown };
    const message = typeof e.errorMessage === "string" && e.errorMessage ? e.errorMessage : String(e.message ?? err);
    return new TokenError(
      aadstsIn(message),
      typeof e.errorCode === "string" ? e.errorCode : "client_error",
      null,
      redact(firstLine(message)),
      tenantId,
      resource,
      flow,
    );
  }
}

function aadstsIn(text: string): number | null {
  const m = /AADSTS(\d+)/.exec(text);
  return m?.[1] ? Number(m[1]) : null;
}

function firstLine(text: string): string {
  return (text.split(/\r?\n/)[0] ?? "").trim();
}
