/**
 * Every Graph operation the emulator serves, with the permissions Microsoft's documentation
 * requires for it: delegated and application separately, the least-privileged choice and the
 * higher-privileged alternatives, each alternative being a set of permissions that must all be
 * held together (Microsoft writes "AppRoleAssignment.ReadWrite.All and Application.Read.All").
 * The source next to each entry is the title of the Microsoft Graph documentation page whose
 * "Permissions" table it copies. The emulator's authorization reads only this table.
 */
import { ROLE_TEMPLATES } from "../world";

/** One acceptable combination: every permission in it is required. */
export type PermissionSet = readonly string[];

/** The documented requirement for one permission type (delegated or application). */
export interface PermissionRequirement {
  readonly leastPrivileged: readonly PermissionSet[];
  readonly higherPrivileged: readonly PermissionSet[];
}

export interface PermissionEntry {
  readonly delegated: PermissionRequirement;
  readonly application: PermissionRequirement;
  /**
   * Permissions the table lists that only reach objects the caller owns (Application.ReadWrite.OwnedBy).
   * The emulator models no owners, so they never suffice for these operations.
   */
  readonly ownedObjectsOnly?: readonly string[];
  /**
   * For a partner user working in a customer tenant through GDAP: any one of these Entra role
   * templates through an active relationship; "anyRole" accepts any role, as reads need.
   */
  readonly gdapRoles: readonly string[] | "anyRole";
  /** The Microsoft Graph documentation page (by title) the requirement comes from. */
  readonly source: string;
  /** What the emulator does differently or adds, when Microsoft documents nothing. */
  readonly note?: string;
}

const one = (...names: string[]): PermissionSet[] => names.map((n) => [n]);
const same = (r: PermissionRequirement): { delegated: PermissionRequirement; application: PermissionRequirement } => ({
  delegated: r,
  application: r,
});

const APPLICATION_ADMIN_ROLES = [
  ROLE_TEMPLATES.globalAdministrator,
  ROLE_TEMPLATES.applicationAdministrator,
  ROLE_TEMPLATES.cloudApplicationAdministrator,
];

const READ_SERVICE_PRINCIPAL: PermissionEntry = {
  delegated: {
    leastPrivileged: one("Application.Read.All"),
    higherPrivileged: one("Application.ReadWrite.All", "Directory.Read.All", "Directory.ReadWrite.All"),
  },
  application: {
    leastPrivileged: one("Application.Read.All"),
    // "The Application.ReadWrite.OwnedBy permission allows an app to call GET /applications and GET /servicePrincipals to list all".
    higherPrivileged: one("Application.ReadWrite.OwnedBy", "Application.ReadWrite.All", "Directory.Read.All"),
  },
  gdapRoles: "anyRole",
  source: "Get servicePrincipal",
};

const WRITE_APP_ROLE_ASSIGNMENT: PermissionEntry = {
  ...same({
    leastPrivileged: [["AppRoleAssignment.ReadWrite.All", "Application.Read.All"]],
    higherPrivileged: [
      ["AppRoleAssignment.ReadWrite.All", "Directory.Read.All"],
      // The read permission may be held in its ReadWrite form (observed: microsoftgraph/microsoft-graph-docs#12833).
      ["AppRoleAssignment.ReadWrite.All", "Application.ReadWrite.All"],
      ["AppRoleAssignment.ReadWrite.All", "Directory.ReadWrite.All"],
    ],
  }),
  gdapRoles: APPLICATION_ADMIN_ROLES,
  source: "Grant an appRoleAssignment to a service principal",
  note: "AppRoleAssignment.ReadWrite.All alone is refused: it must be held together with a permission that reads service principals.",
};

const DELETE_APP_ROLE_ASSIGNMENT: PermissionEntry = {
  ...same({ leastPrivileged: one("AppRoleAssignment.ReadWrite.All"), higherPrivileged: [] }),
  gdapRoles: APPLICATION_ADMIN_ROLES,
  source: "Delete appRoleAssignment",
};

const READ_GRANTS: PermissionEntry = {
  ...same({
    leastPrivileged: one("Directory.Read.All"),
    higherPrivileged: one("DelegatedPermissionGrant.ReadWrite.All", "Directory.ReadWrite.All"),
  }),
  gdapRoles: "anyRole",
  source: "List oauth2PermissionGrants (delegated permission grants)",
};

const WRITE_GRANTS: PermissionEntry = {
  ...same({ leastPrivileged: one("DelegatedPermissionGrant.ReadWrite.All"), higherPrivileged: one("Directory.ReadWrite.All") }),
  gdapRoles: APPLICATION_ADMIN_ROLES,
  source: "Create oAuth2PermissionGrant (a delegated permission grant)",
};

/**
 * The table: "METHOD /route", where `{id}` is a service principal's object id or its
 * `(appId='…')` alternate key, and `{assignment-id}` / `{grant-id}` the keyed ids.
 */
export const PERMISSION_TABLE = {
  "GET /servicePrincipals": { ...READ_SERVICE_PRINCIPAL, source: "List servicePrincipals" },
  "POST /servicePrincipals": {
    delegated: { leastPrivileged: one("Application.ReadWrite.All"), higherPrivileged: one("Directory.ReadWrite.All") },
    application: {
      leastPrivileged: one("Application.ReadWrite.OwnedBy"),
      higherPrivileged: one("Application.ReadWrite.All", "Directory.ReadWrite.All"),
    },
    // "the backing application of the service principal being created must be in the local tenant": never so for CIPP-SAM.
    ownedObjectsOnly: ["Application.ReadWrite.OwnedBy"],
    gdapRoles: APPLICATION_ADMIN_ROLES,
    source: "Create servicePrincipal",
  },
  "GET /servicePrincipals/$count": { ...READ_SERVICE_PRINCIPAL, source: "List servicePrincipals" },
  "GET /servicePrincipals/{id}": READ_SERVICE_PRINCIPAL,
  "PATCH /servicePrincipals/{id}": {
    delegated: { leastPrivileged: one("Application.ReadWrite.All"), higherPrivileged: one("Directory.ReadWrite.All") },
    application: {
      leastPrivileged: one("Application.ReadWrite.OwnedBy"),
      higherPrivileged: one("Application.ReadWrite.All", "Directory.ReadWrite.All"),
    },
    ownedObjectsOnly: ["Application.ReadWrite.OwnedBy"],
    gdapRoles: APPLICATION_ADMIN_ROLES,
    source: "Update servicePrincipal",
  },
  "DELETE /servicePrincipals/{id}": {
    delegated: { leastPrivileged: one("Application.ReadWrite.All"), higherPrivileged: [] },
    application: { leastPrivileged: one("Application.ReadWrite.OwnedBy"), higherPrivileged: one("Application.ReadWrite.All") },
    ownedObjectsOnly: ["Application.ReadWrite.OwnedBy"],
    gdapRoles: APPLICATION_ADMIN_ROLES,
    source: "Delete servicePrincipal",
  },
  "GET /servicePrincipals/{id}/appRoleAssignments": {
    delegated: {
      leastPrivileged: one("Application.Read.All"),
      higherPrivileged: one("Application.ReadWrite.All", "Directory.Read.All", "Directory.ReadWrite.All"),
    },
    application: {
      leastPrivileged: one("Application.Read.All"),
      higherPrivileged: one("Application.ReadWrite.All", "Application.ReadWrite.OwnedBy", "Directory.Read.All", "Directory.ReadWrite.All"),
    },
    gdapRoles: "anyRole",
    source: "List appRoleAssignments granted to a service principal",
  },
  "POST /servicePrincipals/{id}/appRoleAssignments": WRITE_APP_ROLE_ASSIGNMENT,
  "DELETE /servicePrincipals/{id}/appRoleAssignments/{assignment-id}": DELETE_APP_ROLE_ASSIGNMENT,
  "GET /servicePrincipals/{id}/appRoleAssignedTo": {
    delegated: {
      leastPrivileged: one("Application.Read.All"),
      higherPrivileged: one("Directory.Read.All", "Application.ReadWrite.All", "Directory.ReadWrite.All"),
    },
    application: {
      leastPrivileged: one("Application.Read.All"),
      higherPrivileged: one("Application.ReadWrite.OwnedBy", "Directory.Read.All", "Application.ReadWrite.All", "Directory.ReadWrite.All"),
    },
    gdapRoles: "anyRole",
    source: "List appRoleAssignments granted for a service principal",
  },
  "POST /servicePrincipals/{id}/appRoleAssignedTo": {
    ...WRITE_APP_ROLE_ASSIGNMENT,
    source: "Grant an appRoleAssignment for a service principal",
  },
  "DELETE /servicePrincipals/{id}/appRoleAssignedTo/{assignment-id}": {
    ...DELETE_APP_ROLE_ASSIGNMENT,
    source: "Delete an appRoleAssignment granted for a service principal",
  },
  "GET /servicePrincipals/{id}/oauth2PermissionGrants": {
    ...READ_GRANTS,
    source: "List oauth2PermissionGrants granted to a service principal",
  },
  "GET /oauth2PermissionGrants": READ_GRANTS,
  "POST /oauth2PermissionGrants": WRITE_GRANTS,
  "GET /oauth2PermissionGrants/{grant-id}": { ...READ_GRANTS, source: "Get oAuth2PermissionGrant (a delegated permission grant)" },
  "PATCH /oauth2PermissionGrants/{grant-id}": { ...WRITE_GRANTS, source: "Update a delegated permission grant (oAuth2PermissionGrant)" },
  "DELETE /oauth2PermissionGrants/{grant-id}": { ...WRITE_GRANTS, source: "Delete oAuth2PermissionGrant (a delegated permission grant)" },
  "GET /subscribedSkus": {
    ...same({
      leastPrivileged: one("LicenseAssignment.Read.All"),
      higherPrivileged: one("Directory.Read.All", "Directory.ReadWrite.All", "Organization.Read.All", "Organization.ReadWrite.All"),
    }),
    gdapRoles: "anyRole",
    source: "List subscribedSkus",
  },
  "GET /tenantRelationships/delegatedAdminRelationships": {
    ...same({
      leastPrivileged: one("DelegatedAdminRelationship.Read.All"),
      higherPrivileged: one("DelegatedAdminRelationship.ReadWrite.All"),
    }),
    gdapRoles: "anyRole",
    source: "List delegatedAdminRelationships",
  },
  "GET /tenantRelationships/delegatedAdminRelationships/{id}": {
    ...same({
      leastPrivileged: one("DelegatedAdminRelationship.Read.All"),
      higherPrivileged: one("DelegatedAdminRelationship.ReadWrite.All"),
    }),
    gdapRoles: "anyRole",
    source: "Get delegatedAdminRelationship",
  },
  "GET /tenantRelationships/delegatedAdminRelationships/{id}/accessAssignments": {
    ...same({
      leastPrivileged: one("DelegatedAdminRelationship.Read.All"),
      higherPrivileged: one("DelegatedAdminRelationship.ReadWrite.All"),
    }),
    gdapRoles: "anyRole",
    source: "List accessAssignments",
  },
  "GET /tenantRelationships/findTenantInformationByTenantId(tenantId='{tenant-id}')": {
    ...same({ leastPrivileged: one("CrossTenantInformation.ReadBasic.All"), higherPrivileged: [] }),
    gdapRoles: "anyRole",
    source: "tenantRelationship: findTenantInformationByTenantId",
  },
  "GET /organization": {
    delegated: {
      leastPrivileged: one("User.Read"),
      higherPrivileged: one("Directory.Read.All", "Directory.ReadWrite.All", "Organization.Read.All", "Organization.ReadWrite.All"),
    },
    application: {
      leastPrivileged: one("Organization.Read.All"),
      higherPrivileged: one("Directory.Read.All", "Directory.ReadWrite.All", "Organization.ReadWrite.All"),
    },
    gdapRoles: "anyRole",
    source: "List organization",
  },
  "GET /domains": {
    ...same({
      leastPrivileged: one("Domain.Read.All"),
      higherPrivileged: one("Directory.Read.All", "Directory.ReadWrite.All", "Domain.ReadWrite.All"),
    }),
    gdapRoles: "anyRole",
    source: "List domains",
  },
  "POST /$batch": {
    ...same({ leastPrivileged: [[]], higherPrivileged: [] }),
    gdapRoles: "anyRole",
    source: "Combine multiple HTTP requests using JSON batching",
    note: "The batch itself needs no permission: each request in it is authorized on its own.",
  },
} as const satisfies Record<string, PermissionEntry>;

/** A route of the table, e.g. "GET /servicePrincipals/{id}". */
export type RouteKey = keyof typeof PERMISSION_TABLE;

/** The permission sets that satisfy an entry for a token of the given kind (owned-only permissions left out). */
export function acceptedSets(entry: PermissionEntry, kind: "delegated" | "application"): readonly PermissionSet[] {
  const requirement = entry[kind];
  const ownedOnly = new Set(entry.ownedObjectsOnly ?? []);
  return [...requirement.leastPrivileged, ...requirement.higherPrivileged].filter((set) => !set.some((p) => ownedOnly.has(p)));
}
