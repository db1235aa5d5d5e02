/**
 * Fixed identifiers of the demo world, so that stacks/tenants/*.yaml and the sandbox agree.
 * Illustrative values: none of them exists in Microsoft's clouds.
 */
export const DEMO = {
  partner: { tenantId: "b8d3f1a2-6c4e-4f0a-9e21-5a7c3d9e1f01", defaultDomain: "contosomsp.onmicrosoft.com", displayName: "Contoso MSP" },
  /** Holds CIPP's full set. */
  healthy: { tenantId: "1e5b2c7d-8a9f-4b3c-a1d2-3e4f5a6b7c01", defaultDomain: "fabrikam.onmicrosoft.com", displayName: "Fabrikam" },
  /** An admin removed one app role (Graph "AuditLog.Read.All") and one delegated scope (Graph "Policy.Read.All"). */
  drifted: {
    tenantId: "2f6c3d8e-9b0a-4c4d-b2e3-4f5a6b7c8d02",
    defaultDomain: "northwind.onmicrosoft.com",
    displayName: "Northwind Traders",
  },
  /** An active GDAP relationship, never consented: no CIPP-SAM service principal. */
  fresh: { tenantId: "3a7d4e9f-0c1b-4d5e-83f4-5a6b7c8d9e03", defaultDomain: "tailspintoys.onmicrosoft.com", displayName: "Tailspin Toys" },
  /** No licence for Microsoft Defender for Endpoint nor Azure Rights Management; everything else granted. */
  unlicensed: { tenantId: "4b8e5f0a-1d2c-4e6f-94a5-6b7c8d9e0f04", defaultDomain: "adatum.onmicrosoft.com", displayName: "Adatum" },
  /** Consented once, but the GDAP relationship has expired: the service account cannot reach it. */
  noGdap: { tenantId: "5c9f6a1b-2e3d-4f70-a5b6-7c8d9e0f1a05", defaultDomain: "wingtiptoys.onmicrosoft.com", displayName: "Wingtip Toys" },
  /** Onboarded through GDAP (Application Administrator) but not declared in stacks/: `discover` proposes its file. */
  newCustomer: { tenantId: "6d0a7b2c-3f4e-4a81-b6c7-8d9e0f1a2b06", defaultDomain: "litware.onmicrosoft.com", displayName: "Litware" },
  /** An active GDAP relationship with Global Reader and Helpdesk Administrator only: too few roles for CIPP. */
  fewRoles: { tenantId: "7e1b8c3d-4a5f-4b92-87d8-9e0f1a2b3c07", defaultDomain: "proseware.onmicrosoft.com", displayName: "Proseware" },
  /** CIPP-SAM, the partner's multi-tenant application. */
  applicationId: "6f1a2b3c-4d5e-4f60-8a7b-9c0d1e2f3a4b",
  /** The partner's CIPP service account. */
  user: { id: "7a2b3c4d-5e6f-4a70-8b91-0c1d2e3f4a5b", userPrincipalName: "cipp-service@contosomsp.onmicrosoft.com" },
} as const;
