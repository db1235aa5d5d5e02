/**
 * Who may do what, decided as Graph and Entra ID decide it: the bearer token must be a Graph token
 * the emulator issued (401 otherwise), its tenant is the one the request sees, and the token must
 * carry one of the permissions the operation needs (delegated `scp` or app-only `roles`). A
 * partner user acting in a customer tenant through GDAP also needs a directory role that the
 * relationship grants.
 */
import type { AccessTokenClaims, EmulatorContext, TokenCheck } from "../context";
import { effectiveGdapRoles } from "../gdap-access";
import { GRAPH_APP_ID, ROLE_TEMPLATES, type TenantState } from "../world";
import { GraphError, insufficientPrivileges } from "./errors";

/** What an operation needs from the caller. */
export interface Requirement {
  /** Any one of these permissions (scope or app role value) suffices. */
  readonly permissions: readonly string[];
  /**
   * For a partner user working in a customer tenant: any one of these Entra role templates
   * through an active GDAP relationship; "anyRole" accepts any role, as reads need.
   */
  readonly gdapRoles: readonly string[] | "anyRole";
}

const DIRECTORY_READ = ["Directory.Read.All", "Directory.ReadWrite.All"] as const;
const APPLICATION_ADMIN_ROLES = [
  ROLE_TEMPLATES.globalAdministrator,
  ROLE_TEMPLATES.applicationAdministrator,
  ROLE_TEMPLATES.cloudApplicationAdministrator,
];

/** The permission sets of the operations Graph offers here. */
export const REQUIREMENTS = {
  readServicePrincipals: { permissions: ["Application.Read.All", "Application.ReadWrite.All", ...DIRECTORY_READ], gdapRoles: "anyRole" },
  writeServicePrincipals: { permissions: ["Application.ReadWrite.All", "Directory.ReadWrite.All"], gdapRoles: APPLICATION_ADMIN_ROLES },
  readAppRoleAssignments: {
    permissions: ["Application.Read.All", "Application.ReadWrite.All", ...DIRECTORY_READ, "AppRoleAssignment.ReadWrite.All"],
    gdapRoles: "anyRole",
  },
  writeAppRoleAssignments: { permissions: ["AppRoleAssignment.ReadWrite.All"], gdapRoles: APPLICATION_ADMIN_ROLES },
  readGrants: {
    permissions: ["DelegatedPermissionGrant.Read.All", "DelegatedPermissionGrant.ReadWrite.All", ...DIRECTORY_READ],
    gdapRoles: "anyRole",
  },
  writeGrants: { permissions: ["DelegatedPermissionGrant.ReadWrite.All", "Directory.ReadWrite.All"], gdapRoles: APPLICATION_ADMIN_ROLES },
  readSubscribedSkus: {
    permissions: ["Organization.Read.All", "Organization.ReadWrite.All", "LicenseAssignment.Read.All", ...DIRECTORY_READ],
    gdapRoles: "anyRole",
  },
  readTenantInformation: { permissions: ["CrossTenantInformation.ReadBasic.All"], gdapRoles: "anyRole" },
  readDelegatedAdminRelationships: {
    permissions: ["DelegatedAdminRelationship.Read.All", "DelegatedAdminRelationship.ReadWrite.All"],
    gdapRoles: "anyRole",
  },
} as const satisfies Record<string, Requirement>;

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
  return { claims, tenant, appId: claims.appid || claims.azp || "" };
}

/** Checks the token's permissions and, for GDAP access, the user's roles. @throws GraphError 403. */
export function authorize(caller: Caller, requirement: Requirement, ctx: EmulatorContext): void {
  const { claims } = caller;
  const held = claims.idtyp === "app" ? new Set(claims.roles ?? []) : new Set((claims.scp ?? "").split(" ").filter(Boolean));
  // A delegated token with Directory.AccessAsUser.All acts with the signed-in user's full rights.
  const delegatedFullAccess = claims.idtyp === "user" && held.has("Directory.AccessAsUser.All");
  if (!delegatedFullAccess && !requirement.permissions.some((p) => held.has(p))) throw insufficientPrivileges();
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
