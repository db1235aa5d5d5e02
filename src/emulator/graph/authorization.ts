/**
 * Who may do what, decided as Graph and Entra ID decide it: the bearer token must be a Graph token
 * the emulator issued (401 otherwise), its tenant is the one the request sees, and the token must
 * carry one of the permission combinations the operation's entry in the permission table accepts
 * (delegated `scp` or app-only `roles`; a combination needs all of its permissions). A partner user
 * acting in a customer tenant through GDAP also needs a directory role that the relationship grants.
 */
import type { AccessTokenClaims, EmulatorContext, TokenCheck } from "../context";
import { effectiveGdapRoles } from "../gdap-access";
import { GRAPH_APP_ID, type TenantState } from "../world";
import { GraphError, insufficientPrivileges } from "./errors";
import { acceptedSets, type PermissionEntry } from "./permission-table";

/** What an operation needs from the caller: its entry in the permission table. */
export type Requirement = PermissionEntry;

/** Audiences Graph accepts. */
const GRAPH_AUDIENCES = new Set(["https://graph.microsoft.com", "https://graph.microsoft.com/", GRAPH_APP_ID]);

const TOKEN_FAILURES: Record<Exclude<TokenCheck, { ok: true }>["reason"], string> = {
  missing: "Access token is empty.",
  malformed: "CompactToken parsing failed with error code: 80049217",
  signature: "Access token validation failure.",
  expired: "Lifetime validation failed, the token is expired.",
};

/** The caller as a request sees it: the token's claims and the tenant they reach. */
export interface Caller {
  readonly claims: AccessTokenClaims;
  readonly tenant: TenantState;
  /** The application the throttle charges. */
  readonly appId: string;
}

/** Verifies the bearer token. @throws GraphError 401 InvalidAuthenticationToken. */
export function authenticate(authorization: string | undefined, ctx: EmulatorContext): Caller {
  const check = ctx.tokens.verify(authorization);
  if (!check.ok) throw new GraphError(401, "InvalidAuthenticationToken", TOKEN_FAILURES[check.reason]);
  const { claims } = check;
  if (!GRAPH_AUDIENCES.has(claims.aud)) {
    throw new GraphError(401, "InvalidAuthenticationToken", "Access token validation failure. Invalid audience.");
  }
  const tenant = ctx.world.tenants.get(claims.tid);
  if (!tenant) throw new GraphError(401, "InvalidAuthenticationToken", "Access token validation failure.");
  // The emulator issues v1.0 tokens, which name the client in `appid` (verify refuses a token without it).
  return { claims, tenant, appId: claims.appid };
}

/** Checks the token's permissions and, for GDAP access, the user's roles. @throws GraphError 403. */
export function authorize(caller: Caller, requirement: Requirement, ctx: EmulatorContext): void {
  const { claims } = caller;
  // Permission names compare without regard to case, as Entra ID compares them. Only what the
  // operation's permission table lists counts: Directory.AccessAsUser.All is in none of these tables,
  // so it is no shortcut.
  const names = claims.idtyp === "app" ? (claims.roles ?? []) : (claims.scp ?? "").split(" ").filter(Boolean);
  const held = new Set(names.map((name) => name.toLowerCase()));
  const sets = acceptedSets(requirement, claims.idtyp === "app" ? "application" : "delegated");
  if (!sets.some((set) => set.every((p) => held.has(p.toLowerCase())))) throw insufficientPrivileges();
  if (claims.idtyp === "user" && needsGdap(caller, ctx)) {
    const roles = effectiveGdapRoles(ctx.world, caller.tenant.tenantId, ctx.clock.now());
    const allowed = requirement.gdapRoles === "anyRole" ? roles.size > 0 : requirement.gdapRoles.some((r) => roles.has(r));
    if (!allowed) throw insufficientPrivileges();
  }
}

/** A partner user (a user of the world) signed in to a tenant other than the partner's own. */
function needsGdap(caller: Caller, ctx: EmulatorContext): boolean {
  const oid = caller.claims.oid;
  return oid !== undefined && ctx.world.users.has(oid) && caller.tenant.tenantId !== ctx.world.partnerTenantId;
}
