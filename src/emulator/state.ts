/**
 * Turns a `WorldSpec` into the live `World` the handlers mutate, and answers the questions
 * several handlers ask of it (which permissions a service principal exposes, whether a tenant may
 * instantiate a first-party app, what a tenant looks like for the control API).
 */
import Ajv from "ajv";
import type { Clock, IdGenerator } from "./context";
import { assignmentId, canonicalGuid, grantId, isGuid } from "./ids";
import type {
  AppRoleAssignment,
  Departed,
  AppRoleSpec,
  BehaviourSettings,
  FirstPartyAppSpec,
  OAuth2PermissionGrant,
  PermissionScopeSpec,
  RefreshTokenState,
  ServicePrincipal,
  TenantState,
  World,
  WorldSpec,
} from "./world";
import { MICROSOFT_TENANT_ID } from "./world";

export { assignmentId, canonicalGuid, grantId, isGuid } from "./ids";

/** A world specification that cannot be loaded; `problems` lists every reason found. */
export class WorldSpecError extends Error {
  constructor(readonly problems: readonly string[]) {
    super(`Invalid world specification:\n- ${problems.join("\n- ")}`);
    this.name = "WorldSpecError";
  }
}

export const DEFAULT_BEHAVIOUR: BehaviourSettings = {
  consentDeleteRemovesServicePrincipal: true,
  tokenLifetimeSeconds: 3599,
};

const str = { type: "string", minLength: 1 } as const;
const strArr = { type: "array", items: str } as const;
// Structure only; cross-references are checked by hand below with messages naming the object.
const WORLD_SCHEMA = {
  type: "object",
  required: ["partnerTenantId", "applications", "firstPartyApps", "users", "tenants", "gdapRelationships"],
  properties: {
    partnerTenantId: str,
    applications: {
      type: "array",
      items: {
        type: "object",
        required: ["appId", "displayName", "homeTenantId"],
        properties: {
          appId: str,
          displayName: str,
          homeTenantId: str,
          secrets: { type: "array", items: { type: "object", required: ["value"], properties: { value: str, expires: str } } },
          certificates: { type: "array", items: { type: "object", required: ["certificatePem"], properties: { certificatePem: str } } },
          federatedCredentials: {
            type: "array",
            items: {
              type: "object",
              required: ["name", "issuer", "subject", "audiences"],
              properties: { name: str, issuer: str, subject: str, audiences: strArr },
            },
          },
        },
      },
    },
    firstPartyApps: {
      type: "array",
      items: {
        type: "object",
        required: ["appId", "displayName", "appRoles", "oauth2PermissionScopes"],
        properties: {
          appId: str,
          displayName: str,
          appRoles: { type: "array", items: { type: "object", required: ["id", "value"], properties: { id: str, value: str } } },
          oauth2PermissionScopes: {
            type: "array",
            items: { type: "object", required: ["id", "value"], properties: { id: str, value: str } },
          },
          requiresServicePlans: strArr,
        },
      },
    },
    users: {
      type: "array",
      items: {
        type: "object",
        required: ["id", "userPrincipalName", "refreshTokens", "mfa", "adminAgent"],
        properties: {
          id: str,
          userPrincipalName: str,
          mfa: { type: "boolean" },
          adminAgent: { type: "boolean" },
          refreshTokens: {
            type: "array",
            items: { type: "object", required: ["token", "clientId"], properties: { token: str, clientId: str } },
          },
        },
      },
    },
    tenants: {
      type: "array",
      items: {
        type: "object",
        required: ["tenantId", "defaultDomain", "displayName"],
        properties: {
          tenantId: str,
          defaultDomain: str,
          domains: strArr,
          displayName: str,
          size: { enum: ["S", "M", "L"] },
          conditionalAccessBlocks: { type: "boolean" },
          subscribedSkus: {
            type: "array",
            items: {
              type: "object",
              required: ["skuPartNumber", "servicePlans"],
              properties: { skuPartNumber: str, skuId: str, servicePlans: strArr },
            },
          },
          servicePrincipals: { type: "array", items: { type: "object", required: ["appId"], properties: { appId: str, id: str } } },
          appRoleAssignments: {
            type: "array",
            items: {
              type: "object",
              required: ["principalAppId", "resourceAppId", "appRole"],
              properties: { principalAppId: str, resourceAppId: str, appRole: str },
            },
          },
          grants: {
            type: "array",
            items: {
              type: "object",
              required: ["clientAppId", "resourceAppId", "scope"],
              properties: {
                clientAppId: str,
                resourceAppId: str,
                scope: { type: "string" },
                consentType: { enum: ["AllPrincipals", "Principal"] },
                principalId: str,
                id: str,
              },
            },
          },
        },
      },
    },
    gdapRelationships: {
      type: "array",
      items: {
        type: "object",
        required: ["customerTenantId", "status", "roleTemplateIds"],
        properties: {
          id: str,
          displayName: str,
          customerTenantId: str,
          status: { enum: ["active", "expiring", "expired", "terminated", "approvalPending"] },
          roleTemplateIds: strArr,
          endDateTime: str,
          autoExtendDuration: { enum: ["PT0S", "P0D", "P180D"] },
          activatedDateTime: str,
          lastModifiedDateTime: str,
          accessAssignments: {
            type: "array",
            items: {
              type: "object",
              required: ["roleTemplateIds"],
              properties: {
                id: str,
                securityGroupId: str,
                roleTemplateIds: strArr,
                status: { enum: ["active", "pending", "deleting", "deleted", "error"] },
                createdDateTime: str,
                lastModifiedDateTime: str,
              },
            },
          },
          withoutCustomer: { type: "boolean" },
        },
      },
    },
    federatedIssuers: {
      type: "array",
      items: { type: "object", required: ["issuer", "publicKeysPem"], properties: { issuer: str, publicKeysPem: strArr } },
    },
    behaviour: {
      type: "object",
      properties: {
        consentDeleteRemovesServicePrincipal: { type: "boolean" },
        tokenLifetimeSeconds: { type: "integer", minimum: 1 },
      },
    },
  },
} as const;

const validateStructure = new Ajv({ allErrors: true }).compile(WORLD_SCHEMA);

/**
 * Validates `spec` and builds the live world from it: service principals get GUID ids, grants and
 * assignments get Entra-style composite ids, and every object is visible from `clock.now()`.
 * Every GUID is kept in its canonical lower-case form (`World.spec` included), whatever case the
 * spec spells it in.
 * @throws WorldSpecError listing every problem found.
 */
export function loadWorld(given: WorldSpec, clock: Clock, ids: IdGenerator): World {
  if (!validateStructure(given)) {
    const problems = (validateStructure.errors ?? []).map((e) => `${e.instancePath || "(root)"} ${e.message ?? "is invalid"}`);
    throw new WorldSpecError(problems);
  }
  const spec = canonicalSpec(given);
  const problems: string[] = [];
  const now = clock.now();
  const createdDateTime = new Date(now).toISOString();

  const applications = indexUnique(spec.applications, (a) => a.appId, "application", problems);
  const firstPartyApps = indexUnique(spec.firstPartyApps, (a) => a.appId, "first-party app", problems);
  const users = indexUnique(spec.users, (u) => u.id, "user", problems);
  for (const a of [...spec.applications, ...spec.firstPartyApps]) {
    if (!isGuid(a.appId)) problems.push(`appId '${a.appId}' of '${a.displayName}' is not a GUID`);
    if (applications.has(a.appId) && firstPartyApps.has(a.appId)) {
      problems.push(`appId '${a.appId}' is both an application and a first-party app`);
    }
  }
  const tenantIds = new Set(spec.tenants.map((t) => t.tenantId));
  if (!tenantIds.has(spec.partnerTenantId)) problems.push(`partnerTenantId '${spec.partnerTenantId}' is not among the tenants`);
  for (const a of spec.applications) {
    if (!tenantIds.has(a.homeTenantId)) problems.push(`application '${a.displayName}' has unknown homeTenantId '${a.homeTenantId}'`);
  }
  const displayNameOf = (appId: string): string | undefined =>
    applications.get(appId)?.displayName ?? firstPartyApps.get(appId)?.displayName;

  const refreshTokens = new Map<string, RefreshTokenState>();
  for (const u of spec.users) {
    for (const rt of u.refreshTokens) {
      if (!applications.has(rt.clientId))
        problems.push(`a refresh token of user '${u.userPrincipalName}' is bound to unknown application '${rt.clientId}'`);
      if (refreshTokens.has(rt.token)) problems.push(`refresh token of user '${u.userPrincipalName}' is not unique`);
      refreshTokens.set(rt.token, { token: rt.token, userId: u.id, clientId: rt.clientId, status: "valid" });
    }
  }

  const tenants = new Map<string, TenantState>();
  const domains = new Set<string>();
  for (const t of spec.tenants) {
    const where = `tenant '${t.displayName}' (${t.tenantId})`;
    if (!isGuid(t.tenantId)) problems.push(`${where}: tenantId is not a GUID`);
    if (tenants.has(t.tenantId)) problems.push(`${where}: tenantId is not unique`);
    if (domains.has(t.defaultDomain.toLowerCase())) problems.push(`${where}: defaultDomain '${t.defaultDomain}' is not unique`);
    domains.add(t.defaultDomain.toLowerCase());

    const state: TenantState = {
      tenantId: t.tenantId,
      defaultDomain: t.defaultDomain,
      displayName: t.displayName,
      size: t.size ?? "S",
      subscribedSkus: t.subscribedSkus ?? [],
      conditionalAccessBlocks: t.conditionalAccessBlocks ?? false,
      servicePrincipals: new Map(),
      appRoleAssignments: new Map(),
      grants: new Map(),
      deletedServicePrincipals: [],
      departed: { servicePrincipals: [], appRoleAssignments: [], grants: [] },
    };
    const spByAppId = new Map<string, ServicePrincipal>();
    for (const s of t.servicePrincipals ?? []) {
      const displayName = displayNameOf(s.appId);
      if (displayName === undefined) {
        problems.push(`${where}: service principal for unknown appId '${s.appId}'`);
        continue;
      }
      if (spByAppId.has(s.appId)) problems.push(`${where}: two service principals for appId '${s.appId}'`);
      if (s.id !== undefined && !isGuid(s.id)) problems.push(`${where}: service principal id '${s.id}' is not a GUID`);
      const sp: ServicePrincipal = {
        id: s.id ?? ids.guid(),
        appId: s.appId,
        displayName,
        appOwnerOrganizationId: applications.get(s.appId)?.homeTenantId ?? MICROSOFT_TENANT_ID,
        createdAt: now,
        visibleAt: now,
      };
      spByAppId.set(s.appId, sp);
      state.servicePrincipals.set(sp.id, sp);
    }
    const spOf = (appId: string, role: string): ServicePrincipal | undefined => {
      const sp = spByAppId.get(appId);
      if (!sp) problems.push(`${where}: ${role} '${appId}' has no service principal in the tenant`);
      return sp;
    };

    const assignedKeys = new Set<string>();
    for (const a of t.appRoleAssignments ?? []) {
      const principal = spOf(a.principalAppId, "assignment principal");
      const resource = spOf(a.resourceAppId, "assignment resource");
      if (!principal || !resource) continue;
      const role = permissionsOf({ firstPartyApps }, a.resourceAppId).appRoles.find((r) => r.value === a.appRole || r.id === a.appRole);
      if (!role) {
        problems.push(`${where}: '${displayNameOf(a.resourceAppId)}' has no app role '${a.appRole}'`);
        continue;
      }
      const key = `${principal.id}|${resource.id}|${role.id}`;
      if (assignedKeys.has(key)) problems.push(`${where}: app role '${role.value}' is assigned twice to '${principal.displayName}'`);
      assignedKeys.add(key);
      const assignment: AppRoleAssignment = {
        id: assignmentId(principal.id, ids),
        principalId: principal.id,
        resourceId: resource.id,
        appRoleId: role.id,
        createdDateTime,
        createdAt: now,
        visibleAt: now,
      };
      state.appRoleAssignments.set(assignment.id, assignment);
    }

    for (const g of t.grants ?? []) {
      const client = spOf(g.clientAppId, "grant client");
      const resource = spOf(g.resourceAppId, "grant resource");
      if (!client || !resource) continue;
      const consentType = g.consentType ?? "AllPrincipals";
      const principalId = consentType === "Principal" ? (g.principalId ?? null) : null;
      if (consentType === "Principal" && (principalId === null || !isGuid(principalId))) {
        problems.push(`${where}: a Principal grant needs a GUID principalId`);
        continue;
      }
      // Entra compares scope names without regard to case: a grant may spell them in any case.
      const known = new Set(permissionsOf({ firstPartyApps }, g.resourceAppId).oauth2PermissionScopes.map((s) => s.value.toLowerCase()));
      const scopes = g.scope.split(" ").filter((s) => s !== "");
      const unknown = scopes.filter((s) => !known.has(s.toLowerCase()));
      if (unknown.length > 0)
        problems.push(`${where}: '${displayNameOf(g.resourceAppId)}' has no delegated scope ${unknown.map((s) => `'${s}'`).join(", ")}`);
      const id = g.id ?? grantId(client.id, resource.id, principalId);
      if (state.grants.has(id)) {
        problems.push(
          g.id === undefined
            ? `${where}: two grants from '${client.displayName}' to '${resource.displayName}' for the same principal (give the second an id of its own)`
            : `${where}: grant id '${g.id}' is not unique`,
        );
        continue;
      }
      const grant: OAuth2PermissionGrant = {
        id,
        clientId: client.id,
        resourceId: resource.id,
        consentType,
        principalId,
        scope: scopes.join(" "),
        createdAt: now,
        visibleAt: now,
      };
      state.grants.set(id, grant);
    }
    tenants.set(t.tenantId, state);
  }

  for (const r of spec.gdapRelationships) {
    if (!tenantIds.has(r.customerTenantId))
      problems.push(`GDAP relationship '${r.displayName ?? r.id ?? "?"}' names unknown customer '${r.customerTenantId}'`);
    if (r.customerTenantId === spec.partnerTenantId) problems.push(`a GDAP relationship cannot target the partner tenant itself`);
  }
  if (problems.length > 0) throw new WorldSpecError(problems);

  return {
    spec,
    partnerTenantId: spec.partnerTenantId,
    applications,
    firstPartyApps,
    users,
    tenants,
    refreshTokens,
    gdapRelationships: spec.gdapRelationships.map((r) => ({ ...r, id: r.id ?? ids.guid() })),
    federatedIssuers: spec.federatedIssuers ?? [],
    behaviour: { ...DEFAULT_BEHAVIOUR, ...spec.behaviour },
  };
}

/**
 * The spec with every GUID-valued field in canonical form. Only fields that hold directory ids
 * are touched: secrets, refresh tokens and federated subjects compare exactly, whatever they look like.
 */
function canonicalSpec(spec: WorldSpec): WorldSpec {
  const g = canonicalGuid;
  return {
    ...spec,
    partnerTenantId: g(spec.partnerTenantId),
    applications: spec.applications.map((a) => ({ ...a, appId: g(a.appId), homeTenantId: g(a.homeTenantId) })),
    firstPartyApps: spec.firstPartyApps.map((a) => ({
      ...a,
      appId: g(a.appId),
      appRoles: a.appRoles.map((r) => ({ ...r, id: g(r.id) })),
      oauth2PermissionScopes: a.oauth2PermissionScopes.map((s) => ({ ...s, id: g(s.id) })),
    })),
    users: spec.users.map((u) => ({ ...u, id: g(u.id), refreshTokens: u.refreshTokens.map((t) => ({ ...t, clientId: g(t.clientId) })) })),
    tenants: spec.tenants.map((t) => ({
      ...t,
      tenantId: g(t.tenantId),
      ...(t.subscribedSkus
        ? { subscribedSkus: t.subscribedSkus.map((k) => ({ ...k, ...(k.skuId !== undefined ? { skuId: g(k.skuId) } : {}) })) }
        : {}),
      ...(t.servicePrincipals
        ? {
            servicePrincipals: t.servicePrincipals.map((s) => ({
              ...s,
              appId: g(s.appId),
              ...(s.id !== undefined ? { id: g(s.id) } : {}),
            })),
          }
        : {}),
      ...(t.appRoleAssignments
        ? {
            appRoleAssignments: t.appRoleAssignments.map((a) => ({
              ...a,
              principalAppId: g(a.principalAppId),
              resourceAppId: g(a.resourceAppId),
              appRole: g(a.appRole),
            })),
          }
        : {}),
      ...(t.grants
        ? {
            grants: t.grants.map((x) => ({
              ...x,
              clientAppId: g(x.clientAppId),
              resourceAppId: g(x.resourceAppId),
              ...(x.principalId !== undefined ? { principalId: g(x.principalId) } : {}),
            })),
          }
        : {}),
    })),
    gdapRelationships: spec.gdapRelationships.map((r) => ({
      ...r,
      ...(r.id !== undefined ? { id: g(r.id) } : {}),
      customerTenantId: g(r.customerTenantId),
      roleTemplateIds: r.roleTemplateIds.map(g),
    })),
  };
}

/** The permissions a service principal publishes, with spec defaults applied. */
export interface PublishedPermissions {
  readonly appRoles: readonly (AppRoleSpec & { readonly allowedMemberTypes: readonly string[]; readonly isEnabled: boolean })[];
  readonly oauth2PermissionScopes: readonly (PermissionScopeSpec & { readonly isEnabled: boolean })[];
}

/**
 * The appRoles and oauth2PermissionScopes a service principal for `appId` publishes: those of
 * the first-party app, or none for a third-party app (CIPP-SAM publishes nothing).
 */
export function permissionsOf(world: Pick<World, "firstPartyApps">, appId: string): PublishedPermissions {
  const app = world.firstPartyApps.get(appId);
  if (!app) return { appRoles: [], oauth2PermissionScopes: [] };
  return {
    appRoles: app.appRoles.map((r) => ({
      ...r,
      allowedMemberTypes: r.allowedMemberTypes ?? ["Application"],
      isEnabled: r.isEnabled ?? true,
    })),
    oauth2PermissionScopes: app.oauth2PermissionScopes.map((s) => ({ ...s, isEnabled: s.isEnabled ?? true })),
  };
}

/** The service principal of `appId` (in canonical form) in a tenant, if any (visible or not). */
export function findServicePrincipal(tenant: TenantState, appId: string): ServicePrincipal | undefined {
  for (const sp of tenant.servicePrincipals.values()) if (sp.appId === appId) return sp;
  return undefined;
}

/** A tenant by GUID (any case) or by its default domain (case-insensitive), as the token endpoint accepts. */
export function findTenant(world: World, tenantIdOrDomain: string): TenantState | undefined {
  const byId = world.tenants.get(canonicalGuid(tenantIdOrDomain));
  if (byId) return byId;
  const domain = tenantIdOrDomain.toLowerCase();
  for (const t of world.tenants.values()) if (t.defaultDomain.toLowerCase() === domain) return t;
  return undefined;
}

export type InstantiationCheck = { readonly ok: true } | { readonly ok: false; readonly reason: string };

/**
 * Whether a service principal for `appId` may be created in the tenant: a first-party app with
 * `requiresServicePlans` needs one of those plans among the tenant's subscribed SKUs.
 */
export function canInstantiate(world: World, tenantId: string, appId: string): InstantiationCheck {
  const tenant = world.tenants.get(tenantId);
  if (!tenant) return { ok: false, reason: `Tenant '${tenantId}' does not exist.` };
  const firstParty: FirstPartyAppSpec | undefined = world.firstPartyApps.get(appId);
  if (!firstParty) {
    return world.applications.has(appId)
      ? { ok: true }
      : { ok: false, reason: `Application with identifier '${appId}' was not found in the directory.` };
  }
  const required = firstParty.requiresServicePlans ?? [];
  if (required.length === 0) return { ok: true };
  const plans = new Set(tenant.subscribedSkus.flatMap((s) => s.servicePlans));
  if (required.some((p) => plans.has(p))) return { ok: true };
  return {
    ok: false,
    reason: `The organization '${tenant.defaultDomain}' has no subscription that includes '${firstParty.displayName}' (needs one of the service plans ${required.join(", ")}).`,
  };
}

/** A tenant as the control API shows it: directory objects with names resolved. */
export interface TenantSnapshot {
  readonly tenantId: string;
  readonly defaultDomain: string;
  readonly displayName: string;
  readonly servicePrincipals: readonly { id: string; appId: string; displayName: string; visible: boolean }[];
  readonly appRoleAssignments: readonly {
    id: string;
    principalId: string;
    principalAppId: string | null;
    resourceId: string;
    resourceAppId: string | null;
    appRoleId: string;
    appRoleValue: string | null;
  }[];
  readonly grants: readonly {
    id: string;
    clientId: string;
    clientAppId: string | null;
    resourceId: string;
    resourceAppId: string | null;
    consentType: "AllPrincipals" | "Principal";
    principalId: string | null;
    scope: string;
  }[];
  readonly deletedServicePrincipals: readonly { id: string; appId: string; displayName: string }[];
}

/** Inspects one tenant for the control API; undefined when the tenant does not exist. */
export function snapshotTenant(world: World, tenantId: string, now?: number): TenantSnapshot | undefined {
  const tenant = findTenant(world, tenantId);
  if (!tenant) return undefined;
  const sp = (id: string): ServicePrincipal | undefined => tenant.servicePrincipals.get(id);
  const roleValue = (resourceAppId: string | undefined, roleId: string): string | null =>
    resourceAppId === undefined ? null : (permissionsOf(world, resourceAppId).appRoles.find((r) => r.id === roleId)?.value ?? null);
  return {
    tenantId: tenant.tenantId,
    defaultDomain: tenant.defaultDomain,
    displayName: tenant.displayName,
    servicePrincipals: [...tenant.servicePrincipals.values()].map((s) => ({
      id: s.id,
      appId: s.appId,
      displayName: s.displayName,
      visible: now === undefined || s.visibleAt <= now,
    })),
    appRoleAssignments: [...tenant.appRoleAssignments.values()].map((a) => ({
      id: a.id,
      principalId: a.principalId,
      principalAppId: sp(a.principalId)?.appId ?? null,
      resourceId: a.resourceId,
      resourceAppId: sp(a.resourceId)?.appId ?? null,
      appRoleId: a.appRoleId,
      appRoleValue: roleValue(sp(a.resourceId)?.appId, a.appRoleId),
    })),
    grants: [...tenant.grants.values()].map((g) => ({
      id: g.id,
      clientId: g.clientId,
      clientAppId: sp(g.clientId)?.appId ?? null,
      resourceId: g.resourceId,
      resourceAppId: sp(g.resourceId)?.appId ?? null,
      consentType: g.consentType,
      principalId: g.principalId,
      scope: g.scope,
    })),
    deletedServicePrincipals: tenant.deletedServicePrincipals.map((s) => ({ id: s.id, appId: s.appId, displayName: s.displayName })),
  };
}

/**
 * Removes a service principal and everything hanging off it (its assignments as principal or
 * resource and its grants as client or resource), as deleting one does in Entra ID. With `lagMs`,
 * reads keep seeing all of them until the deletion has replicated.
 */
export function removeServicePrincipal(tenant: TenantState, spId: string, now = 0, lagMs = 0): void {
  const sp = tenant.servicePrincipals.get(spId);
  if (!sp) return;
  tenant.servicePrincipals.delete(spId);
  tenant.deletedServicePrincipals.push(sp);
  depart(tenant.departed.servicePrincipals, sp, now, lagMs);
  for (const [id, a] of tenant.appRoleAssignments)
    if (a.principalId === spId || a.resourceId === spId) removeAssignment(tenant, id, now, lagMs);
  for (const [id, g] of tenant.grants) if (g.clientId === spId || g.resourceId === spId) removeGrant(tenant, id, now, lagMs);
}

/** Deletes an app role assignment; with `lagMs`, reads keep seeing it until the deletion has replicated. */
export function removeAssignment(tenant: TenantState, id: string, now = 0, lagMs = 0): void {
  const assignment = tenant.appRoleAssignments.get(id);
  if (!assignment) return;
  tenant.appRoleAssignments.delete(id);
  depart(tenant.departed.appRoleAssignments, assignment, now, lagMs);
}

/** Deletes a delegated grant; with `lagMs`, reads keep seeing it (as they saw it) until the deletion has replicated. */
export function removeGrant(tenant: TenantState, id: string, now = 0, lagMs = 0): void {
  const grant = tenant.grants.get(id);
  if (!grant) return;
  tenant.grants.delete(id);
  depart(tenant.departed.grants, grant, now, lagMs);
}

/** Replaces a grant's scope string; with `lagMs`, reads keep seeing the string they saw until the change has replicated. */
export function rescopeGrant(grant: OAuth2PermissionGrant, scope: string, now = 0, lagMs = 0): void {
  const earlier = (grant.earlierScopes ?? []).filter((e) => e.until > now);
  if (lagMs > 0 && grant.visibleAt <= now) earlier.push({ scope: grant.scope, until: now + lagMs });
  grant.earlierScopes = earlier;
  grant.scope = scope;
}

/** The scope string a read at `now` sees: an earlier one while the latest PATCHes replicate. */
export function grantScopeReadAt(grant: OAuth2PermissionGrant, now: number): string {
  return grant.earlierScopes?.find((e) => e.until > now)?.scope ?? grant.scope;
}

function depart<T extends { readonly id: string; readonly visibleAt: number }>(
  list: Departed<T>[],
  object: T,
  now: number,
  lagMs: number,
): void {
  // A departure that has replicated is forgotten; one whose object reads never saw needs no ghost.
  for (let i = list.length - 1; i >= 0; i--) if ((list[i] as Departed<T>).until <= now) list.splice(i, 1);
  if (lagMs > 0 && object.visibleAt <= now) list.push({ object, until: now + lagMs });
}

/**
 * What reads see at `now`: the objects that have replicated, and deleted ones whose deletion has
 * not (unless an object with the same id has replicated since).
 */
function readable<T extends { readonly id: string; readonly visibleAt: number }>(
  live: Iterable<T>,
  departed: readonly Departed<T>[],
  now: number,
): T[] {
  const visible = [...live].filter((o) => o.visibleAt <= now);
  const ids = new Set(visible.map((o) => o.id));
  const ghosts = departed.filter((d) => d.until > now && d.object.visibleAt <= now && !ids.has(d.object.id)).map((d) => d.object);
  return [...visible, ...ghosts];
}

/** The service principals reads see at `now` (replication lag on creates and deletes applied). */
export function readableServicePrincipals(tenant: TenantState, now: number): ServicePrincipal[] {
  return readable(tenant.servicePrincipals.values(), tenant.departed.servicePrincipals, now);
}

/** The app role assignments reads see at `now`. */
export function readableAssignments(tenant: TenantState, now: number): AppRoleAssignment[] {
  return readable(tenant.appRoleAssignments.values(), tenant.departed.appRoleAssignments, now);
}

/** The delegated grants reads see at `now`, each with the scope string reads see. */
export function readableGrants(tenant: TenantState, now: number): OAuth2PermissionGrant[] {
  return readable(tenant.grants.values(), tenant.departed.grants, now).map((g) => {
    const scope = grantScopeReadAt(g, now);
    return scope === g.scope ? g : { ...g, scope };
  });
}

/**
 * Scope names in the spelling the resource publishes them: Entra treats scope names without
 * regard to case, and tokens carry the published spelling. Names the resource does not publish
 * are kept as written.
 */
export function publishedScopeNames(world: Pick<World, "firstPartyApps">, resourceAppId: string, names: readonly string[]): string[] {
  const published = new Map(permissionsOf(world, resourceAppId).oauth2PermissionScopes.map((s) => [s.value.toLowerCase(), s.value]));
  return [...new Set(names.map((n) => published.get(n.toLowerCase()) ?? n))];
}

/**
 * Creates the service principal of `appId` in a tenant, visible after `lagMs` of virtual time.
 * The caller checks `canInstantiate` first.
 */
export function addServicePrincipal(
  world: World,
  tenant: TenantState,
  appId: string,
  now: number,
  lagMs: number,
  ids: IdGenerator,
): ServicePrincipal {
  const displayName = world.applications.get(appId)?.displayName ?? world.firstPartyApps.get(appId)?.displayName ?? appId;
  const sp: ServicePrincipal = {
    id: ids.guid(),
    appId,
    displayName,
    appOwnerOrganizationId: world.applications.get(appId)?.homeTenantId ?? MICROSOFT_TENANT_ID,
    createdAt: now,
    visibleAt: now + lagMs,
  };
  tenant.servicePrincipals.set(sp.id, sp);
  return sp;
}

function indexUnique<T>(items: readonly T[], key: (t: T) => string, what: string, problems: string[]): Map<string, T> {
  const map = new Map<string, T>();
  for (const item of items) {
    const k = key(item);
    if (map.has(k)) problems.push(`${what} '${k}' is defined twice`);
    map.set(k, item);
  }
  return map;
}
