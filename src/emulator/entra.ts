/**
 * Entra ID's v2 token endpoint and discovery documents (Microsoft identity platform documentation:
 * "OAuth 2.0 client credentials flow", "Certificate credentials", "Workload identity federation"): client
 * credentials with a secret, a certificate assertion or a federated assertion, and partner
 * refresh tokens redeemed in the partner tenant or, through GDAP, in a customer tenant.
 */
import { effectiveGdapRoles } from "./gdap-access";
import { X509Certificate, createPublicKey, randomBytes } from "node:crypto";
import jwt from "jsonwebtoken";
import type { EmuRequest, EmuResponse, IdGenerator } from "./context";
import type { VirtualClock } from "./clock";
import { canonicalGuid, findServicePrincipal, findTenant, permissionsOf, publishedScopeNames } from "./state";
import type { OidcTestIssuer, TokenService } from "./tokens";
import { GRAPH_APP_ID, PARTNER_CENTER_APP_ID, type ApplicationSpec, type TenantState, type UserSpec, type World } from "./world";

/** What the login handlers need besides the request. */
export interface LoginDeps {
  readonly world: () => World;
  readonly clock: VirtualClock;
  readonly ids: IdGenerator;
  readonly tokens: TokenService;
  readonly oidcIssuer: OidcTestIssuer;
  readonly baseUrl: string;
}

/** Resource identifier URIs of first-party apps as clients name them in `scope`. */
const RESOURCE_URIS: Readonly<Record<string, string>> = {
  "https://graph.microsoft.com": GRAPH_APP_ID,
  "https://api.partnercenter.microsoft.com": PARTNER_CENTER_APP_ID,
  "https://outlook.office365.com": "00000002-0000-0ff1-ce00-000000000000",
  "https://outlook.office.com": "00000002-0000-0ff1-ce00-000000000000",
  "https://manage.office.com": "c5393580-f805-4401-95e8-94b7a6ef2fc2",
  "https://api.securitycenter.microsoft.com": "fc780465-2017-40d4-a0c5-307022471b92",
  "https://api.securitycenter.windows.com": "fc780465-2017-40d4-a0c5-307022471b92",
  "https://api.aadrm.com": "00000012-0000-0000-c000-000000000000",
  "https://admin.microsoft.com": "00000006-0000-0ff1-ce00-000000000000",
  "https://licensing.m365.microsoft.com": "aeb86249-8ea3-49e2-900b-54cc8e308f85",
};
const OIDC_SCOPES = new Set(["openid", "profile", "offline_access", "email"]);
const JWT_BEARER = "urn:ietf:params:oauth:client-assertion-type:jwt-bearer";

interface AadError {
  status: number;
  error: string;
  code: number;
  description: string;
  suberror?: string;
}

class TokenRequestError extends Error {
  constructor(readonly aad: AadError) {
    super(aad.description);
  }
}

const fail = (status: number, error: string, code: number, description: string, suberror?: string): never => {
  throw new TokenRequestError({ status, error, code, description, ...(suberror ? { suberror } : {}) });
};

/** Answers every `login` request: token endpoint, OpenID configuration, keys, instance discovery. */
export function handleLogin(req: EmuRequest, deps: LoginDeps): EmuResponse {
  const segments = req.path.split("/").filter((s) => s !== "");
  const tenantSegment = segments[0] ?? "";
  const rest = segments.slice(1).join("/");
  try {
    if (tenantSegment === "common" && rest === "discovery/instance") return instanceDiscovery(deps);
    if (rest === "oauth2/v2.0/token") {
      if (req.method !== "POST") fail(405, "invalid_request", 900561, "The endpoint only accepts POST requests.");
      return tokenEndpoint(req, tenantSegment, deps);
    }
    if (rest === "v2.0/.well-known/openid-configuration") return openIdConfiguration(tenantSegment, deps);
    if (rest === "discovery/v2.0/keys") return { status: 200, body: { keys: [deps.tokens.key.jwk()] } };
    return { status: 404, body: { error: "not_found", error_description: `No login endpoint at ${req.path}.` } };
  } catch (e) {
    if (e instanceof TokenRequestError) return aadErrorResponse(e.aad, deps);
    throw e;
  }
}

/** The AADSTS error envelope (Microsoft Entra documentation: "Authentication and authorization error codes"). */
function aadErrorResponse(aad: AadError, deps: LoginDeps): EmuResponse {
  const traceId = deps.ids.guid();
  const correlationId = deps.ids.guid();
  const timestamp = new Date(deps.clock.now())
    .toISOString()
    .replace("T", " ")
    .replace(/\.\d+Z$/, "Z");
  return {
    status: aad.status,
    headers: { "content-type": "application/json; charset=utf-8", ...(aad.status === 401 ? { "www-authenticate": 'Basic realm=""' } : {}) },
    body: {
      error: aad.error,
      error_description: `AADSTS${aad.code}: ${aad.description}\r\nTrace ID: ${traceId}\r\nCorrelation ID: ${correlationId}\r\nTimestamp: ${timestamp}`,
      error_codes: [aad.code],
      timestamp,
      trace_id: traceId,
      correlation_id: correlationId,
      ...(aad.suberror ? { suberror: aad.suberror } : {}),
      error_uri: `${deps.baseUrl}/error?code=${aad.code}`,
    },
  };
}

function resolveTenant(segment: string, world: World): TenantState {
  const tenant = findTenant(world, segment);
  if (!tenant) {
    return fail(
      400,
      "invalid_request",
      90002,
      `Tenant '${segment}' not found. Check to make sure you have the correct tenant ID and are signing into the correct cloud. Check with your subscription administrator, this may happen if there are no active subscriptions for the tenant.`,
    );
  }
  return tenant;
}

function openIdConfiguration(segment: string, deps: LoginDeps): EmuResponse {
  const generic = segment === "common" || segment === "organizations";
  const tid = generic ? segment : resolveTenant(segment, deps.world()).tenantId;
  const base = deps.baseUrl;
  return {
    status: 200,
    body: {
      token_endpoint: `${base}/${tid}/oauth2/v2.0/token`,
      token_endpoint_auth_methods_supported: ["client_secret_post", "private_key_jwt", "client_secret_basic"],
      jwks_uri: `${base}/${tid}/discovery/v2.0/keys`,
      response_modes_supported: ["query", "fragment", "form_post"],
      subject_types_supported: ["pairwise"],
      id_token_signing_alg_values_supported: ["RS256"],
      response_types_supported: ["code", "id_token", "code id_token", "id_token token"],
      scopes_supported: ["openid", "profile", "email", "offline_access"],
      issuer: `${base}/${generic ? "{tenantid}" : tid}/v2.0`,
      request_uri_parameter_supported: false,
      authorization_endpoint: `${base}/${tid}/oauth2/v2.0/authorize`,
      device_authorization_endpoint: `${base}/${tid}/oauth2/v2.0/devicecode`,
      end_session_endpoint: `${base}/${tid}/oauth2/v2.0/logout`,
      tenant_region_scope: null,
      cloud_instance_name: "microsoftonline.com",
      cloud_graph_host_name: "graph.windows.net",
      msgraph_host: "graph.microsoft.com",
    },
  };
}

function instanceDiscovery(deps: LoginDeps): EmuResponse {
  const host = new URL(deps.baseUrl).host;
  return {
    status: 200,
    body: {
      tenant_discovery_endpoint: `${deps.baseUrl}/{tenant}/v2.0/.well-known/openid-configuration`,
      "api-version": "1.1",
      metadata: [{ preferred_network: host, preferred_cache: host, aliases: [host] }],
    },
  };
}

/** Form fields; msal-node's extra fields (telemetry, claims, client_info) are simply ignored. */
function formOf(req: EmuRequest): Record<string, string> {
  const body = req.body;
  if (typeof body !== "object" || body === null) return {};
  const form: Record<string, string> = {};
  for (const [k, v] of Object.entries(body)) if (typeof v === "string") form[k] = v;
  return form;
}

function tokenEndpoint(req: EmuRequest, tenantSegment: string, deps: LoginDeps): EmuResponse {
  const world = deps.world();
  const form = formOf(req);
  const basic = basicCredentials(req.headers.authorization);
  const presentedClientId = form.client_id ?? basic?.clientId;
  const clientId = presentedClientId === undefined ? undefined : canonicalGuid(presentedClientId);
  const grantType = form.grant_type;
  if (!grantType) fail(400, "invalid_request", 900144, "The request body must contain the following parameter: 'grant_type'.");
  if (grantType !== "client_credentials" && grantType !== "refresh_token") {
    fail(400, "unsupported_grant_type", 70003, `The app requested an unsupported grant type '${grantType}'.`);
  }
  if (!clientId) return fail(400, "invalid_request", 900144, "The request body must contain the following parameter: 'client_id'.");

  const generic = tenantSegment === "common" || tenantSegment === "organizations";
  if (generic && grantType === "client_credentials") {
    fail(
      400,
      "invalid_request",
      90002,
      `Tenant '${tenantSegment}' is not valid for the client credentials flow; use a tenant-specific endpoint.`,
    );
  }
  const tenant = generic ? resolveTenant(world.partnerTenantId, world) : resolveTenant(tenantSegment, world);
  const app = world.applications.get(clientId);
  if (!app) {
    return fail(
      400,
      "unauthorized_client",
      700016,
      `Application with identifier '${clientId}' was not found in the directory '${tenant.displayName}'. This can happen if the application has not been installed by the administrator of the tenant or consented to by any user in the tenant. You may have sent your authentication request to the wrong tenant.`,
    );
  }
  authenticateClient(app, form, basic?.secret, tenantSegment, deps);

  const resource = parseScope(form.scope, tenant, world, grantType === "client_credentials");
  return grantType === "client_credentials"
    ? clientCredentials(app, tenant, resource, deps)
    : refreshToken(app, tenant, resource, form, deps);
}

function basicCredentials(header: string | undefined): { clientId: string; secret: string } | undefined {
  const m = /^Basic\s+(\S+)$/i.exec(header ?? "");
  if (!m?.[1]) return undefined;
  const decoded = Buffer.from(m[1], "base64").toString("utf8");
  const colon = decoded.indexOf(":");
  if (colon < 0) return undefined;
  return { clientId: decodeURIComponent(decoded.slice(0, colon)), secret: decodeURIComponent(decoded.slice(colon + 1)) };
}

function authenticateClient(
  app: ApplicationSpec,
  form: Record<string, string>,
  basicSecret: string | undefined,
  tenantSegment: string,
  deps: LoginDeps,
): void {
  const secret = form.client_secret ?? basicSecret;
  if (secret !== undefined) {
    const match = (app.secrets ?? []).find((s) => s.value === secret);
    if (!match) {
      fail(
        401,
        "invalid_client",
        7000215,
        `Invalid client secret provided. Ensure the secret being sent in the request is the client secret value, not the client secret ID, for a secret added to app '${app.appId}'.`,
      );
    }
    if (match?.expires !== undefined && Date.parse(match.expires) <= deps.clock.now()) {
      fail(
        401,
        "invalid_client",
        7000222,
        `The provided client secret keys for app '${app.appId}' are expired. Visit the Azure portal to create new keys for your app.`,
      );
    }
    return;
  }
  const assertion = form.client_assertion;
  if (assertion === undefined) {
    fail(401, "invalid_client", 7000218, "The request body must contain the following parameter: 'client_assertion' or 'client_secret'.");
    return;
  }
  if (form.client_assertion_type !== JWT_BEARER) {
    fail(400, "invalid_request", 700025, `Client assertion type must be '${JWT_BEARER}'.`);
  }
  const decoded = jwt.decode(assertion, { complete: true });
  if (!decoded || typeof decoded.payload === "string") {
    fail(401, "invalid_client", 50027, "JWT token is invalid or malformed.");
    return;
  }
  const header = decoded.header as unknown as Record<string, unknown>;
  const issuer = decoded.payload.iss;
  if (canonicalGuid(issuer ?? "") === app.appId && (typeof header.x5t === "string" || typeof header["x5t#S256"] === "string")) {
    certificateAssertion(app, assertion, header, tenantSegment, deps);
  } else {
    federatedAssertion(app, assertion, issuer ?? "", deps);
  }
}

function certificateAssertion(
  app: ApplicationSpec,
  assertion: string,
  header: Record<string, unknown>,
  tenantSegment: string,
  deps: LoginDeps,
): void {
  const thumbprintOf = (pem: string): { sha1: string; sha256: string } => {
    const cert = new X509Certificate(pem);
    const hex = (f: string): Buffer => Buffer.from(f.replace(/:/g, ""), "hex");
    return { sha1: hex(cert.fingerprint).toString("base64url"), sha256: hex(cert.fingerprint256).toString("base64url") };
  };
  const presented = { sha1: header.x5t, sha256: header["x5t#S256"] };
  const cert = (app.certificates ?? []).find((c) => {
    const t = thumbprintOf(c.certificatePem);
    return t.sha1 === presented.sha1 || t.sha256 === presented.sha256;
  });
  if (!cert) {
    fail(
      401,
      "invalid_client",
      700027,
      `The certificate with identifier used to sign the client assertion is not registered on application '${app.appId}'.`,
    );
    return;
  }
  const endpoint = `${deps.baseUrl}/${tenantSegment}/oauth2/v2.0/token`;
  const tenant = findTenant(deps.world(), tenantSegment);
  const audiences: [string, ...string[]] = [endpoint, ...(tenant ? [`${deps.baseUrl}/${tenant.tenantId}/oauth2/v2.0/token`] : [])];
  let claims: string | jwt.JwtPayload = "";
  try {
    claims = jwt.verify(assertion, createPublicKey(cert.certificatePem), {
      algorithms: ["RS256", "PS256"],
      audience: audiences,
      clockTimestamp: Math.floor(deps.clock.now() / 1000),
      clockTolerance: ASSERTION_CLOCK_SKEW_SECONDS,
    });
  } catch (e) {
    if (e instanceof jwt.TokenExpiredError) fail(401, "invalid_client", 700024, "Client assertion is not within its valid time range.");
    if (e instanceof jwt.JsonWebTokenError && e.message.includes("audience")) {
      fail(401, "invalid_client", 700212, `Client assertion audience claim does not match the token endpoint '${endpoint}'.`);
    }
    fail(401, "invalid_client", 700027, "Client assertion failed signature validation.");
  }
  // The client id is a GUID: the directory matches it in any case.
  const isClient = (claim: unknown): boolean => typeof claim === "string" && canonicalGuid(claim) === app.appId;
  if (typeof claims === "string" || !isClient(claims.iss) || !isClient(claims.sub)) {
    fail(401, "invalid_client", 700023, "Client assertion issuer and subject must both be the client id.");
  }
}

/**
 * Entra ID allows five minutes of clock skew on client assertions; msal-node rounds `nbf` to the
 * second, so without a tolerance a fresh assertion can look like it is from the future.
 */
const ASSERTION_CLOCK_SKEW_SECONDS = 300;

function federatedAssertion(app: ApplicationSpec, assertion: string, issuer: string, deps: LoginDeps): void {
  const world = deps.world();
  const keys: string[] = world.federatedIssuers.filter((i) => i.issuer === issuer).flatMap((i) => [...i.publicKeysPem]);
  if (issuer === deps.oidcIssuer.issuer) keys.push(deps.oidcIssuer.key.publicKeyPem());
  const credentials = (app.federatedCredentials ?? []).filter((c) => c.issuer === issuer);
  if (keys.length === 0 || credentials.length === 0) {
    fail(
      401,
      "invalid_client",
      700211,
      `No matching federated identity record found for presented assertion issuer '${issuer}'. Please check your federated identity credential Subject, Audience and Issuer against the presented assertion.`,
    );
  }
  let payload: jwt.JwtPayload | undefined;
  for (const pem of keys) {
    try {
      const p = jwt.verify(assertion, createPublicKey(pem), {
        algorithms: ["RS256"],
        clockTimestamp: Math.floor(deps.clock.now() / 1000),
        clockTolerance: ASSERTION_CLOCK_SKEW_SECONDS,
      });
      if (typeof p !== "string") payload = p;
      break;
    } catch (e) {
      if (e instanceof jwt.TokenExpiredError) fail(400, "invalid_client", 700024, "Client assertion is not within its valid time range.");
    }
  }
  if (!payload) return fail(401, "invalid_client", 50013, "Assertion failed signature validation.");
  const subject = payload.sub ?? "";
  const audiences = Array.isArray(payload.aud) ? payload.aud : [payload.aud ?? ""];
  // Entra matches the issuer, then the audience, then the subject, and names the first that fails
  // (AADSTS700211 issuer, 700212 audience, 700213 subject): a wrong audience is not a subject problem.
  const forAudience = credentials.filter((c) => c.audiences.some((a) => audiences.includes(a)));
  if (forAudience.length === 0) {
    fail(
      401,
      "invalid_client",
      700212,
      `No matching federated identity record found for presented assertion audience '${audiences.join(",")}'. Please check your federated identity credential Subject, Audience and Issuer against the presented assertion.`,
    );
  }
  if (forAudience.some((c) => c.subject === subject)) return;
  if (forAudience.some((c) => c.subject.toLowerCase() === subject.toLowerCase())) {
    fail(
      401,
      "invalid_client",
      7002138,
      `No matching federated identity record found for presented assertion subject '${subject}'. The subject matches with case-insensitive comparison, but not with case-sensitive comparison. Please check your federated identity credential Subject, Audience and Issuer against the presented assertion.`,
    );
  }
  fail(
    401,
    "invalid_client",
    700213,
    `No matching federated identity record found for presented assertion subject '${subject}'. Please check your federated identity credential Subject, Audience and Issuer against the presented assertion.`,
  );
}

interface RequestedResource {
  /** The audience as the client named it, e.g. "https://graph.microsoft.com". */
  readonly audience: string;
  readonly appId: string;
  /** Scope names requested other than ".default". */
  readonly scopes: readonly string[];
  readonly oidcScopes: readonly string[];
}

function parseScope(raw: string | undefined, tenant: TenantState, world: World, defaultOnly: boolean): RequestedResource {
  if (!raw) return fail(400, "invalid_request", 900144, "The request body must contain the following parameter: 'scope'.");
  const parts = raw.split(/\s+/).filter((s) => s !== "");
  const oidcScopes = parts.filter((s) => OIDC_SCOPES.has(s));
  const resources = new Map<string, string[]>();
  for (const part of parts.filter((s) => !OIDC_SCOPES.has(s))) {
    const slash = part.lastIndexOf("/");
    if (slash <= 0)
      return fail(
        400,
        "invalid_scope",
        70011,
        `The provided value for the input parameter 'scope' is not valid. The scope '${part}' does not name a resource.`,
      );
    // A resource named by its appId is a GUID, matched in any case and answered in canonical form.
    const audience = canonicalGuid(part.slice(0, slash));
    resources.set(audience, [...(resources.get(audience) ?? []), part.slice(slash + 1)]);
  }
  if (resources.size !== 1) {
    fail(
      400,
      "invalid_scope",
      70011,
      `The provided value for the input parameter 'scope' is not valid. ${resources.size === 0 ? "No resource was requested." : "The scope names more than one resource."}`,
    );
  }
  const [audience, names] = [...resources][0] as [string, string[]];
  if (defaultOnly && names.some((n) => n !== ".default")) {
    fail(
      400,
      "invalid_scope",
      1002012,
      `The provided value for scope ${raw} is not valid. Client credential flows must have a scope value with /.default suffixed to the resource identifier (application ID URI).`,
    );
  }
  const appId =
    RESOURCE_URIS[audience.toLowerCase()] ??
    (world.firstPartyApps.has(audience) || world.applications.has(audience) ? audience : undefined);
  if (!appId) {
    return fail(
      400,
      "invalid_resource",
      500011,
      `The resource principal named ${audience} was not found in the tenant named ${tenant.displayName}. This can happen if the application has not been installed by the administrator of the tenant or consented to by any user in the tenant. You might have sent your authentication request to the wrong tenant.`,
    );
  }
  return { audience, appId, scopes: names.filter((n) => n !== ".default"), oidcScopes };
}

function requireResourceSp(tenant: TenantState, resource: RequestedResource): string {
  const sp = findServicePrincipal(tenant, resource.appId);
  if (!sp) {
    return fail(
      400,
      "invalid_resource",
      500011,
      `The resource principal named ${resource.audience} was not found in the tenant named ${tenant.displayName}. This can happen if the application has not been installed by the administrator of the tenant or consented to by any user in the tenant. You might have sent your authentication request to the wrong tenant.`,
    );
  }
  return sp.id;
}

function clientCredentials(app: ApplicationSpec, tenant: TenantState, resource: RequestedResource, deps: LoginDeps): EmuResponse {
  const world = deps.world();
  const appSp = findServicePrincipal(tenant, app.appId);
  if (!appSp) {
    return fail(
      400,
      "unauthorized_client",
      700016,
      `Application with identifier '${app.appId}' was not found in the directory '${tenant.displayName}'. This can happen if the application has not been installed by the administrator of the tenant or consented to by any user in the tenant. You may have sent your authentication request to the wrong tenant.`,
    );
  }
  const resourceSpId = requireResourceSp(tenant, resource);
  const published = permissionsOf(world, resource.appId).appRoles;
  const roles = [...tenant.appRoleAssignments.values()]
    .filter((a) => a.principalId === appSp.id && a.resourceId === resourceSpId)
    .map((a) => published.find((r) => r.id === a.appRoleId)?.value)
    .filter((v): v is string => v !== undefined);
  const lifetime = world.behaviour.tokenLifetimeSeconds;
  const { token } = deps.tokens.issueAccessToken(
    {
      aud: resource.audience,
      tid: tenant.tenantId,
      appid: app.appId,
      oid: appSp.id,
      ...(roles.length > 0 ? { roles: [...new Set(roles)].sort() } : {}),
      idtyp: "app",
    },
    lifetime,
  );
  return { status: 200, body: { token_type: "Bearer", expires_in: lifetime, ext_expires_in: lifetime, access_token: token } };
}

function refreshToken(
  app: ApplicationSpec,
  tenant: TenantState,
  resource: RequestedResource,
  form: Record<string, string>,
  deps: LoginDeps,
): EmuResponse {
  const world = deps.world();
  const presented = form.refresh_token;
  if (!presented) return fail(400, "invalid_request", 900144, "The request body must contain the following parameter: 'refresh_token'.");
  const state = world.refreshTokens.get(presented);
  if (!state) return fail(400, "invalid_grant", 9002313, "Invalid request. Request is malformed or invalid.");
  if (state.clientId !== app.appId) fail(400, "invalid_grant", 700007, "The grant was issued for a different client id.");
  if (state.status === "revoked") {
    fail(
      400,
      "invalid_grant",
      50173,
      "The provided grant has expired due to it being revoked, a fresh auth token is needed. The user might have changed or reset their password.",
    );
  }
  if (state.status === "expired")
    fail(400, "invalid_grant", 700082, "The refresh token has expired due to inactivity. The token was inactive for 90.00:00:00.");
  const user = world.users.get(state.userId);
  if (!user) return fail(400, "invalid_grant", 50034, "The user account does not exist in the directory.");

  if (tenant.tenantId !== world.partnerTenantId) {
    const active = effectiveGdapRoles(world, tenant.tenantId, deps.clock.now()).size > 0;
    if (!active) {
      fail(
        400,
        "invalid_grant",
        50020,
        `User account '${user.userPrincipalName}' from identity provider 'https://sts.windows.net/${world.partnerTenantId}/' does not exist in tenant '${tenant.displayName}' and cannot access the application '${app.appId}'(${app.displayName}) in that tenant. The account needs to be added as an external user in the tenant first. Sign out and sign in again with a different Azure Active Directory user account.`,
      );
    }
    if (tenant.conditionalAccessBlocks) {
      fail(
        400,
        "invalid_grant",
        53003,
        "Access has been blocked by Conditional Access policies. The access policy does not allow token issuance.",
      );
    }
  }

  const scopes = consentedScopes(world, app, tenant, resource, user);
  const lifetime = world.behaviour.tokenLifetimeSeconds;
  const { token } = deps.tokens.issueAccessToken(
    {
      aud: resource.audience,
      tid: tenant.tenantId,
      appid: app.appId,
      oid: user.id,
      upn: user.userPrincipalName,
      scp: scopes.join(" "),
      amr: user.mfa ? ["pwd", "mfa"] : ["pwd"],
      idtyp: "user",
    },
    lifetime,
  );
  const rotated = `0.emu.${randomBytes(48).toString("base64url")}`;
  world.refreshTokens.set(rotated, { token: rotated, userId: user.id, clientId: app.appId, status: "valid" });
  const qualify = (s: string): string => (resource.appId === GRAPH_APP_ID ? s : `${resource.audience}/${s}`);
  return {
    status: 200,
    body: {
      token_type: "Bearer",
      scope: [...scopes.map(qualify), ...resource.oidcScopes].join(" "),
      expires_in: lifetime,
      ext_expires_in: lifetime,
      access_token: token,
      refresh_token: rotated,
      // "id_token: issued only if openid was requested"; client_info only for client_info=1
      // (Microsoft identity platform and OAuth 2.0 authorization code flow). msal-node asks for both.
      ...(resource.oidcScopes.includes("openid")
        ? {
            id_token: deps.tokens.issueIdToken(
              {
                aud: app.appId,
                issuer: `${deps.baseUrl}/${tenant.tenantId}/v2.0`,
                tid: tenant.tenantId,
                oid: user.id,
                upn: user.userPrincipalName,
                name: user.userPrincipalName.split("@")[0] ?? user.userPrincipalName,
              },
              lifetime,
            ),
          }
        : {}),
      ...(form.client_info === "1"
        ? { client_info: Buffer.from(JSON.stringify({ uid: user.id, utid: world.partnerTenantId })).toString("base64url") }
        : {}),
    },
  };
}

/** The delegated scopes consented for the app on the resource in this tenant, now. */
function consentedScopes(world: World, app: ApplicationSpec, tenant: TenantState, resource: RequestedResource, user: UserSpec): string[] {
  const consentRequired = (): never =>
    fail(
      400,
      "invalid_grant",
      65001,
      `The user or administrator has not consented to use the application with ID '${app.appId}' named '${app.displayName}'. Send an interactive authorization request for this user and resource.`,
      "consent_required",
    );
  const appSp = findServicePrincipal(tenant, app.appId);
  if (!appSp) return consentRequired();
  const resourceSpId = requireResourceSp(tenant, resource);
  const names: string[] = [];
  for (const g of tenant.grants.values()) {
    if (g.clientId !== appSp.id || g.resourceId !== resourceSpId) continue;
    if (g.consentType === "Principal" && g.principalId !== user.id) continue;
    for (const s of g.scope.split(" ")) if (s !== "") names.push(s);
  }
  // Scope names are case-insensitive: a grant written in lower case grants the scope, and the
  // token names it as the resource publishes it.
  const granted = publishedScopeNames(world, resource.appId, names);
  const held = new Set(granted.map((s) => s.toLowerCase()));
  if (granted.length === 0 || resource.scopes.some((s) => !held.has(s.toLowerCase()))) return consentRequired();
  return granted;
}

/** The token endpoint's answer to an injected throttle (429) or outage (503). */
export function loginFaultResponse(kind: "throttle" | "unavailable", retryAfterSeconds: number | null, deps: LoginDeps): EmuResponse {
  const response =
    kind === "throttle"
      ? aadErrorResponse(
          {
            status: 429,
            error: "temporarily_unavailable",
            code: 90055,
            description: "TenantThrottlingError: There are too many incoming requests. This exception is thrown for blocked tenants.",
          },
          deps,
        )
      : aadErrorResponse(
          { status: 503, error: "temporarily_unavailable", code: 90033, description: "A transient error has occurred. Please try again." },
          deps,
        );
  return retryAfterSeconds === null
    ? response
    : { ...response, headers: { ...response.headers, "retry-after": String(retryAfterSeconds) } };
}
