/**
 * What real Graph refuses, the emulator refuses too: documented permission combinations, typed
 * `$filter`s, the advanced queries Graph answers only with `ConsistencyLevel: eventual` and
 * `$count=true`, object ids that are not GUIDs, and the documented PATCH of a service principal.
 * Each case cites the Microsoft Graph documentation page (by title) or the public report it follows.
 */
import { PERMISSION_TABLE, type RouteKey } from "../../src/emulator/graph/permission-table";
import { resolveOperation } from "../../src/emulator/graph/routes";
import {
  CIPP_SP,
  CUSTOMER,
  GRAPH_SP,
  PARTNER,
  READER_ONLY,
  ROLE,
  createHarness,
  errorCode,
  graphJson,
  type Harness,
} from "./graph-harness";

let h: Harness;
beforeEach(() => {
  h = createHarness();
});

const assignment = { principalId: CIPP_SP, resourceId: GRAPH_SP, appRoleId: ROLE.applicationReadWriteAll };
const EVENTUAL = { ConsistencyLevel: "eventual" };

describe("the permission table", () => {
  /** A concrete path for each route of the table. */
  const concrete = (route: string): string =>
    route
      .replace("{id}", CIPP_SP)
      .replace("{assignment-id}", "UxOIjjUXr0WvIe4TRFgqTY4z9Wu5KxpBtlEpoTGjw-A")
      .replace("{grant-id}", "l5eW7x0ga0-WDOntXzHateQDNpSH5-lPk9HjD3Sarjk")
      .replace("{tenant-id}", CIPP_SP);
  const served = (Object.keys(PERMISSION_TABLE) as RouteKey[]).filter((key) => key !== "POST /$batch");

  it("resolves every table route to the operation that reads that row", () => {
    for (const key of served) {
      const [method = "", path = ""] = key.split(" ");
      const operation = resolveOperation(method, concrete(path));
      expect([key, operation.route]).toEqual([key, key]);
      expect(operation.requirement).toBe(PERMISSION_TABLE[key]);
    }
    // The alternate key reaches the same rows.
    expect(resolveOperation("GET", `/servicePrincipals(appId='00000003-0000-0000-c000-000000000000')/appRoleAssignedTo`).route).toBe(
      "GET /servicePrincipals/{id}/appRoleAssignedTo",
    );
  });

  it("has an entry, with its source, for every route and method the emulator serves", () => {
    const paths = [
      "/servicePrincipals",
      "/servicePrincipals/$count",
      `/servicePrincipals/${CIPP_SP}`,
      `/servicePrincipals(appId='x')`,
      `/servicePrincipals/${CIPP_SP}/appRoleAssignments`,
      `/servicePrincipals/${CIPP_SP}/appRoleAssignments/a`,
      `/servicePrincipals/${CIPP_SP}/appRoleAssignedTo`,
      `/servicePrincipals/${CIPP_SP}/appRoleAssignedTo/a`,
      `/servicePrincipals/${CIPP_SP}/oauth2PermissionGrants`,
      "/oauth2PermissionGrants",
      "/oauth2PermissionGrants/g",
      "/subscribedSkus",
      "/tenantRelationships/delegatedAdminRelationships",
      "/organization",
      "/domains",
      `/tenantRelationships/delegatedAdminRelationships/${CIPP_SP}`,
      `/tenantRelationships/delegatedAdminRelationships/${CIPP_SP}/accessAssignments`,
      `/tenantRelationships/findTenantInformationByTenantId(tenantId='${CIPP_SP}')`,
    ];
    // Looked up by the resolved route, which may name no entry: a Map answers undefined for it.
    const entries = new Map(Object.entries(PERMISSION_TABLE));
    let servedCount = 0;
    for (const path of paths) {
      for (const method of ["GET", "POST", "PATCH", "PUT", "DELETE"]) {
        let route: string;
        try {
          route = resolveOperation(method, path).route;
        } catch {
          continue; // 405: not served
        }
        servedCount++;
        const entry = entries.get(route);
        expect(entry?.source).toMatch(/\S/);
        expect(entry?.delegated.leastPrivileged.length).toBeGreaterThan(0);
        expect(entry?.application.leastPrivileged.length).toBeGreaterThan(0);
      }
    }
    expect(servedCount).toBe(served.length + 3); // + GET, PATCH and DELETE through the alternate key
  });
});

describe("permissions as Microsoft's tables state them", () => {
  const post = (token: string, side = "appRoleAssignments") =>
    h.send("POST", `/v1.0/servicePrincipals/${side === "appRoleAssignments" ? CIPP_SP : GRAPH_SP}/${side}`, { token, body: assignment });

  it("refuses an app role assignment to a token holding AppRoleAssignment.ReadWrite.All without a read permission", async () => {
    // "Grant an appRoleAssignment to a service principal": AppRoleAssignment.ReadWrite.All *and*
    // Application.Read.All (or Directory.Read.All). The emulator used to accept either alone.
    const alone = h.appToken(CUSTOMER, ["AppRoleAssignment.ReadWrite.All"]);
    expect([(await post(alone)).status, errorCode(await post(alone, "appRoleAssignedTo"))]).toEqual([403, "Authorization_RequestDenied"]);
    const readOnly = h.appToken(CUSTOMER, ["Application.Read.All"]);
    expect((await post(readOnly)).status).toBe(403);
    const both = h.appToken(CUSTOMER, ["AppRoleAssignment.ReadWrite.All", "Application.Read.All"]);
    expect((await post(both)).status).toBe(201);
  });

  it("accepts the higher-privileged combination with Directory.Read.All", async () => {
    const token = h.appToken(CUSTOMER, ["AppRoleAssignment.ReadWrite.All", "Directory.Read.All"]);
    expect((await post(token, "appRoleAssignedTo")).status).toBe(201);
  });

  it("does not let Directory.ReadWrite.All delete a service principal in a delegated call", async () => {
    // "Delete servicePrincipal": delegated Application.ReadWrite.All, no higher-privileged alternative.
    const denied = await h.send("DELETE", `/v1.0/servicePrincipals/${CIPP_SP}`, {
      token: h.userToken(CUSTOMER, "Directory.ReadWrite.All"),
    });
    expect(denied.status).toBe(403);
    const allowed = await h.send("DELETE", `/v1.0/servicePrincipals/${CIPP_SP}`, {
      token: h.userToken(CUSTOMER, "Application.ReadWrite.All"),
    });
    expect(allowed.status).toBe(204);
  });

  it("does not let AppRoleAssignment.ReadWrite.All list app role assignments", async () => {
    // "List appRoleAssignments granted to a service principal" lists Application.Read.All and up, not it.
    const r = await h.send("GET", `/v1.0/servicePrincipals/${CIPP_SP}/appRoleAssignments`, {
      token: h.appToken(CUSTOMER, ["AppRoleAssignment.ReadWrite.All"]),
    });
    expect(r.status).toBe(403);
  });

  it("lets Application.ReadWrite.OwnedBy list service principals but not create one for an app it does not own", async () => {
    // "Get servicePrincipal": OwnedBy lists all; "Create servicePrincipal": OwnedBy only for owned, local apps.
    const token = h.appToken(CUSTOMER, ["Application.ReadWrite.OwnedBy"]);
    expect((await h.send("GET", "/v1.0/servicePrincipals?$select=id", { token })).status).toBe(200);
    const create = await h.send("POST", "/v1.0/servicePrincipals", { token, body: { appId: "fc780465-2017-40d4-a0c5-307022471b92" } });
    expect(create.status).toBe(403);
  });

  it("gives Directory.AccessAsUser.All no shortcut: none of these tables lists it", async () => {
    expect((await post(h.userToken(CUSTOMER, "Directory.AccessAsUser.All"))).status).toBe(403);
  });

  it("applies the same combination to delegated calls, on top of the GDAP role", async () => {
    const scopesAlone = h.userToken(CUSTOMER, "AppRoleAssignment.ReadWrite.All");
    expect((await post(scopesAlone)).status).toBe(403);
    const both = "AppRoleAssignment.ReadWrite.All Application.Read.All";
    expect((await post(h.userToken(CUSTOMER, both))).status).toBe(201);
    // Global Reader through GDAP: the scopes are there, the directory role that may write is not.
    const reader = await h.send("POST", `/v1.0/servicePrincipals/${CIPP_SP}/appRoleAssignments`, {
      token: h.userToken(READER_ONLY, both),
      body: assignment,
    });
    expect(reader.status).toBe(403);
  });
});

describe("$filter, typed as Graph types it", () => {
  const token = (): string => h.appToken(CUSTOMER, ["Application.ReadWrite.All", "Directory.Read.All"]);
  const assignments = `/v1.0/servicePrincipals/${CIPP_SP}/appRoleAssignments`;

  it("refuses a GUID-typed property compared with a string", async () => {
    // appRoleAssignment.resourceId is Edm.Guid; OData refuses comparing it with an Edm.String literal.
    const r = await h.send("GET", `${assignments}?$filter=resourceId eq '${GRAPH_SP}'`, { token: token() });
    expect([r.status, errorCode(r)]).toEqual([400, "BadRequest"]);
    expect(graphJson(r).error.message).toBe(
      "Invalid filter clause: A binary operator with incompatible types was detected. Found operand types 'Edm.Guid' and 'Edm.String' for operator kind 'Equal'.",
    );
  });

  it("refuses an unquoted GUID against a string property", async () => {
    const sp = await h.send("GET", `/v1.0/servicePrincipals?$filter=appId eq 00000003-0000-0000-c000-000000000000`, { token: token() });
    expect([sp.status, graphJson(sp).error.message]).toEqual([
      400,
      "Invalid filter clause: A binary operator with incompatible types was detected. Found operand types 'Edm.String' and 'Edm.Guid' for operator kind 'Equal'.",
    ]);
    const grants = await h.send("GET", `/v1.0/oauth2PermissionGrants?$filter=clientId eq ${CIPP_SP}`, { token: token() });
    expect(grants.status).toBe(400);
  });

  it("refuses filtering app role assignments by appRoleId, and appRoleAssignedTo by principalId", async () => {
    // Microsoft Q&A "How to $filter appRoleAssignments based on appRoleId": 400 Request_BadRequest.
    const byRole = await h.send("GET", `${assignments}?$filter=appRoleId eq ${ROLE.directoryReadAll}`, { token: token() });
    expect([byRole.status, errorCode(byRole), graphJson(byRole).error.message]).toEqual([
      400,
      "Request_BadRequest",
      "Invalid filter clause appRoleId: System.Guid",
    ]);
    const byPrincipal = await h.send("GET", `/v1.0/servicePrincipals/${GRAPH_SP}/appRoleAssignedTo?$filter=principalId eq ${CIPP_SP}`, {
      token: token(),
    });
    expect([byPrincipal.status, errorCode(byPrincipal)]).toEqual([400, "Request_BadRequest"]);
  });

  it("answers the documented forms: resourceId with a bare GUID, clientId with a quoted one", async () => {
    const r = await h.send("GET", `${assignments}?$filter=resourceId eq ${GRAPH_SP}`, { token: token() });
    expect(graphJson(r).value.map((a) => a.resourceId)).toEqual([GRAPH_SP]);
    const grants = await h.send("GET", `/v1.0/oauth2PermissionGrants?$filter=clientId eq '${CIPP_SP}'`, { token: token() });
    expect(graphJson(grants).value).toHaveLength(1);
  });

  it("serves the documentation's advanced query: startswith, $count, $top and $orderby with ConsistencyLevel: eventual", async () => {
    // "List servicePrincipals", example 3, which the emulator used to refuse.
    const url = "/v1.0/servicePrincipals?$filter=startswith(displayName, 'M')&$count=true&$top=1&$orderby=displayName";
    const r = await h.send("GET", url, { token: token(), headers: EVENTUAL });
    expect(r.status).toBe(200);
    expect(graphJson(r)["@odata.count"]).toBe(1);
    expect(graphJson(r).value.map((s) => s.displayName)).toEqual(["Microsoft Graph"]);
    // Without the header the same query is refused ("Advanced query capabilities on Microsoft Entra ID objects").
    const refused = await h.send("GET", url, { token: token() });
    expect([refused.status, graphJson(refused).error.message]).toEqual([400, "$count is not currently supported."]);
    const sortedFilter = await h.send("GET", "/v1.0/servicePrincipals?$filter=startswith(displayName,'M')&$orderby=displayName", {
      token: token(),
    });
    expect([sortedFilter.status, graphJson(sortedFilter).error.message]).toEqual([400, "Sorting not supported for current query."]);
  });

  it("serves ne, not and endswith only as advanced queries", async () => {
    const headers = EVENTUAL;
    const ne = await h.send("GET", "/v1.0/servicePrincipals?$filter=displayName ne 'CIPP-SAM'&$count=true&$select=displayName", {
      token: token(),
      headers,
    });
    expect(graphJson(ne).value.map((s) => s.displayName)).toEqual(["Microsoft Graph"]);
    const ends = await h.send("GET", "/v1.0/servicePrincipals?$filter=endswith(displayName,'sam')&$count=true&$select=displayName", {
      token: token(),
      headers,
    });
    expect(graphJson(ends).value.map((s) => s.displayName)).toEqual(["CIPP-SAM"]);
    const not = await h.send("GET", "/v1.0/servicePrincipals?$filter=not(startswith(displayName,'CIPP'))&$count=true&$select=displayName", {
      token: token(),
      headers,
    });
    expect(graphJson(not).value.map((s) => s.displayName)).toEqual(["Microsoft Graph"]);
    const noCount = await h.send("GET", "/v1.0/servicePrincipals?$filter=displayName ne 'CIPP-SAM'", { token: token(), headers });
    expect(noCount.status).toBe(400);
  });

  it("serves $search with ConsistencyLevel: eventual and refuses it without", async () => {
    // "List servicePrincipals", example 4.
    const url = '/v1.0/servicePrincipals?$search="displayName:Graph"&$count=true&$select=displayName';
    const r = await h.send("GET", url, { token: token(), headers: EVENTUAL });
    expect([r.status, graphJson(r)["@odata.count"], graphJson(r).value]).toEqual([200, 1, [{ displayName: "Microsoft Graph" }]]);
    const refused = await h.send("GET", '/v1.0/servicePrincipals?$search="displayName:Graph"', { token: token() });
    expect(refused.status).toBe(400);
  });

  it("keeps advanced queries off the collections that have none", async () => {
    const r = await h.send("GET", `${assignments}?$count=true`, { token: token(), headers: EVENTUAL });
    expect([r.status, errorCode(r)]).toEqual([400, "BadRequest"]);
  });
});

describe("object ids", () => {
  const token = (): string => h.appToken(CUSTOMER, ["Application.ReadWrite.All", "AppRoleAssignment.ReadWrite.All", "Directory.Read.All"]);

  it("refuses an id that is not a GUID with 400 Invalid object identifier, never 404", async () => {
    // Graph: 400 Request_BadRequest "Invalid object identifier '…'."; the emulator answered 404, which a
    // client would read as "already gone".
    for (const [method, url] of [
      ["GET", "/v1.0/servicePrincipals/not-a-guid"],
      ["DELETE", "/v1.0/servicePrincipals/not-a-guid"],
      ["GET", "/v1.0/servicePrincipals/not-a-guid/appRoleAssignments"],
      ["DELETE", "/v1.0/servicePrincipals/not-a-guid/appRoleAssignments/UxOIjjUXr0WvIe4TRFgqTY4z9Wu5KxpBtlEpoTGjw-A"],
    ] as const) {
      const r = await h.send(method, url, { token: token() });
      expect([method, url, r.status, errorCode(r), graphJson(r).error.message]).toEqual([
        method,
        url,
        400,
        "Request_BadRequest",
        "Invalid object identifier 'not-a-guid'.",
      ]);
    }
    const inBatch = await h.send("POST", "/v1.0/$batch", {
      token: token(),
      body: { requests: [{ id: "1", method: "DELETE", url: "/servicePrincipals/12345" }] },
    });
    expect(graphJson(inBatch).responses[0]?.status).toBe(400);
    expect(h.world.tenants.get(CUSTOMER)?.servicePrincipals.has(CIPP_SP)).toBe(true);
  });
});

describe("PATCH /servicePrincipals/{id}", () => {
  it("updates the documented properties (204) and refuses unknown or mistyped ones", async () => {
    // "Update servicePrincipal": the emulator used to answer 405.
    const token = h.appToken(CUSTOMER, ["Application.ReadWrite.All"]);
    const r = await h.send("PATCH", `/v1.0/servicePrincipals/${CIPP_SP}`, {
      token,
      body: { tags: ["cipp"], notes: "managed by cipp-cpv", appRoleAssignmentRequired: true },
    });
    expect(r.status).toBe(204);
    const read = await h.send("GET", `/v1.0/servicePrincipals/${CIPP_SP}?$select=tags,notes,appRoleAssignmentRequired`, { token });
    expect(graphJson(read)).toMatchObject({ tags: ["cipp"], notes: "managed by cipp-cpv", appRoleAssignmentRequired: true });
    const unknown = await h.send("PATCH", `/v1.0/servicePrincipals/${CIPP_SP}`, { token, body: { colour: "blue" } });
    expect([unknown.status, errorCode(unknown)]).toEqual([400, "BadRequest"]);
    const mistyped = await h.send("PATCH", `/v1.0/servicePrincipals/${CIPP_SP}`, { token, body: { accountEnabled: "yes" } });
    expect([mistyped.status, errorCode(mistyped)]).toEqual([400, "Request_BadRequest"]);
    const readOnlyToken = await h.send("PATCH", `/v1.0/servicePrincipals/${CIPP_SP}`, {
      token: h.appToken(CUSTOMER, ["Application.Read.All"]),
      body: { notes: "x" },
    });
    expect(readOnlyToken.status).toBe(403);
  });
});

describe("GDAP relationships", () => {
  it("carry @odata.etag", async () => {
    // "Get delegatedAdminRelationship": "The delegatedAdminRelationship object also contains an @odata.etag property".
    const r = await h.send("GET", "/v1.0/tenantRelationships/delegatedAdminRelationships", {
      token: h.appToken(PARTNER, ["DelegatedAdminRelationship.Read.All"]),
    });
    expect(r.status).toBe(200);
    expect(graphJson(r).value.length).toBeGreaterThan(0);
    for (const relationship of graphJson(r).value) expect(relationship["@odata.etag"]).toMatch(/^W\/"[A-Za-z0-9+/=]+"$/);
  });
});
