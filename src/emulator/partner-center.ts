/**
 * Partner Center's application consent API (Partner Center documentation: "Get customer consent as a
 * Control Panel Vendor"): POST creates CIPP-SAM's
 * service principal and AllPrincipals grants in a customer tenant; DELETE removes them.
 */
import { effectiveGdapRoles } from "./gdap-access";
import type { EmuRequest, EmuResponse, IdGenerator, TokenVerifier } from "./context";
import type { VirtualClock } from "./clock";
import type { ProfileFaultInjector } from "./faults";
import {
  addServicePrincipal,
  canonicalGuid,
  findServicePrincipal,
  grantId,
  permissionsOf,
  removeGrant,
  removeServicePrincipal,
} from "./state";
import type { PerSecondLimiter } from "./throttle";
import { ROLE_TEMPLATES, type World } from "./world";

export interface PartnerCenterDeps {
  readonly world: () => World;
  readonly clock: VirtualClock;
  readonly ids: IdGenerator;
  readonly tokens: TokenVerifier;
  readonly faults: ProfileFaultInjector;
  /** 50 requests per second per applicationId; always on, as documented. */
  readonly limiter: PerSecondLimiter;
  /** First outcome of each POST by caller, customer and MS-RequestId, for idempotent retries. */
  readonly idempotency: Map<string, EmuResponse>;
}

const PARTNER_CENTER_AUDIENCE = "https://api.partnercenter.microsoft.com";
const CONSENT_ROLES: readonly string[] = [
  ROLE_TEMPLATES.globalAdministrator,
  ROLE_TEMPLATES.applicationAdministrator,
  ROLE_TEMPLATES.cloudApplicationAdministrator,
];

class PartnerCenterError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    description: string,
  ) {
    super(description);
  }
}

/** Answers every Partner Center request. */
export function handlePartnerCenter(req: EmuRequest, deps: PartnerCenterDeps): EmuResponse {
  const correlationId = req.headers["ms-correlationid"] ?? deps.ids.guid();
  const requestId = req.headers["ms-requestid"] ?? deps.ids.guid();
  const echo = { "ms-correlationid": correlationId, "ms-requestid": requestId };
  const world = deps.world();
  try {
    const route = /^\/v1\/customers\/([^/]+)\/applicationconsents(?:\/([^/]+))?$/i.exec(req.path);
    if (!route?.[1] || !((req.method === "POST" && !route[2]) || (req.method === "DELETE" && route[2]))) {
      throw new PartnerCenterError(404, "600010", `The resource '${req.method} ${req.path}' was not found.`);
    }
    const customerId = canonicalGuid(route[1]);
    const claims = authenticate(req, deps, world);

    const limit = deps.limiter.admit(claims.appid);
    if (!limit.ok) {
      return {
        status: 429,
        headers: { ...echo, "retry-after": String(limit.retryAfterSeconds) },
        body: { statusCode: 429, message: `Rate limit is exceeded. Try again in ${limit.retryAfterSeconds} seconds.` },
      };
    }
    if (req.method === "POST") {
      // A request id names one request: the same id for another customer or by another user is not a retry of it.
      const key = `${claims.appid}|${claims.userId}|${customerId}|${requestId}`;
      const first = req.headers["ms-requestid"] !== undefined ? deps.idempotency.get(key) : undefined;
      if (first) return { ...first, headers: { ...first.headers, ...echo } };
      const outcome = withEnvelopeOnError(() => postConsent(req, customerId, claims, deps));
      deps.idempotency.set(key, outcome);
      return { ...outcome, headers: { ...outcome.headers, ...echo } };
    }
    const outcome = withEnvelopeOnError(() => deleteConsent(canonicalGuid(decodeURIComponent(route[2] ?? "")), customerId, claims, deps));
    return { ...outcome, headers: { ...outcome.headers, ...echo } };
  } catch (e) {
    if (!(e instanceof PartnerCenterError)) throw e;
    const response = envelope(e, world);
    return { ...response, headers: { ...response.headers, ...echo } };
  }
}

function withEnvelopeOnError(run: () => EmuResponse): EmuResponse {
  try {
    return run();
  } catch (e) {
    if (e instanceof PartnerCenterError) return envelope(e);
    throw e;
  }
}

function envelope(e: PartnerCenterError, world?: World): EmuResponse {
  return {
    status: e.status,
    headers: e.status === 401 && world ? { "www-authenticate": `OAuth realm=urn:cpsvc:cpid:${world.partnerTenantId}` } : {},
    body: { code: e.code, description: e.message, data: [], source: "PartnerFD" },
  };
}

interface CallerClaims {
  readonly appid: string;
  readonly userId: string;
}

/** Partner Center accepts only App+User tokens for its own audience, issued in the partner tenant, with MFA. */
function authenticate(req: EmuRequest, deps: PartnerCenterDeps, world: World): CallerClaims {
  const check = deps.tokens.verify(req.headers.authorization);
  if (!check.ok) {
    if (check.reason === "missing") throw new PartnerCenterError(401, "800001", "Partner Token missing in request context");
    throw new PartnerCenterError(401, "400", "Access denied");
  }
  const c = check.claims;
  if (c.aud !== PARTNER_CENTER_AUDIENCE || c.tid !== world.partnerTenantId || c.idtyp !== "user" || c.oid === undefined) {
    throw new PartnerCenterError(401, "400", "Access denied");
  }
  if (!(c.amr ?? []).includes("mfa")) {
    throw new PartnerCenterError(
      401,
      "900421",
      "Multi-factor authentication is required: the access token must come from a sign-in that satisfied MFA.",
    );
  }
  return { appid: c.appid, userId: c.oid };
}

/** The caller must be an admin agent with an active GDAP relationship holding an app-consent role. */
function authorise(caller: CallerClaims, customerId: string, world: World, now: number): void {
  const user = world.users.get(caller.userId);
  const roles = effectiveGdapRoles(world, customerId, now);
  const related = CONSENT_ROLES.some((id) => roles.has(id));
  if (!user?.adminAgent || !related) throw new PartnerCenterError(403, "2032", "Access denied");
}

/** Reads a property case-insensitively: CIPP sends PascalCase, the documentation camelCase. */
function prop(obj: unknown, name: string): unknown {
  if (typeof obj !== "object" || obj === null) return undefined;
  const key = Object.keys(obj).find((k) => k.toLowerCase() === name.toLowerCase());
  return key === undefined ? undefined : (obj as Record<string, unknown>)[key];
}

function customerOf(customerId: string, world: World) {
  const tenant = world.tenants.get(customerId);
  if (!tenant || customerId === world.partnerTenantId) throw new PartnerCenterError(404, "60003", "Tenant not found");
  return tenant;
}

function postConsent(req: EmuRequest, customerId: string, caller: CallerClaims, deps: PartnerCenterDeps): EmuResponse {
  const world = deps.world();
  const presentedApplicationId = prop(req.body, "applicationId");
  const grantsIn = prop(req.body, "applicationGrants");
  if (typeof presentedApplicationId !== "string" || !Array.isArray(grantsIn) || grantsIn.length === 0) {
    throw new PartnerCenterError(400, "600000", "The request body must contain applicationId and a non-empty applicationGrants array.");
  }
  const applicationId = canonicalGuid(presentedApplicationId);
  if (applicationId !== caller.appid) {
    throw new PartnerCenterError(
      403,
      "2032",
      "Access denied: the application in the access token does not match the applicationId of the request.",
    );
  }
  const tenant = customerOf(customerId, world);
  authorise(caller, customerId, world, deps.clock.now());
  const app = world.applications.get(applicationId);
  if (!app) throw new PartnerCenterError(400, "600000", `Application '${applicationId}' was not found.`);

  const requested = grantsIn.map((g, i) => {
    const resourceAppId = prop(g, "enterpriseApplicationId");
    const scope = prop(g, "scope");
    if (typeof resourceAppId !== "string" || typeof scope !== "string") {
      throw new PartnerCenterError(400, "600000", `applicationGrants[${i}] must have enterpriseApplicationId and scope.`);
    }
    return {
      resourceAppId: canonicalGuid(resourceAppId),
      scopes: scope
        .split(",")
        .map((s) => s.trim())
        .filter((s) => s !== ""),
    };
  });

  // Everything is checked before anything is written, so a refused consent changes nothing.
  const existingAppSp = findServicePrincipal(tenant, app.appId);
  const plan = requested.map((r) => {
    const resourceSp = findServicePrincipal(tenant, r.resourceAppId);
    if (!resourceSp) {
      const name = world.firstPartyApps.get(r.resourceAppId)?.displayName ?? r.resourceAppId;
      throw new PartnerCenterError(
        400,
        "600018",
        `The app is trying to access a service '${r.resourceAppId}' (${name}) that your organization '${tenant.defaultDomain}' lacks a service principal for. Contact your IT Admin to review the configuration of your service subscriptions or consent to the application in order to create the required service principal.`,
      );
    }
    // Scope names compare without regard to case, as everywhere in Entra ID.
    const published = new Set(permissionsOf(world, r.resourceAppId).oauth2PermissionScopes.map((s) => s.value.toLowerCase()));
    const unknown = r.scopes.filter((s) => !published.has(s.toLowerCase()));
    if (unknown.length > 0) {
      throw new PartnerCenterError(
        400,
        "600019",
        `The scope(s) ${unknown.map((s) => `'${s}'`).join(", ")} do not exist on the resource '${resourceSp.displayName}'.`,
      );
    }
    if (existingAppSp && tenant.grants.has(grantId(existingAppSp.id, resourceSp.id))) {
      throw new PartnerCenterError(409, "600041", "Permission entry already exists.");
    }
    return { resourceSp, scopes: r.scopes };
  });
  const seen = new Set<string>();
  for (const p of plan) {
    if (seen.has(p.resourceSp.id)) throw new PartnerCenterError(409, "600041", "Permission entry already exists.");
    seen.add(p.resourceSp.id);
  }

  const now = deps.clock.now();
  const lag = deps.faults.lagMs("create");
  const appSp = existingAppSp ?? addServicePrincipal(world, tenant, app.appId, now, lag, deps.ids);
  for (const p of plan) {
    const id = grantId(appSp.id, p.resourceSp.id);
    tenant.grants.set(id, {
      id,
      clientId: appSp.id,
      resourceId: p.resourceSp.id,
      consentType: "AllPrincipals",
      principalId: null,
      scope: p.scopes.join(" "),
      createdAt: now,
      visibleAt: now + lag,
    });
  }
  return { status: 201, body: req.body };
}

function deleteConsent(appId: string, customerId: string, caller: CallerClaims, deps: PartnerCenterDeps): EmuResponse {
  const world = deps.world();
  if (appId !== caller.appid) {
    throw new PartnerCenterError(
      403,
      "2032",
      "Access denied: the application in the access token does not match the application of the request.",
    );
  }
  const tenant = customerOf(customerId, world);
  authorise(caller, customerId, world, deps.clock.now());
  const appSp = findServicePrincipal(tenant, appId);
  if (!appSp) throw new PartnerCenterError(404, "600051", `No application consent for '${appId}' exists in the customer tenant.`);
  if (world.behaviour.consentDeleteRemovesServicePrincipal) {
    removeServicePrincipal(tenant, appSp.id, deps.clock.now(), deps.faults.lagMs("delete"));
  } else {
    for (const [id, g] of tenant.grants)
      if (g.clientId === appSp.id) removeGrant(tenant, id, deps.clock.now(), deps.faults.lagMs("delete"));
  }
  // Partner Center documents 200 or 201 for "The application consent is deleted", not 204
  // (Control Panel Vendor (CPV) APIs, application consent DELETE); 200, without a body.
  return { status: 200 };
}
