/**
 * Small builders for plan inputs: a desired tenant and a live tenant, with a Microsoft Graph resource whose ids are
 * Graph's real ones, plus a few made-up roles for the edge cases (user-only, disabled).
 */
import type { DesiredResource, DesiredTenant, ExtraPolicy } from "../../src/desired/model";
import type { LiveAppRoleAssignment, LiveGrant, LiveReading, LiveResource, LiveTenant, UnavailableResource } from "../../src/live/model";

export const TENANT_ID = "11111111-2222-4333-8444-555555555555";
export const CLIENT_SP_ID = "c1e7c1e7-0000-4000-8000-000000000001";
export const GRAPH_APP_ID = "00000003-0000-0000-c000-000000000000";
export const GRAPH_SP_ID = "9a0b0000-0000-4000-8000-000000000003";
export const EXCHANGE_APP_ID = "00000002-0000-0ff1-ce00-000000000000";
export const EXCHANGE_SP_ID = "e0e00000-0000-4000-8000-000000000002";
export const DEFENDER_APP_ID = "fc780465-2017-40d4-a0c5-307022471b92";

/** Microsoft Graph's app role and scope ids, as Microsoft publishes them. */
export const ROLE = {
  "Application.ReadWrite.All": "1bfefb4e-e0b5-418b-a88f-73c46d2cc8e9",
  "AppRoleAssignment.ReadWrite.All": "06b708a9-e830-4db3-a914-8e69da51d44f",
  "DelegatedPermissionGrant.ReadWrite.All": "8e8e4742-1d95-4f68-9d56-6ee75648c72a",
  "Directory.Read.All": "7ab1d382-f21e-4acd-a863-ba3e13f7da61",
  "Directory.ReadWrite.All": "19dbc75e-c2e2-444c-a770-ec69d8559fc7",
  "User.Read.All": "df021288-bdef-4463-88db-98f22de89214",
  "Group.ReadWrite.All": "62a82d76-70ea-41e2-9197-370581804d09",
  /** Made up: a role only users and groups may hold. */
  "Reports.UserOnly": "aaaaaaaa-0000-4000-8000-00000000000a",
  /** Made up: a disabled role. */
  "Legacy.Disabled": "bbbbbbbb-0000-4000-8000-00000000000b",
} as const;

export const SCOPE = {
  "User.Read": "e1fe6dd8-ba31-4d61-89e7-88639da4683d",
  "Directory.Read.All": "06da0dbc-49e2-44d2-8312-53f166ab848a",
  "Directory.ReadWrite.All": "c5366453-9fb0-48a5-a156-24f0c49a4b84",
  "DelegatedAdminRelationship.ReadWrite.All": "885f682f-a990-4bad-a642-36736a74b0c7",
  /** Made up: a disabled scope. */
  "Legacy.Scope": "cccccccc-0000-4000-8000-00000000000c",
} as const;

export const BOOTSTRAP = ["DelegatedPermissionGrant.ReadWrite.All", "Directory.ReadWrite.All", "AppRoleAssignment.ReadWrite.All"];

/** The Microsoft Graph service principal as a tenant holds it. */
export function graphResource(): LiveResource {
  return {
    servicePrincipalId: GRAPH_SP_ID,
    appId: GRAPH_APP_ID,
    displayName: "Microsoft Graph",
    appRoles: Object.entries(ROLE).map(([value, id]) => ({
      id,
      value,
      assignableToApps: value !== "Reports.UserOnly",
      enabled: value !== "Legacy.Disabled",
    })),
    scopes: Object.entries(SCOPE).map(([value, id]) => ({ id, value, enabled: value !== "Legacy.Scope" })),
  };
}

export function exchangeResource(): LiveResource {
  return {
    servicePrincipalId: EXCHANGE_SP_ID,
    appId: EXCHANGE_APP_ID,
    displayName: "Office 365 Exchange Online",
    appRoles: [{ id: "dc50a0fb-09a3-484d-be87-e023b12c6440", value: "Exchange.ManageAsApp", assignableToApps: true, enabled: true }],
    scopes: [{ id: "ab4f2b77-0b06-4fc1-a9de-02113fc2ab7c", value: "Exchange.Manage", enabled: true }],
  };
}

export function desiredResource(overrides: Partial<DesiredResource> & Pick<DesiredResource, "appId">): DesiredResource {
  return { displayName: overrides.appId, appRoles: [], scopes: [], unpublishedScopes: [], ...overrides };
}

export const GRAPH_WANTED = desiredResource({
  appId: GRAPH_APP_ID,
  displayName: "Microsoft Graph",
  appRoles: ["Application.ReadWrite.All", "Directory.Read.All"],
  scopes: ["User.Read", "Directory.Read.All"],
});

export function desiredTenant(
  resources: readonly DesiredResource[] = [GRAPH_WANTED],
  overrides: Partial<Omit<DesiredTenant, "extras">> & { extras?: { appRoles?: ExtraPolicy; scopes?: ExtraPolicy } } = {},
): DesiredTenant {
  const { extras, ...rest } = overrides;
  return {
    tenantId: TENANT_ID,
    defaultDomain: "contoso.onmicrosoft.com",
    displayName: "Contoso",
    isPartner: false,
    excluded: false,
    profiles: [],
    permissions: { resources },
    source: { file: "stacks/tenants/contoso.yaml" },
    ...rest,
    extras: { appRoles: extras?.appRoles ?? "keep", scopes: extras?.scopes ?? "keep" },
  };
}

let counter = 0;
/** An assignment of a Graph role by name to CIPP-SAM. */
export function assignment(roleId: string, resourceId: string = GRAPH_SP_ID): LiveAppRoleAssignment {
  counter += 1;
  return { id: `assignment-${counter}`, resourceId, appRoleId: roleId };
}

export function grant(scopes: readonly string[], overrides: Partial<LiveGrant> = {}): LiveGrant {
  counter += 1;
  return {
    id: `grant-${counter}`,
    resourceId: GRAPH_SP_ID,
    consentType: "AllPrincipals",
    principalId: null,
    scopes,
    ...overrides,
  };
}

export interface LiveOptions {
  readonly client?: LiveTenant["client"];
  readonly resources?: readonly LiveResource[];
  readonly unavailable?: readonly UnavailableResource[];
  readonly appRoleAssignments?: readonly LiveAppRoleAssignment[];
  readonly grants?: readonly LiveGrant[];
  readonly tokenScopes?: readonly string[];
}

export function liveTenant(options: LiveOptions = {}): LiveTenant {
  return {
    tenantId: TENANT_ID,
    client: options.client === undefined ? { servicePrincipalId: CLIENT_SP_ID, displayName: "CIPP-SAM" } : options.client,
    resources: new Map((options.resources ?? [graphResource()]).map((resource) => [resource.appId, resource])),
    unavailable: options.unavailable ?? [],
    appRoleAssignments: options.appRoleAssignments ?? [],
    grants: options.grants ?? [],
    tokenScopes: options.tokenScopes ?? BOOTSTRAP,
  };
}

export function read(options: LiveOptions = {}): LiveReading {
  return { kind: "read", live: liveTenant(options) };
}

/** A tenant holding exactly GRAPH_WANTED. */
export function healthyGraph(extra: LiveOptions = {}): LiveReading {
  return read({
    appRoleAssignments: [assignment(ROLE["Application.ReadWrite.All"]), assignment(ROLE["Directory.Read.All"])],
    grants: [grant(["Directory.Read.All", "User.Read"])],
    ...extra,
  });
}
