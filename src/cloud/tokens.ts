/**
 * Access tokens for CIPP-SAM, through @azure/msal-node: delegated tokens redeemed from the service
 * account's refresh token (Partner Center in the partner tenant, Graph in any tenant) and app-only
 * Graph tokens from client credentials. Cached per (flow, tenant, resource); the rotated refresh
 * token is captured so the caller can persist it.
 */
import { X509Certificate } from "node:crypto";
import { AuthError, ConfidentialClientApplication, type AuthenticationResult, type Configuration } from "@azure/msal-node";
import type { CloudEndpoints } from "./endpoints";
import type { HttpClient } from "./http";
import { RequestCounter, withoutQuery } from "./pipeline";
import { ServiceError, aadstsIn, firstLine, readEntraErrorBody, readExpiresIn, readRefreshToken } from "./service-error";
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
export class TokenError extends ServiceError {
  override readonly name: string = "TokenError";
  constructor(
    /** The AADSTS number (65001, 50020, ...), or null when the failure did not come from Entra ID. */
    readonly aadsts: number | null,
    /** OAuth `error` ("invalid_grant", ...), or "network_error" / "no_response". */
    readonly error: string,
    /** HTTP status of the token endpoint's answer; null when none came. */
    status: number | null,
    /** What Entra ID said (first line of `error_description`), secrets masked. */
    readonly description: string,
    readonly tenantId: string,
    readonly resource: TokenResource,
    readonly flow: "refresh-token" | "client-credentials",
    /** Entra ID's `trace_id` (or `x-ms-request-id`), which its sign-in logs show. */
    requestId: string | null = null,
  ) {
    super(
      { service: "entra-id", status, code: aadsts !== null ? `AADSTS${aadsts}` : error, requestId, detail: description },
      `Token request (${flow === "refresh-token" ? "delegated" : "app-only"}, ${resource}) in tenant ${tenantId} failed: ` +
        (aadsts !== null ? `AADSTS${aadsts} ` : "") +
        `${error}${status !== null ? ` (HTTP ${status})` : ""}: ${description}`,
    );
  }
}

export interface TokenProviderOptions {
  readonly endpoints: CloudEndpoints;
  /** The partner's tenant: where an unknown application is told apart from one not yet consented. */
  readonly partnerTenantId?: string;
  readonly applicationId: string;
  readonly credential: AppCredential;
  readonly refreshToken: string;
  readonly http: HttpClient;
}

/** Tokens are renewed this long before they expire, so a request never leaves with a dying token. */
const EXPIRY_MARGIN_MS = 5 * 60_000;

/** Scopes msal-node adds to every refresh-token request; they say nothing about the API's permissions. */
const OIDC_SCOPES = new Set(["openid", "profile", "offline_access", "email"]);

type Flow = TokenError["flow"];

/**
 * Whether Entra ID refused something every tenant shares: CIPP-SAM's own credential (secret,
 * certificate, federated credential), the application itself, or the service account's refresh
 * token. Such a refusal answers the same in every tenant, so asking again elsewhere only adds
 * failed sign-ins (which Entra ID records and may lock out). A consent, GDAP or Conditional Access
 * problem is the tenant's own and is not one of these.
 */
export function refusesEveryTenant(error: TokenError, partnerTenantId?: string): boolean {
  if (error.aadsts === null) return false;
  if (EVERY_TENANT_AADSTS.has(error.aadsts)) return true;
  // "Application not found in the directory": in a customer tenant it also means "not consented
  // yet"; in the partner's tenant, or when redeeming the refresh token (which a missing consent
  // answers with AADSTS65001), it means the application id is wrong.
  return error.aadsts === 700016 && (error.flow === "refresh-token" || error.tenantId === partnerTenantId);
}

/**
 * Bad or expired client secret, certificate or assertion, federated credential mismatch (the
 * Microsoft identity platform's error reference); refresh token expired, revoked or issued to
 * another client.
 */
const EVERY_TENANT_AADSTS: ReadonlySet<number> = new Set([
  7000215, 7000222, 700027, 50012, 70021, 700211, 700212, 700213, 7002138, 700024, 7000218, 700082, 70008, 50173, 9002313, 700007,
]);

/**
 * Thrown instead of a token request once Entra ID refused a credential every tenant shares (see
 * {@link refusesEveryTenant}): nothing is sent.
 */
export class CredentialRefusedError extends ServiceError {
  override readonly name: string = "CredentialRefusedError";
  constructor(readonly refusal: TokenError) {
    // The refusal's fields: the cause to act on is the one Entra ID gave.
    super(refusal, `Not attempted: Entra ID already refused the credential every tenant shares. ${refusal.message}`);
  }
}

/** Issues and caches CIPP-SAM's tokens. One per run; shared by every tenant. */
export class TokenProvider {
  private refreshToken: string;
  private readonly cache = new Map<string, AccessToken>();
  private readonly inflight = new Map<string, Promise<AccessToken>>();
  /** Per tenant, the access tokens issued this run: the redactor is told to forget them when the tenant is released. */
  private readonly issued = new Map<string, string[]>();
  private readonly certificate: { thumbprintSha256: string; privateKey: string; x5c: string } | null;
  /** Token endpoint HTTP requests sent (retries included); the pipeline's counting policy fills it. */
  private readonly counter = new RequestCounter();
  /** Flows that have issued a token this run: their credential is known good. */
  private readonly proven = new Set<Flow>();
  /** Per flow, the end of the queue of first sign-ins, which go one at a time until one succeeds. */
  private readonly firstSignIns = new Map<Flow, Promise<void>>();
  private refusal: TokenError | null = null;
  /**
   * Told of that refusal as it happens, in the asynchronous context of the request Entra ID
   * refused (so a caller can tell whose request it was).
   */
  onRefusal: ((refusal: TokenError) => void) | null = null;

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

  /** Token endpoint HTTP requests sent (retries included), for cost accounting. */
  get requestCount(): number {
    return this.counter.token;
  }

  /** The service account's delegated token in `tenantId` (the partner tenant for Partner Center). */
  delegated(tenantId: string, resource: TokenResource, options: TokenOptions = {}): Promise<AccessToken> {
    return this.cached(delegatedKey(resource, tenantId), options, () => this.redeemRefreshToken(tenantId, resource));
  }

  /** CIPP-SAM's app-only Graph token in `tenantId`. */
  appOnly(tenantId: string, options: TokenOptions = {}): Promise<AccessToken> {
    return this.cached(appOnlyKey(tenantId), options, () => this.clientCredentials(tenantId));
  }

  /**
   * Forgets every token for the tenant, e.g. after its consent or grants changed: cached ones, and
   * ones still being requested, which Entra ID may issue with the scopes from before the change.
   * The tenant's keys are named, not searched for: a fleet's cache would make that a scan per call.
   */
  invalidate(tenantId: string): void {
    for (const key of keysOf(tenantId)) this.forget(key);
  }

  /**
   * Drops the cached tokens of a tenant the run is done with, so that a fleet's tokens do not pile
   * up, here or in the redactor (which keeps masking them by their JWT shape; see
   * SecretRedactor.forget). The partner's are kept: Partner Center and the GDAP checks of every tenant use them.
   */
  release(tenantId: string): void {
    if (tenantId === this.options.partnerTenantId) return;
    for (const key of keysOf(tenantId)) this.cache.delete(key);
    for (const token of this.issued.get(tenantId) ?? []) this.options.http.redactor.forget(token);
    this.issued.delete(tenantId);
  }

  /** How many tokens are cached, for checks that a fleet run keeps none of the tenants it finished. */
  cachedCount(): number {
    return this.cache.size;
  }

  /** The refusal of a credential every tenant shares, once Entra ID gave one; no token request is sent after it. */
  credentialRefusal(): TokenError | null {
    return this.refusal;
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
    const promise: Promise<AccessToken> = acquire()
      .then((token) => {
        // A token requested before a forget (which drops it from `inflight`) may carry the old
        // scopes: hand it to who asked, keep it from everyone else.
        if (this.inflight.get(key) === promise) this.cache.set(key, token);
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
  }

  /**
   * Runs a token request of `flow`. Until the flow has issued a token once, its requests go one at
   * a time: when the first is refused for a reason every tenant shares, the others are never sent,
   * so a wrong client secret costs one failed sign-in, not one per tenant.
   */
  private async signIn(flow: Flow, request: () => Promise<AccessToken>): Promise<AccessToken> {
    if (this.refusal !== null) throw new CredentialRefusedError(this.refusal);
    if (this.proven.has(flow)) return this.attempt(request);
    const before = this.firstSignIns.get(flow) ?? Promise.resolve();
    let release = (): void => undefined;
    const mine = new Promise<void>((resolve) => (release = resolve));
    this.firstSignIns.set(
      flow,
      before.then(() => mine),
    );
    await before;
    if (this.proven.has(flow)) {
      // Another request proved the credential while this one queued: no need to hold the others.
      release();
      return this.attempt(request);
    }
    try {
      // Another request may have been refused while this one waited for `before`; TypeScript keeps the
      // check at the top of the method as if nothing could have changed across the await.
      // eslint-disable-next-line @typescript-eslint/no-unnecessary-condition -- set by a concurrent sign-in during the await
      if (this.refusal !== null) throw new CredentialRefusedError(this.refusal);
      const token = await this.attempt(request);
      this.proven.add(flow);
      return token;
    } finally {
      release();
    }
  }

  private async attempt(request: () => Promise<AccessToken>): Promise<AccessToken> {
    try {
      return await request();
    } catch (error) {
      if (error instanceof TokenError && this.refusal === null && refusesEveryTenant(error, this.options.partnerTenantId)) {
        this.refusal = error;
        this.onRefusal?.(error);
      }
      throw error;
    }
  }

  private redeemRefreshToken(tenantId: string, resource: TokenResource): Promise<AccessToken> {
    return this.signIn("refresh-token", () => this.sendRefreshToken(tenantId, resource));
  }

  private clientCredentials(tenantId: string): Promise<AccessToken> {
    return this.signIn("client-credentials", () => this.sendClientCredentials(tenantId));
  }

  private async sendRefreshToken(tenantId: string, resource: TokenResource): Promise<AccessToken> {
    const { client, network } = this.newClient(tenantId);
    const usedRefreshToken = this.refreshToken;
    const requested = this.lifetimeStart();
    try {
      const result = await client.acquireTokenByRefreshToken({
        refreshToken: usedRefreshToken,
        scopes: [`${this.resourceUri(resource)}/.default`],
      });
      if (!result) throw new Error("msal-node returned no token");
      this.captureRotatedRefreshToken(network, usedRefreshToken);
      return this.toAccessToken(result, tenantId, resource, requested, network);
    } catch (err) {
      throw this.tokenError(err, network, tenantId, resource, "refresh-token");
    }
  }

  private async sendClientCredentials(tenantId: string): Promise<AccessToken> {
    const { client, network } = this.newClient(tenantId);
    const requested = this.lifetimeStart();
    try {
      const result = await client.acquireTokenByClientCredential({
        scopes: [`${this.options.endpoints.graphResource}/.default`],
        skipCache: true,
      });
      if (!result) throw new Error("msal-node returned no token");
      return this.toAccessToken(result, tenantId, "graph", requested, network);
    } catch (err) {
      throw this.tokenError(err, network, tenantId, "graph", "client-credentials");
    }
  }

  /**
   * A new msal client per token request: msal-node keeps a throttle cache that would fail identical
   * requests without network traffic for up to an hour after a 429, and our own cache and retry
   * policy already do that job. With the authority metadata given, msal-node makes no discovery call.
   */
  private newClient(tenantId: string): { client: ConfidentialClientApplication; network: RecordingNetworkModule } {
    const login = this.options.endpoints.login.replace(/\/+$/, "");
    const network = new RecordingNetworkModule(this.options.http, this.counter);
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

  /**
   * Keeps the refresh token Entra ID rotated. msal-node offers no supported way to read a refresh
   * token (its results leave it out on purpose, and its serialized cache is an internal format), so
   * it is read where OAuth 2.0 defines it: the `refresh_token` of the token endpoint's answer
   * (RFC 6749 §5.1), as this client's network module received it.
   */
  private captureRotatedRefreshToken(network: RecordingNetworkModule, used: string): void {
    const rotated = network.last?.kind === "response" ? readRefreshToken(network.last.body) : null;
    if (rotated === null || rotated === used) return;
    this.options.http.redactor.register(rotated);
    // Only move forward: a concurrent request may already have rotated past `used`.
    if (this.refreshToken === used) this.refreshToken = rotated;
  }

  /** When a token request leaves, on the run's clock and on msal-node's (real time), to date its lifetime from. */
  private lifetimeStart(): { readonly clock: number; readonly real: number } {
    return { clock: this.options.http.clock(), real: Date.now() };
  }

  private toAccessToken(
    result: AuthenticationResult,
    tenantId: string,
    resource: TokenResource,
    requested: { readonly clock: number; readonly real: number },
    network: RecordingNetworkModule,
  ): AccessToken {
    this.options.http.redactor.register(result.accessToken);
    const issued = this.issued.get(tenantId);
    if (issued) issued.push(result.accessToken);
    else this.issued.set(tenantId, [result.accessToken]);
    const prefix = `${this.resourceUri(resource)}/`;
    return {
      token: result.accessToken,
      tenantId,
      expiresAt: requested.clock + lifetimeMs(result, requested.real, network),
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
      return new TokenError(null, "network_error", null, redact(last.error.message), tenantId, resource, flow, last.error.requestId);
    }
    if (last?.kind === "response" && last.status >= 400) {
      const body = readEntraErrorBody(last.body);
      return new TokenError(
        body?.aadsts ?? null,
        body?.error ?? "unknown_error",
        last.status,
        redact(firstLine(body?.description ?? "") || `no description (${withoutQuery(this.options.endpoints.login)})`),
        tenantId,
        resource,
        flow,
        body?.traceId ?? last.requestId,
      );
    }
    // msal-node refused before or after the wire (configuration, unreadable answer).
    const message = err instanceof AuthError && err.errorMessage ? err.errorMessage : err instanceof Error ? err.message : String(err);
    return new TokenError(
      aadstsIn(message),
      err instanceof AuthError && err.errorCode ? err.errorCode : "client_error",
      null,
      redact(firstLine(message)),
      tenantId,
      resource,
      flow,
    );
  }
}

function delegatedKey(resource: TokenResource, tenantId: string): string {
  return `delegated|${resource}|${tenantId}`;
}

function appOnlyKey(tenantId: string): string {
  return `app|graph|${tenantId}`;
}

/** Every cache key a tenant's tokens can have. */
function keysOf(tenantId: string): string[] {
  return [delegatedKey("graph", tenantId), delegatedKey("partnerCenter", tenantId), appOnlyKey(tenantId)];
}

/**
 * How long a token lives, from when it was requested. The token endpoint's `expires_in` says it;
 * msal-node's `expiresOn` is that lifetime added to real time, which the run's clock need not
 * follow (a sandbox's clock jumps ahead), so the lifetime is dated on the run's clock instead.
 */
function lifetimeMs(result: AuthenticationResult, requestedReal: number, network: RecordingNetworkModule): number {
  const seconds = network.last?.kind === "response" ? readExpiresIn(network.last.body) : null;
  if (seconds !== null) return seconds * 1000;
  return result.expiresOn ? Math.max(0, result.expiresOn.getTime() - requestedReal) : 55 * 60_000;
}
