import type { IdGenerator } from "../../src/emulator/context";
import { randomIds } from "../../src/emulator/ids";
import {
  CIPP_SP,
  CUSTOMER,
  DEFENDER,
  GRAPH_SP,
  OTHER_CUSTOMER,
  READER_ONLY,
  ROLE,
  createHarness,
  errorCode,
  graphJson,
  type Harness,
} from "./graph-harness";

const WRITE_ALL = ["Application.ReadWrite.All", "AppRoleAssignment.ReadWrite.All", "DelegatedPermissionGrant.ReadWrite.All"];

let h: Harness;
beforeEach(() => {
  h = createHarness();
});

describe("authentication", () => {
  it("answers 401 with Graph's messages for a missing, foreign-audience, expired or forged token", async () => {
    const missing = await h.send("GET", "/v1.0/servicePrincipals");
    expect([missing.status, errorCode(missing), graphJson(missing).error.message]).toEqual([
      401,
      "InvalidAuthenticationToken",
      "Access token is empty.",
    ]);
    expect(missing.headers?.["WWW-Authenticate"]).toMatch(/^Bearer /);

    const pcToken = h.tokens.issueAccessToken(
      { aud: "https://api.partnercenter.microsoft.com", tid: CUSTOMER, appid: "x", idtyp: "app", roles: WRITE_ALL },
      3600,
    ).token;
    const audience = await h.send("GET", "/v1.0/servicePrincipals", { token: pcToken });
    expect(graphJson(audience).error.message).toBe("Access token validation failure. Invalid audience.");

    const token = h.appToken(CUSTOMER, WRITE_ALL);
    h.clock.advance(3601_000);
    const expired = await h.send("GET", "/v1.0/servicePrincipals", { token });
    expect([expired.status, graphJson(expired).error.message]).toEqual([401, "Lifetime validation failed, the token is expired."]);

    const forged = createHarness().appToken(CUSTOMER, WRITE_ALL);
    const signature = await h.send("GET", "/v1.0/servicePrincipals", { token: forged });
    expect(signature.status).toBe(401);
  });

  it("accepts the Graph appId as audience", async () => {
    const t = h.tokens.issueAccessToken(
      { aud: "00000003-0000-0000-c000-000000000000", tid: CUSTOMER, appid: "x", idtyp: "app", roles: ["Application.Read.All"] },
      3600,
    ).token;
    expect((await h.send("GET", "/v1.0/servicePrincipals", { token: t })).status).toBe(200);
  });

  it("shows a token only its own tenant", async () => {
    const other = h.appToken(OTHER_CUSTOMER, WRITE_ALL);
    const byId = await h.send("GET", `/v1.0/servicePrincipals/${CIPP_SP}`, { token: other });
    expect(byId.status).toBe(404);
    const del = await h.send("DELETE", `/v1.0/servicePrincipals/${CIPP_SP}`, { token: other });
    expect(del.status).toBe(404);
    expect(h.world.tenants.get(CUSTOMER)?.servicePrincipals.has(CIPP_SP)).toBe(true);
  });

  it("keeps every $batch item in the token's tenant, whatever ids the items name", async () => {
    const customer = h.world.tenants.get(CUSTOMER);
    const grantIds = [...(customer?.grants.keys() ?? [])];
    const assignmentIds = [...(customer?.appRoleAssignments.keys() ?? [])];
    expect(grantIds.length).toBeGreaterThan(0);
    expect(assignmentIds.length).toBeGreaterThan(0);
    const before = { grants: [...(customer?.grants.values() ?? [])].map((g) => g.scope), assignments: assignmentIds.length };

    const jsonHeaders = { "Content-Type": "application/json" };
    const r = await h.send("POST", "/v1.0/$batch", {
      token: h.appToken(OTHER_CUSTOMER, WRITE_ALL),
      body: {
        requests: [
          { id: "get", method: "GET", url: `/servicePrincipals/${CIPP_SP}` },
          {
            id: "patch",
            method: "PATCH",
            url: `/oauth2PermissionGrants/${grantIds[0]}`,
            headers: jsonHeaders,
            body: { scope: "User.Read" },
          },
          { id: "delete-grant", method: "DELETE", url: `/oauth2PermissionGrants/${grantIds[0]}` },
          { id: "delete-assignment", method: "DELETE", url: `/servicePrincipals/${CIPP_SP}/appRoleAssignments/${assignmentIds[0]}` },
          {
            id: "assign",
            method: "POST",
            url: `/servicePrincipals/${CIPP_SP}/appRoleAssignments`,
            headers: jsonHeaders,
            body: { principalId: CIPP_SP, resourceId: GRAPH_SP, appRoleId: "df021288-bdef-4463-88db-98f22de89214" },
          },
          { id: "delete-sp", method: "DELETE", url: `/servicePrincipals/${CIPP_SP}` },
        ],
      },
    });
    expect(r.status).toBe(200);
    const statuses = Object.fromEntries(graphJson(r).responses.map((x) => [x.id, x.status]));
    expect(statuses).toEqual({ get: 404, patch: 404, "delete-grant": 404, "delete-assignment": 404, assign: 404, "delete-sp": 404 });
    expect(customer?.servicePrincipals.has(CIPP_SP)).toBe(true);
    expect({ grants: [...(customer?.grants.values() ?? [])].map((g) => g.scope), assignments: customer?.appRoleAssignments.size }).toEqual(
      before,
    );
  });
});

describe("authorization", () => {
  it("needs a read permission for reads and the write permission for writes (app-only)", async () => {
    const reader = h.appToken(CUSTOMER, ["Application.Read.All"]);
    expect((await h.send("GET", "/v1.0/servicePrincipals", { token: reader })).status).toBe(200);
    const write = await h.send("POST", "/v1.0/servicePrincipals", { token: reader, body: { appId: DEFENDER } });
    expect([write.status, errorCode(write), graphJson(write).error.message]).toEqual([
      403,
      "Authorization_RequestDenied",
      "Insufficient privileges to complete the operation.",
    ]);
    const grants = await h.send("GET", "/v1.0/oauth2PermissionGrants", { token: reader });
    expect(grants.status).toBe(403);
    const skus = await h.send("GET", "/v1.0/subscribedSkus", { token: reader });
    expect(skus.status).toBe(403);
    const assign = await h.send("POST", `/v1.0/servicePrincipals/${CIPP_SP}/appRoleAssignments`, {
      token: h.appToken(CUSTOMER, ["Application.ReadWrite.All"]),
      body: { principalId: CIPP_SP, resourceId: GRAPH_SP, appRoleId: ROLE.applicationReadWriteAll },
    });
    expect(assign.status).toBe(403);
    expect(h.world.tenants.get(CUSTOMER)?.appRoleAssignments.size).toBe(1);
  });

  it("lets a partner user write in a customer through GDAP only with an application administrator role", async () => {
    const scp = "Application.ReadWrite.All DelegatedPermissionGrant.ReadWrite.All AppRoleAssignment.ReadWrite.All";
    const viaCloudAppAdmin = await h.send("POST", "/v1.0/servicePrincipals", {
      token: h.userToken(CUSTOMER, scp),
      body: { appId: DEFENDER },
    });
    expect(viaCloudAppAdmin.status).toBe(201);

    const readerToken = h.userToken(READER_ONLY, scp);
    expect((await h.send("GET", "/v1.0/servicePrincipals", { token: readerToken })).status).toBe(200);
    const write = await h.send("POST", "/v1.0/servicePrincipals", { token: readerToken, body: { appId: DEFENDER } });
    expect([write.status, errorCode(write)]).toEqual([403, "Authorization_RequestDenied"]);

    // The relationship with OTHER_CUSTOMER has expired: not even reads.
    const expired = await h.send("GET", "/v1.0/servicePrincipals", { token: h.userToken(OTHER_CUSTOMER, scp) });
    expect(expired.status).toBe(403);

    const noScope = await h.send("POST", "/v1.0/servicePrincipals", {
      token: h.userToken(CUSTOMER, "User.Read"),
      body: { appId: DEFENDER },
    });
    expect(noScope.status).toBe(403);
  });
});

describe("replication lag", () => {
  it("hides new objects from reads until the lag has passed, while writes see them as duplicates", async () => {
    h.faults.set({ replicationLagMs: 5_000 });
    const token = h.appToken(CUSTOMER, WRITE_ALL);
    const created = await h.send("POST", "/v1.0/servicePrincipals", { token, body: { appId: DEFENDER } });
    expect(created.status).toBe(201);
    const spId: string = graphJson(created).id;

    const list = await h.send("GET", `/v1.0/servicePrincipals?$filter=appId eq '${DEFENDER}'`, { token });
    expect(graphJson(list).value).toEqual([]);
    expect((await h.send("GET", `/v1.0/servicePrincipals/${spId}`, { token })).status).toBe(404);
    const dup = await h.send("POST", "/v1.0/servicePrincipals", { token, body: { appId: DEFENDER } });
    expect(dup.status).toBe(409);
    const grant = await h.send("POST", "/v1.0/oauth2PermissionGrants", {
      token,
      body: { clientId: CIPP_SP, consentType: "AllPrincipals", resourceId: spId, scope: "" },
    });
    expect([grant.status, errorCode(grant)]).toEqual([404, "Request_ResourceNotFound"]);
    const assignNotPropagated = await h.send("POST", `/v1.0/servicePrincipals/${CIPP_SP}/appRoleAssignments`, {
      token,
      body: { principalId: CIPP_SP, resourceId: spId, appRoleId: "00000000-0000-0000-0000-000000000000" },
    });
    expect(graphJson(assignNotPropagated).error.message).toBe("Permission being assigned was not found on application");

    h.clock.advance(5_000);
    const visible = await h.send("GET", `/v1.0/servicePrincipals(appId='${DEFENDER}')`, { token });
    expect(graphJson(visible).id).toBe(spId);
    const grantLater = await h.send("POST", "/v1.0/oauth2PermissionGrants", {
      token,
      body: { clientId: CIPP_SP, consentType: "AllPrincipals", resourceId: spId, scope: "" },
    });
    expect(grantLater.status).toBe(201);
  });
});

describe("throttling", () => {
  it("answers 429 with Retry-After and the throttle headers once the write quota is spent", async () => {
    // One hundredth of 3,000 writes per app and tenant: 30 writes.
    h.throttle.configure({ enabled: true, scale: 0.01 });
    const token = h.appToken(CUSTOMER, WRITE_ALL);
    const statuses: number[] = [];
    let last = await h.send("PATCH", "/v1.0/oauth2PermissionGrants/none", { token, body: { scope: "" } });
    statuses.push(last.status);
    while (last.status !== 429 && statuses.length < 100) {
      last = await h.send("PATCH", "/v1.0/oauth2PermissionGrants/none", { token, body: { scope: "" } });
      statuses.push(last.status);
    }
    expect(statuses.filter((s) => s === 404)).toHaveLength(30);
    expect(last.status).toBe(429);
    expect(graphJson(last).error).toMatchObject({
      code: "TooManyRequests",
      message: "Please retry again later.",
      innerError: { code: "429", status: "429" },
    });
    expect(Number(last.headers?.["Retry-After"])).toBeGreaterThan(0);
    expect(last.headers?.["x-ms-throttle-information"]).toBe("WriteLimitExceeded");
    expect(last.headers?.["x-ms-throttle-scope"]).toMatch(/^Tenant_Application\/ReadWrite\//);
    // Reads still pass: they spend resource units, not writes.
    expect((await h.send("GET", "/v1.0/servicePrincipals?$select=id", { token })).status).toBe(200);
  });
});

describe("$batch", () => {
  const item = (id: string, method: string, url: string, extra: Record<string, unknown> = {}) => ({ id, method, url, ...extra });

  it("answers 200 with every item evaluated on its own, including failures", async () => {
    const token = h.appToken(CUSTOMER, WRITE_ALL);
    const r = await h.send("POST", "/v1.0/$batch", {
      token,
      body: {
        requests: [
          item("1", "GET", `/servicePrincipals?$filter=appId eq '00000003-0000-0000-c000-000000000000'&$select=id`),
          item("2", "POST", "/servicePrincipals", {
            headers: { "Content-Type": "application/json" },
            body: { appId: "99999999-0000-4000-8000-000000000000" },
          }),
          item("3", "POST", "/$batch", { headers: { "Content-Type": "application/json" }, body: { requests: [] } }),
        ],
      },
    });
    expect(r.status).toBe(200);
    const byId = new Map(graphJson(r).responses.map((x) => [x.id, x]));
    expect(byId.get("1")?.status).toBe(200);
    expect(byId.get("1")?.body.value).toEqual([{ id: GRAPH_SP }]);
    expect(byId.get("2")?.status).toBe(400);
    expect(byId.get("3")?.status).toBe(400);
    expect(h.world.tenants.get(CUSTOMER)?.servicePrincipals.size).toBe(2);
  });

  it("refuses the whole batch, running nothing, when a request has a body but no Content-Type", async () => {
    // "headers ... is required when body is specified" and must carry Content-Type: Graph answers 400
    // for the batch (Combine multiple HTTP requests using JSON batching). The emulator used to run
    // the other items and fail only this one.
    const r = await h.send("POST", "/v1.0/$batch", {
      token: h.appToken(CUSTOMER, WRITE_ALL),
      body: {
        requests: [
          item("1", "POST", "/servicePrincipals", { headers: { "Content-Type": "application/json" }, body: { appId: DEFENDER } }),
          item("2", "POST", "/servicePrincipals", { body: { appId: DEFENDER } }),
        ],
      },
    });
    expect([r.status, errorCode(r), graphJson(r).error.message]).toEqual([
      400,
      "BadRequest",
      "Write request id : 2 does not contain Content-Type header or body.",
    ]);
    expect(h.world.tenants.get(CUSTOMER)?.servicePrincipals.size).toBe(2);
  });

  it("refuses more than 20 requests as a whole", async () => {
    const requests = Array.from({ length: 21 }, (_, i) => item(String(i + 1), "GET", "/servicePrincipals"));
    const r = await h.send("POST", "/v1.0/$batch", { token: h.appToken(CUSTOMER, WRITE_ALL), body: { requests } });
    expect([r.status, errorCode(r)]).toEqual([400, "BadRequest"]);
  });

  it("gives 424 to dependents of a failed request and runs dependencies first", async () => {
    const token = h.appToken(CUSTOMER, WRITE_ALL);
    const json_ = { "Content-Type": "application/json" };
    const r = await h.send("POST", "/v1.0/$batch", {
      token,
      body: {
        requests: [
          item("a", "GET", `/servicePrincipals(appId='${DEFENDER}')`, { dependsOn: ["create"] }),
          item("create", "POST", "/servicePrincipals", { headers: json_, body: { appId: DEFENDER } }),
          item("bad", "DELETE", "/oauth2PermissionGrants/missing"),
          item("after-bad", "GET", "/servicePrincipals", { dependsOn: ["bad"] }),
        ],
      },
    });
    const byId = new Map(graphJson(r).responses.map((x) => [x.id, x.status]));
    expect(Object.fromEntries(byId)).toEqual({ a: 200, create: 201, bad: 404, "after-bad": 424 });
  });

  it("returns answers out of order, correlated by id", async () => {
    const zeros: IdGenerator = { guid: () => randomIds.guid(), randomBytes: (n) => Buffer.alloc(n) };
    const hz = createHarness(undefined, zeros);
    const requests = ["1", "2", "3", "4"].map((id) => item(id, "GET", "/subscribedSkus"));
    const r = await hz.send("POST", "/beta/$batch", { token: hz.appToken(CUSTOMER, ["Directory.Read.All"]), body: { requests } });
    const ids = graphJson(r).responses.map((x) => x.id);
    expect([...ids].sort()).toEqual(["1", "2", "3", "4"]);
    expect(ids).not.toEqual(["1", "2", "3", "4"]);
  });

  it("faults and throttles each item separately, with Retry-After in the item's headers", async () => {
    h.faults.set({
      rules: [{ kind: "throttle", service: "graph", scope: "inner", count: 1, retryAfterSeconds: 2.5, pathPattern: "appRoleAssignments" }],
    });
    const token = h.appToken(CUSTOMER, WRITE_ALL);
    const body = (appRoleId: string) => ({ principalId: CIPP_SP, resourceId: GRAPH_SP, appRoleId });
    const url = `/servicePrincipals/${CIPP_SP}/appRoleAssignments`;
    const headers = { "Content-Type": "application/json" };
    const r = await h.send("POST", "/v1.0/$batch", {
      token,
      body: {
        requests: [
          item("1", "POST", url, { headers, body: body(ROLE.applicationReadWriteAll) }),
          item("2", "POST", url, { headers, body: body(ROLE.appRoleAssignmentReadWriteAll), dependsOn: ["1"] }),
          item("3", "GET", "/servicePrincipals?$select=id"),
        ],
      },
    });
    expect(r.status).toBe(200);
    const byId = new Map(graphJson(r).responses.map((x) => [x.id, x]));
    expect(byId.get("1")?.status).toBe(429);
    expect(byId.get("1")?.headers?.["Retry-After"]).toBe("2.5");
    expect(byId.get("1")?.body.error.code).toBe("TooManyRequests");
    expect(byId.get("2")?.status).toBe(424);
    expect(byId.get("3")?.status).toBe(200);
    expect(byId.get("3")?.headers?.["x-ms-resource-unit"]).toBe("1");
    expect(h.world.tenants.get(CUSTOMER)?.appRoleAssignments.size).toBe(1);
  });

  it("charges every inner request against the throttle", async () => {
    h.throttle.configure({ enabled: true, scale: 0.01 });
    const token = h.appToken(CUSTOMER, WRITE_ALL);
    const requests = Array.from({ length: 20 }, (_, i) => item(String(i), "DELETE", `/oauth2PermissionGrants/none${i}`));
    const first = await h.send("POST", "/v1.0/$batch", { token, body: { requests } });
    const second = await h.send("POST", "/v1.0/$batch", { token, body: { requests } });
    const statuses = [...graphJson(first).responses, ...graphJson(second).responses].map((x) => x.status);
    expect(statuses.filter((s) => s === 404)).toHaveLength(30);
    expect(statuses.filter((s) => s === 429)).toHaveLength(10);
    const throttled = [...graphJson(second).responses].find((x) => x.status === 429);
    expect(throttled?.headers?.["x-ms-throttle-information"]).toBe("WriteLimitExceeded");
  });
});
