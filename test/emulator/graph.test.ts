import { grantId } from "../../src/emulator/state";
import {
  BASE_URL,
  CIPP,
  CIPP_SP,
  CUSTOMER,
  DEFENDER,
  GRAPH,
  GRAPH_SP,
  OTHER_APP,
  OTHER_CUSTOMER,
  PARTNER,
  ROLE,
  createHarness,
  errorCode,
  graphJson,
  type Harness,
} from "./graph-harness";

const ALL = [
  "Application.ReadWrite.All",
  "AppRoleAssignment.ReadWrite.All",
  "DelegatedPermissionGrant.ReadWrite.All",
  "Organization.Read.All",
];

// jest's asymmetric matchers are typed `any`; held as unknown they sit in expected objects as values.
const anyString: unknown = expect.any(String);

let h: Harness;
let token: string;
beforeEach(() => {
  h = createHarness();
  token = h.appToken(CUSTOMER, ALL);
});

describe("servicePrincipals", () => {
  it("lists with @odata.context and filters by appId eq", async () => {
    const r = await h.send("GET", `/v1.0/servicePrincipals?$filter=appId eq '${GRAPH}'`, { token });
    expect(r.status).toBe(200);
    expect(graphJson(r)["@odata.context"]).toBe(`${BASE_URL}/v1.0/$metadata#servicePrincipals`);
    expect(graphJson(r).value.map((s) => s.id)).toEqual([GRAPH_SP]);
    const sp = graphJson(r).value[0];
    expect(sp).toMatchObject({ appId: GRAPH, displayName: "Microsoft Graph", servicePrincipalType: "Application", accountEnabled: true });
    expect(sp?.appRoles.map((a) => a.value)).toContain("Directory.Read.All");
    expect(sp?.oauth2PermissionScopes.map((s) => s.value)).toContain("User.Read");
    expect(r.headers?.["x-ms-resource-unit"]).toBe("1");
  });

  it("filters with appId in (...) and answers an empty list when nothing matches", async () => {
    const both = await h.send("GET", `/v1.0/servicePrincipals?$filter=appId in ('${GRAPH}','${CIPP}','${DEFENDER}')&$select=appId`, {
      token,
    });
    expect(
      graphJson(both)
        .value.map((s) => s.appId)
        .sort(),
    ).toEqual([GRAPH, CIPP].sort());
    expect(graphJson(both).value[0]).toEqual({ appId: anyString });
    expect(graphJson(both)["@odata.context"]).toBe(`${BASE_URL}/v1.0/$metadata#servicePrincipals(appId)`);
    const none = await h.send("GET", `/v1.0/servicePrincipals?$filter=appId eq '${DEFENDER}'`, { token });
    expect(graphJson(none).value).toEqual([]);
  });

  it("refuses more than 15 values in an in list, unknown properties and advanced queries", async () => {
    const sixteen = Array.from({ length: 16 }, (_, i) => `'00000000-0000-0000-0000-${String(i).padStart(12, "0")}'`).join(",");
    const tooMany = await h.send("GET", `/v1.0/servicePrincipals?$filter=appId in (${sixteen})`, { token });
    expect(tooMany.status).toBe(400);
    expect(graphJson(tooMany).error.message).toBe(
      "Too many child clauses specified in search filter expression containing 'OR' operators: 16. Max allowed: 15.",
    );

    const select = await h.send("GET", "/v1.0/servicePrincipals?$select=id,colour", { token });
    expect(select.status).toBe(400);
    expect(graphJson(select).error.message).toBe("Could not find a property named 'colour' on type 'microsoft.graph.servicePrincipal'.");

    // startswith on displayName is a default query ("List servicePrincipals"): no header needed.
    const startsWith = await h.send("GET", "/v1.0/servicePrincipals?$filter=startswith(displayName,'Micro')&$select=displayName", {
      token,
    });
    expect([startsWith.status, graphJson(startsWith).value]).toEqual([200, [{ displayName: "Microsoft Graph" }]]);
    // ne and endswith are advanced queries: refused without ConsistencyLevel: eventual and $count=true.
    const ne = await h.send("GET", "/v1.0/servicePrincipals?$filter=displayName ne 'CIPP-SAM'", { token });
    expect([ne.status, errorCode(ne)]).toEqual([400, "Request_UnsupportedQuery"]);
    const endsWith = await h.send("GET", "/v1.0/servicePrincipals?$filter=endswith(displayName,'Graph')", { token });
    expect([endsWith.status, errorCode(endsWith)]).toEqual([400, "Request_UnsupportedQuery"]);
    const notFilterable = await h.send("GET", "/v1.0/servicePrincipals?$filter=tags eq 'x'", { token });
    expect(graphJson(notFilterable).error.message).toMatch(/Unsupported or invalid query filter clause specified for property 'tags'/);
    const syntax = await h.send("GET", "/v1.0/servicePrincipals?$filter=appId eq", { token });
    expect([syntax.status, errorCode(syntax)]).toEqual([400, "BadRequest"]);
    const top = await h.send("GET", "/v1.0/servicePrincipals?$top=1000", { token });
    expect(graphJson(top).error.message).toBe("Invalid page size specified: '1000'. Must be between 1 and 999 inclusive.");
  });

  it("pages with @odata.nextLink carrying $skiptoken and the original options", async () => {
    for (let i = 0; i < 3; i++)
      h.world.tenants.get(CUSTOMER)?.servicePrincipals.set(`dddddddd-0000-4000-8000-00000000000${i}`, {
        id: `dddddddd-0000-4000-8000-00000000000${i}`,
        appId: `eeeeeeee-0000-4000-8000-00000000000${i}`,
        displayName: `Extra ${i}`,
        appOwnerOrganizationId: PARTNER,
        createdAt: 0,
        visibleAt: 0,
      });
    const seen: string[] = [];
    let url: string | undefined = "/v1.0/servicePrincipals?$top=2&$select=id";
    let pages = 0;
    while (url !== undefined) {
      const r = await h.send("GET", url, { token });
      expect(r.status).toBe(200);
      pages++;
      seen.push(...graphJson(r).value.map((s) => s.id));
      const next = graphJson(r)["@odata.nextLink"] as string | undefined;
      if (next !== undefined) {
        expect(next.startsWith(`${BASE_URL}/v1.0/servicePrincipals?`)).toBe(true);
        expect(next).toContain("$top=2");
        expect(next).toContain("$select=id");
        expect(next).toContain("$skiptoken=");
      }
      url = next?.slice(BASE_URL.length);
    }
    expect(pages).toBe(3);
    expect(new Set(seen).size).toBe(5);
  });

  it("gets by id and by the appId alternate key, 404 when missing", async () => {
    const byId = await h.send("GET", `/v1.0/servicePrincipals/${CIPP_SP}?$select=id,appId,displayName`, { token });
    expect(graphJson(byId)).toMatchObject({ id: CIPP_SP, appId: CIPP, displayName: "CIPP-SAM" });
    expect(graphJson(byId).appRoles).toBeUndefined();
    const byKey = await h.send("GET", `/beta/servicePrincipals(appId='${GRAPH}')`, { token });
    expect(graphJson(byKey)).toMatchObject({ id: GRAPH_SP, appId: GRAPH });
    const missing = await h.send("GET", `/v1.0/servicePrincipals(appId='${DEFENDER}')`, { token });
    expect([missing.status, errorCode(missing)]).toEqual([404, "Request_ResourceNotFound"]);
    expect(graphJson(missing).error.innerError).toEqual({
      date: "2026-11-26T10:00:00",
      "request-id": anyString,
      "client-request-id": anyString,
    });
  });

  it("matches appIds without regard to case, as the directory compares GUIDs", async () => {
    const byKey = await h.send("GET", `/v1.0/servicePrincipals(appId='${GRAPH.toUpperCase()}')`, { token });
    expect(graphJson(byKey)).toMatchObject({ id: GRAPH_SP, appId: GRAPH });
    const dup = await h.send("POST", "/v1.0/servicePrincipals", { token, body: { appId: GRAPH.toUpperCase() } });
    expect([dup.status, errorCode(dup)]).toEqual([409, "Request_MultipleObjectsWithSameKeyValue"]);
    const created = await h.send("POST", "/v1.0/servicePrincipals", { token, body: { appId: DEFENDER.toUpperCase() } });
    expect([created.status, graphJson(created).appId]).toEqual([201, DEFENDER]);
  });

  it("creates (201), refuses a duplicate (409), an unknown appId (400) and an unlicensed workload (400)", async () => {
    const created = await h.send("POST", "/v1.0/servicePrincipals", { token, body: { appId: DEFENDER } });
    expect(created.status).toBe(201);
    expect(graphJson(created)).toMatchObject({
      appId: DEFENDER,
      displayName: "WindowsDefenderATP",
      appOwnerOrganizationId: "f8cdef31-a31e-4b4a-93e4-5f571e91255a",
    });
    const dup = await h.send("POST", "/v1.0/servicePrincipals", { token, body: { appId: DEFENDER } });
    expect([dup.status, errorCode(dup)]).toEqual([409, "Request_MultipleObjectsWithSameKeyValue"]);
    expect(graphJson(dup).error.message).toBe(
      `The service principal cannot be created, updated, or restored because the service principal name ${DEFENDER} is already in use.`,
    );
    const unknown = "99999999-0000-4000-8000-000000000000";
    const bad = await h.send("POST", "/v1.0/servicePrincipals", { token, body: { appId: unknown } });
    expect(graphJson(bad).error.message).toBe(
      `The appId '${unknown}' of the service principal does not reference a valid application object.`,
    );

    const other = h.appToken(OTHER_CUSTOMER, ALL);
    const unlicensed = await h.send("POST", "/v1.0/servicePrincipals", { token: other, body: { appId: DEFENDER } });
    expect([unlicensed.status, errorCode(unlicensed)]).toEqual([400, "Request_BadRequest"]);
    expect(graphJson(unlicensed).error.message).toMatch(/not licensed/);
    expect(h.world.tenants.get(OTHER_CUSTOMER)?.servicePrincipals.size).toBe(1);
  });

  it("deletes by alternate key (204), taking its assignments and grants, keeping it among deleted objects", async () => {
    const r = await h.send("DELETE", `/v1.0/servicePrincipals(appId='${CIPP}')`, { token });
    expect(r.status).toBe(204);
    const tenant = h.world.tenants.get(CUSTOMER);
    expect(tenant?.servicePrincipals.has(CIPP_SP)).toBe(false);
    expect(tenant?.appRoleAssignments.size).toBe(0);
    expect(tenant?.grants.size).toBe(0);
    expect(tenant?.deletedServicePrincipals.map((s) => s.id)).toEqual([CIPP_SP]);
    const again = await h.send("DELETE", `/v1.0/servicePrincipals/${CIPP_SP}`, { token });
    expect(again.status).toBe(404);
  });
});

describe("appRoleAssignments", () => {
  const path = `/v1.0/servicePrincipals/${CIPP_SP}/appRoleAssignments`;
  const assign = (appRoleId: string) => ({ principalId: CIPP_SP, resourceId: GRAPH_SP, appRoleId });

  it("lists with $filter=resourceId eq and costs 2 resource units", async () => {
    // appRoleAssignment.resourceId is an Edm.Guid: the GUID is written bare.
    const r = await h.send("GET", `${path}?$filter=resourceId eq ${GRAPH_SP}`, { token });
    expect(graphJson(r).value).toEqual([
      expect.objectContaining({
        principalId: CIPP_SP,
        resourceId: GRAPH_SP,
        appRoleId: ROLE.directoryReadAll,
        principalType: "ServicePrincipal",
        principalDisplayName: "CIPP-SAM",
        resourceDisplayName: "Microsoft Graph",
      }),
    ]);
    expect(r.headers?.["x-ms-resource-unit"]).toBe("2");
    const other = await h.send("GET", `${path}?$filter=resourceId eq ${CIPP_SP}`, { token });
    expect(graphJson(other).value).toEqual([]);
  });

  it("creates on the client side and through appRoleAssignedTo on either side; refuses duplicates and scope ids", async () => {
    const created = await h.send("POST", path, { token, body: assign(ROLE.applicationReadWriteAll) });
    expect(created.status).toBe(201);
    expect(Buffer.from(graphJson(created).id, "base64url").length).toBe(32);
    expect(graphJson(created).createdDateTime).toMatch(/^2026-11-26T10:00:00\.\d{7}Z$/);
    const dup = await h.send("POST", path, { token, body: assign(ROLE.applicationReadWriteAll) });
    expect([dup.status, graphJson(dup).error.message]).toEqual([400, "Permission being assigned already exists on the object"]);
    const scope = await h.send("POST", path, { token, body: assign(ROLE.userReadScope) });
    expect([scope.status, graphJson(scope).error.message]).toEqual([400, "Permission being assigned was not found on application"]);

    const resourceSide = await h.send("POST", `/v1.0/servicePrincipals/${GRAPH_SP}/appRoleAssignedTo`, {
      token,
      body: assign(ROLE.appRoleAssignmentReadWriteAll),
    });
    expect(resourceSide.status).toBe(201);
    const cippQuirk = await h.send("DELETE", `/v1.0/servicePrincipals/${CIPP_SP}/appRoleAssignedTo/${graphJson(resourceSide).id}`, {
      token,
    });
    expect(cippQuirk.status).toBe(204);
    const quirkCreate = await h.send("POST", `/v1.0/servicePrincipals/${CIPP_SP}/appRoleAssignedTo`, {
      token,
      body: assign(ROLE.appRoleAssignmentReadWriteAll),
    });
    expect(quirkCreate.status).toBe(201);
    const list = await h.send("GET", `/v1.0/servicePrincipals(appId='${GRAPH}')/appRoleAssignedTo`, { token });
    expect(
      graphJson(list)
        .value.map((a) => a.appRoleId)
        .sort(),
    ).toEqual([ROLE.applicationReadWriteAll, ROLE.appRoleAssignmentReadWriteAll, ROLE.directoryReadAll].sort());
  });

  it("answers 404 for an unknown principal or resource, and deletes (204) then 404", async () => {
    const ghost = "12345678-0000-4000-8000-000000000000";
    const noResource = await h.send("POST", path, {
      token,
      body: { principalId: CIPP_SP, resourceId: ghost, appRoleId: ROLE.directoryReadAll },
    });
    expect([noResource.status, errorCode(noResource)]).toEqual([404, "Request_ResourceNotFound"]);
    const noPrincipal = await h.send("POST", `/v1.0/servicePrincipals/${ghost}/appRoleAssignments`, {
      token,
      body: assign(ROLE.directoryReadAll),
    });
    expect(noPrincipal.status).toBe(404);
    const existing = [...(h.world.tenants.get(CUSTOMER)?.appRoleAssignments.keys() ?? [])][0];
    const del = await h.send("DELETE", `${path}/${existing}`, { token });
    expect(del.status).toBe(204);
    const again = await h.send("DELETE", `${path}/${existing}`, { token });
    expect(again.status).toBe(404);
  });
});

describe("oauth2PermissionGrants", () => {
  const existingId = grantId(CIPP_SP, GRAPH_SP);

  it("lists by clientId eq (2 RU), through the navigation, and gets by id", async () => {
    const r = await h.send("GET", `/v1.0/oauth2PermissionGrants?$filter=clientId eq '${CIPP_SP}' and consentType eq 'AllPrincipals'`, {
      token,
    });
    expect(graphJson(r).value).toEqual([
      {
        "@odata.id": `${BASE_URL}/v2/${CUSTOMER}/oauth2PermissionGrants/${existingId}`,
        clientId: CIPP_SP,
        consentType: "AllPrincipals",
        id: existingId,
        principalId: null,
        resourceId: GRAPH_SP,
        scope: "User.Read",
      },
    ]);
    expect(r.headers?.["x-ms-resource-unit"]).toBe("2");
    const nav = await h.send("GET", `/beta/servicePrincipals/${CIPP_SP}/oauth2PermissionGrants`, { token });
    expect(graphJson(nav).value.map((g) => g.id)).toEqual([existingId]);
    const one = await h.send("GET", `/v1.0/oauth2PermissionGrants/${existingId}`, { token });
    expect(graphJson(one).scope).toBe("User.Read");
  });

  it("creates with an Entra-keyed id, refuses the duplicate (409), PATCH replaces scope, DELETE removes", async () => {
    const tenant = h.world.tenants.get(CUSTOMER);
    tenant?.grants.clear();
    const body = { clientId: CIPP_SP, consentType: "AllPrincipals", resourceId: GRAPH_SP, scope: "User.Read" };
    const created = await h.send("POST", "/v1.0/oauth2PermissionGrants", { token, body });
    expect(created.status).toBe(201);
    expect(graphJson(created).id).toBe(existingId);
    const dup = await h.send("POST", "/v1.0/oauth2PermissionGrants", { token, body: { ...body, scope: "Directory.Read.All" } });
    expect([dup.status, errorCode(dup), graphJson(dup).error.message]).toEqual([
      409,
      "Request_MultipleObjectsWithSameKeyValue",
      "Permission entry already exists.",
    ]);
    const patched = await h.send("PATCH", `/v1.0/oauth2PermissionGrants/${existingId}`, { token, body: { scope: "Directory.Read.All" } });
    expect(patched.status).toBe(204);
    expect(tenant?.grants.get(existingId)?.scope).toBe("Directory.Read.All");
    const tooLong = await h.send("PATCH", `/v1.0/oauth2PermissionGrants/${existingId}`, { token, body: { scope: "x".repeat(3851) } });
    expect([tooLong.status, errorCode(tooLong)]).toEqual([400, "Request_BadRequest"]);
    const deleted = await h.send("DELETE", `/v1.0/oauth2PermissionGrants/${existingId}`, { token });
    expect(deleted.status).toBe(204);
    expect(tenant?.grants.size).toBe(0);
    const gone = await h.send("GET", `/v1.0/oauth2PermissionGrants/${existingId}`, { token });
    expect(gone.status).toBe(404);
  });

  it("answers 404 when the client service principal does not exist", async () => {
    const r = await h.send("POST", "/v1.0/oauth2PermissionGrants", {
      token,
      body: { clientId: "12345678-0000-4000-8000-000000000000", consentType: "AllPrincipals", resourceId: GRAPH_SP, scope: "User.Read" },
    });
    expect([r.status, errorCode(r)]).toEqual([404, "Request_ResourceNotFound"]);
  });
});

describe("tenant information", () => {
  it("lists the tenant's subscribed SKUs with their service plans", async () => {
    const r = await h.send("GET", "/v1.0/subscribedSkus", { token });
    expect(r.status).toBe(200);
    const [sku] = graphJson(r).value;
    expect(sku).toMatchObject({ skuPartNumber: "SPB", capabilityStatus: "Enabled" });
    expect(sku?.servicePlans.map((p) => p.servicePlanName)).toEqual(["EXCHANGE_S_STANDARD", "WINDEFATP"]);
    const guidLike: unknown = expect.stringMatching(/^[0-9a-f-]{36}$/);
    expect(sku?.servicePlans[0]).toMatchObject({ provisioningStatus: "Success", servicePlanId: guidLike });
  });

  it("lists GDAP relationships in the partner tenant with filters, and none elsewhere", async () => {
    const partner = h.appToken(PARTNER, ["DelegatedAdminRelationship.Read.All"]);
    const all = await h.send("GET", "/v1.0/tenantRelationships/delegatedAdminRelationships", { token: partner });
    expect(graphJson(all).value).toHaveLength(3);
    const active = await h.send(
      "GET",
      `/v1.0/tenantRelationships/delegatedAdminRelationships?$filter=status eq 'active' and customer/tenantId eq '${CUSTOMER}'`,
      { token: partner },
    );
    expect(graphJson(active).value).toEqual([
      expect.objectContaining({
        displayName: "CIPP Customer",
        status: "active",
        customer: { tenantId: CUSTOMER, displayName: "Customer" },
        accessDetails: { unifiedRoles: [{ roleDefinitionId: "158c047a-c907-4556-b7ef-446551a6b5f7" }] },
      }),
    ]);
    const customerSide = await h.send("GET", "/v1.0/tenantRelationships/delegatedAdminRelationships", {
      token: h.appToken(CUSTOMER, ["DelegatedAdminRelationship.Read.All"]),
    });
    expect(graphJson(customerSide).value).toEqual([]);
    const denied = await h.send("GET", "/v1.0/tenantRelationships/delegatedAdminRelationships", {
      token: h.appToken(PARTNER, ["Directory.Read.All"]),
    });
    expect([denied.status, errorCode(denied)]).toEqual([403, "Authorization_RequestDenied"]);
  });
});

describe("routing", () => {
  it("answers unknown segments with 400 and unsupported methods with 405", async () => {
    const unknown = await h.send("GET", "/v1.0/widgets", { token });
    expect([unknown.status, graphJson(unknown).error.message]).toEqual([400, "Resource not found for the segment 'widgets'."]);
    const method = await h.send("PUT", "/v1.0/servicePrincipals", { token });
    expect(method.status).toBe(405);
  });

  it("keeps OTHER_APP out of a tenant it has no service principal in", async () => {
    const r = await h.send("GET", `/v1.0/servicePrincipals?$filter=appId eq '${OTHER_APP}'`, { token });
    expect(graphJson(r).value).toEqual([]);
  });
});
