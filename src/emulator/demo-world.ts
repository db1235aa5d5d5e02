/**
 * The sandbox's default world: a partner with CIPP-SAM and five customers, one per situation the
 * tool must handle (healthy, drifted, never consented, unlicensed and expiring GDAP, unreachable),
 * plus two GDAP customers stacks/ does not declare, for `discover` (one to propose, one with too
 * few roles). All identifiers and credentials are illustrative.
 */
import cippSamGrants from "./fixtures/cipp-sam-grants.json";
import firstPartyAppsJson from "./fixtures/first-party-apps.json";
import { DEMO } from "./demo-ids";
import { BUILT_IN_OIDC_ISSUER } from "./tokens";
import {
  GRAPH_APP_ID,
  PARTNER_CENTER_APP_ID,
  ROLE_TEMPLATES,
  type FirstPartyAppSpec,
  type SubscribedSkuSpec,
  type TenantSpec,
  type WorldSpec,
} from "./world";

/** Credentials of the demo world's CIPP-SAM and service account. Illustrative, not secrets. */
export const DEMO_CREDENTIALS = {
  clientId: DEMO.applicationId,
  clientSecret: "demo-only.cipp-sam-client-secret.not-a-real-secret",
  refreshToken: "0.demo-only.cipp-service-account-refresh-token.not-a-real-token",
} as const;

/** The GitHub repository and branch the demo CIPP-SAM trusts for OIDC federation. */
export const DEMO_FEDERATION = {
  issuer: BUILT_IN_OIDC_ISSUER,
  subject: "repo:contoso-msp/cipp-permissions:ref:refs/heads/main",
  audience: "api://AzureADTokenExchange",
} as const;

/** Microsoft's resource apps with their real permissions (generated from reference data). */
export const FIRST_PARTY_APPS = firstPartyAppsJson as readonly FirstPartyAppSpec[];

interface CippResource {
  readonly resourceAppId: string;
  readonly displayName: string;
  readonly appRoleIds: readonly string[];
  readonly scopes: readonly string[];
  readonly partnerTenantOnly: boolean;
}

/** CIPP's full permission set per resource (CIPP's SAM manifest plus its additional permissions). */
export const CIPP_SAM_PERMISSIONS = cippSamGrants.resources as readonly CippResource[];

const SKU = {
  e5: {
    skuPartNumber: "SPE_E5",
    skuId: "06ebc4ee-1bb5-47dd-8120-11324bc54e06",
    servicePlans: [
      "EXCHANGE_S_ENTERPRISE",
      "SHAREPOINTENTERPRISE",
      "MCOSTANDARD",
      "TEAMS1",
      "RMS_S_ENTERPRISE",
      "RMS_S_PREMIUM",
      "RMS_S_PREMIUM2",
      "AAD_PREMIUM",
      "AAD_PREMIUM_P2",
      "INTUNE_A",
      "WINDEFATP",
    ],
  },
  e3: {
    skuPartNumber: "SPE_E3",
    skuId: "05e9a617-0261-4cee-bb44-138d3ef5d965",
    servicePlans: [
      "EXCHANGE_S_ENTERPRISE",
      "SHAREPOINTENTERPRISE",
      "MCOSTANDARD",
      "TEAMS1",
      "RMS_S_ENTERPRISE",
      "RMS_S_PREMIUM",
      "AAD_PREMIUM",
      "INTUNE_A",
      "MDE_LITE",
    ],
  },
  businessStandard: {
    skuPartNumber: "O365_BUSINESS_PREMIUM",
    skuId: "f245ecc8-75af-4f8e-b61f-27d8114de5f3",
    servicePlans: ["EXCHANGE_S_STANDARD", "SHAREPOINTSTANDARD", "MCOSTANDARD", "TEAMS1", "OFFICE_BUSINESS", "FORMS_PLAN_E1"],
  },
} satisfies Record<string, SubscribedSkuSpec>;

const GDAP_ROLES = [
  ROLE_TEMPLATES.applicationAdministrator,
  ROLE_TEMPLATES.cloudApplicationAdministrator,
  ROLE_TEMPLATES.privilegedRoleAdministrator,
];

function licensed(skus: readonly SubscribedSkuSpec[], app: FirstPartyAppSpec): boolean {
  const required = app.requiresServicePlans ?? [];
  const plans = new Set(skus.flatMap((s) => s.servicePlans));
  return required.length === 0 || required.some((p) => plans.has(p));
}

interface TenantOptions {
  readonly ids: { readonly tenantId: string; readonly defaultDomain: string; readonly displayName: string };
  readonly skus: readonly SubscribedSkuSpec[];
  readonly size?: "S" | "M" | "L";
  readonly partner?: boolean;
  /** Whether CIPP-SAM was ever consented here. */
  readonly consented: boolean;
  readonly withoutAppRoles?: readonly string[];
  readonly withoutScopes?: readonly string[];
}

/** A tenant with every licensed first-party service principal and, if consented, CIPP's full set. */
function tenant(o: TenantOptions): TenantSpec {
  const available = FIRST_PARTY_APPS.filter((a) => licensed(o.skus, a) && (o.partner === true || a.appId !== PARTNER_CENTER_APP_ID));
  const availableIds = new Set(available.map((a) => a.appId));
  const resources = CIPP_SAM_PERMISSIONS.filter((r) => availableIds.has(r.resourceAppId) && (o.partner === true || !r.partnerTenantOnly));
  const graphRoles = new Map(FIRST_PARTY_APPS.find((a) => a.appId === GRAPH_APP_ID)?.appRoles.map((r) => [r.id, r.value]) ?? []);
  const droppedRole = (resourceAppId: string, roleId: string): boolean =>
    resourceAppId === GRAPH_APP_ID && (o.withoutAppRoles ?? []).includes(graphRoles.get(roleId) ?? "");
  return {
    ...o.ids,
    size: o.size ?? "S",
    subscribedSkus: o.skus,
    servicePrincipals: [...available.map((a) => ({ appId: a.appId })), ...(o.consented ? [{ appId: DEMO.applicationId }] : [])],
    appRoleAssignments: o.consented
      ? resources.flatMap((r) =>
          r.appRoleIds
            .filter((id) => !droppedRole(r.resourceAppId, id))
            .map((id) => ({ principalAppId: DEMO.applicationId, resourceAppId: r.resourceAppId, appRole: id })),
        )
      : [],
    grants: o.consented
      ? resources
          .map((r) => ({
            clientAppId: DEMO.applicationId,
            resourceAppId: r.resourceAppId,
            scope: r.scopes.filter((s) => !(r.resourceAppId === GRAPH_APP_ID && (o.withoutScopes ?? []).includes(s))).join(" "),
          }))
          .filter((g) => g.scope !== "")
      : [],
  };
}

/** Entra role templates a GDAP relationship can hold that cannot consent an application. */
const READ_ONLY_GDAP_ROLES = [
  "f2ef992c-3afb-46b9-b7cf-a126ee74c451", // Global Reader
  "729827e3-9c14-49f7-bb1b-9608f156bbb8", // Helpdesk Administrator
];

/** Days before Adatum's GDAP relationship ends, without auto-extend: within `discover`'s default warning window. */
export const DEMO_EXPIRING_IN_DAYS = 12;

const DAY_MS = 86_400_000;

/**
 * Builds the demo world specification (a fresh object each call, safe to modify). `now` places
 * the one relationship with an end date (Adatum's, ending in DEMO_EXPIRING_IN_DAYS days).
 */
export function demoWorld(now: number = Date.now()): WorldSpec {
  return {
    partnerTenantId: DEMO.partner.tenantId,
    applications: [
      {
        appId: DEMO.applicationId,
        displayName: "CIPP-SAM",
        homeTenantId: DEMO.partner.tenantId,
        secrets: [{ value: DEMO_CREDENTIALS.clientSecret }],
        federatedCredentials: [
          { name: "github-main", issuer: DEMO_FEDERATION.issuer, subject: DEMO_FEDERATION.subject, audiences: [DEMO_FEDERATION.audience] },
        ],
      },
    ],
    firstPartyApps: FIRST_PARTY_APPS,
    users: [
      {
        id: DEMO.user.id,
        userPrincipalName: DEMO.user.userPrincipalName,
        refreshTokens: [{ token: DEMO_CREDENTIALS.refreshToken, clientId: DEMO.applicationId }],
        mfa: true,
        adminAgent: true,
      },
    ],
    tenants: [
      tenant({ ids: DEMO.partner, skus: [SKU.e5], partner: true, consented: true }),
      tenant({ ids: DEMO.healthy, skus: [SKU.e3], size: "M", consented: true }),
      tenant({
        ids: DEMO.drifted,
        skus: [SKU.e3],
        consented: true,
        withoutAppRoles: ["AuditLog.Read.All"],
        withoutScopes: ["Policy.Read.All"],
      }),
      tenant({ ids: DEMO.fresh, skus: [SKU.e3], consented: false }),
      tenant({ ids: DEMO.unlicensed, skus: [SKU.businessStandard], consented: true }),
      tenant({ ids: DEMO.noGdap, skus: [SKU.e3], consented: true }),
      tenant({ ids: DEMO.newCustomer, skus: [SKU.e3], consented: false }),
      tenant({ ids: DEMO.fewRoles, skus: [SKU.businessStandard], consented: false }),
    ],
    gdapRelationships: [
      ...[DEMO.healthy, DEMO.drifted, DEMO.fresh, DEMO.newCustomer].map((t) => ({
        displayName: `CIPP ${t.displayName}`,
        customerTenantId: t.tenantId,
        status: "active" as const,
        roleTemplateIds: GDAP_ROLES,
      })),
      {
        displayName: `CIPP ${DEMO.unlicensed.displayName}`,
        customerTenantId: DEMO.unlicensed.tenantId,
        status: "active",
        roleTemplateIds: GDAP_ROLES,
        endDateTime: new Date(now + DEMO_EXPIRING_IN_DAYS * DAY_MS).toISOString(),
        autoExtendDuration: "PT0S",
      },
      {
        displayName: `CIPP ${DEMO.noGdap.displayName}`,
        customerTenantId: DEMO.noGdap.tenantId,
        status: "expired",
        roleTemplateIds: GDAP_ROLES,
      },
      {
        displayName: `Helpdesk ${DEMO.fewRoles.displayName}`,
        customerTenantId: DEMO.fewRoles.tenantId,
        status: "active",
        roleTemplateIds: READ_ONLY_GDAP_ROLES,
      },
    ],
  };
}
