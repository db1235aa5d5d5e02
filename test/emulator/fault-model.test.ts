/**
 * The emulator's fault model over real HTTPS: rules aimed by tenant, service, method, path and
 * `$batch` scope, counted by nth / every nth / probability / count; drops and stalls after the
 * request was applied; replication lag on creates, updates and deletes; out-of-band changes and
 * duplicate grants through the control API; scope names compared as Entra compares them; tokens
 * that live on the virtual clock.
 */
import jwt from "jsonwebtoken";
import type { Agent } from "undici";
import {
  DEMO,
  DEMO_CREDENTIALS,
  demoWorld,
  startEmulator,
  type FaultProfile,
  type RequestSummary,
  type RunningEmulator,
  type TenantSnapshot,
} from "../../src/emulator";
import { call, trustingAgent, type HttpResult } from "../helpers/emulator-client";
import type { GraphBody } from "../helpers/graph-shapes";

const GRAPH_APP = "00000003-0000-0000-c000-000000000000";
const GRAPH_SCOPE = "https://graph.microsoft.com/.default";

let emu: RunningEmulator;
let agent: Agent;

beforeAll(async () => {
  emu = await startEmulator({ clockSpeed: 0 });
  agent = trustingAgent(emu.caCertificatePem);
});
afterAll(async () => {
  await agent.close();
  await emu.stop();
});
beforeEach(async () => {
  await control("PUT", "/world", demoWorld());
  await control("PUT", "/faults", {});
  await control("DELETE", "/requests");
});

async function control<T = unknown>(method: string, route: string, body?: unknown): Promise<HttpResult<T>> {
  return call<T>(agent, method, `${emu.baseUrl}/_emulator${route}`, body === undefined ? {} : { body });
}

async function faults(profile: FaultProfile): Promise<void> {
  const r = await control("PUT", "/faults", profile);
  expect(r.status).toBe(204);
}

const tokenCache = new Map<string, string>();
/** The service account's delegated Graph token in a tenant (cached per world load: the clock is frozen). */
async function delegated(tenantId: string): Promise<string> {
  const r = await call<{ access_token: string }>(agent, "POST", `${emu.baseUrl}/${tenantId}/oauth2/v2.0/token`, {
    headers: { "content-type": "application/x-www-form-urlencoded" },
    body: new URLSearchParams({
      client_id: DEMO_CREDENTIALS.clientId,
      client_secret: DEMO_CREDENTIALS.clientSecret,
      grant_type: "refresh_token",
      refresh_token: DEMO_CREDENTIALS.refreshToken,
      scope: GRAPH_SCOPE,
    }).toString(),
  });
  expect(r.status).toBe(200);
  tokenCache.set(tenantId, r.body.access_token);
  return r.body.access_token;
}

async function graph<T = GraphBody>(
  tenantId: string,
  method: string,
  path: string,
  body?: unknown,
  headersTimeout?: number,
): Promise<HttpResult<T>> {
  const token = tokenCache.get(tenantId) ?? (await delegated(tenantId));
  return call<T>(agent, method, `${emu.baseUrl}/v1.0${path}`, {
    headers: { authorization: `Bearer ${token}` },
    ...(body === undefined ? {} : { body }),
    ...(headersTimeout === undefined ? {} : { headersTimeout }),
  });
}

async function snapshot(tenantId: string): Promise<TenantSnapshot> {
  return (await control<TenantSnapshot>("GET", `/tenants/${tenantId}`)).body;
}

/** CIPP-SAM's and a resource's service principal ids in a tenant. */
async function idsIn(tenantId: string, resourceAppId = GRAPH_APP): Promise<{ client: string; resource: string }> {
  const snap = await snapshot(tenantId);
  const id = (appId: string): string => snap.servicePrincipals.find((sp) => sp.appId === appId)?.id ?? "";
  return { client: id(DEMO.applicationId), resource: id(resourceAppId) };
}

function cippGrants(snap: TenantSnapshot, resourceAppId = GRAPH_APP): TenantSnapshot["grants"] {
  return snap.grants.filter(
    (g) => g.clientAppId === DEMO.applicationId && g.resourceAppId === resourceAppId && g.consentType === "AllPrincipals",
  );
}

/** Waits (real time, briefly) until the emulator has logged a request answered by `kind`. */
async function untilLogged(kind: string): Promise<void> {
  for (let i = 0; i < 500; i++) {
    const log = emu.requests().log;
    if (log.some((e) => e.fault === kind || (e.inner ?? []).some((item) => item.fault === kind))) return;
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
  throw new Error(`no request answered by ${kind}`);
}

beforeEach(() => tokenCache.clear());

describe("aiming rules", () => {
  it("aims at one tenant's Graph traffic by the token's tenant, by id or by default domain", async () => {
    await delegated(DEMO.healthy.tenantId);
    await delegated(DEMO.drifted.tenantId);
    await faults({ rules: [{ kind: "throttle", service: "graph", tenant: DEMO.drifted.defaultDomain, retryAfterSeconds: 0 }] });
    expect((await graph(DEMO.healthy.tenantId, "GET", "/servicePrincipals")).status).toBe(200);
    expect((await graph(DEMO.drifted.tenantId, "GET", "/servicePrincipals")).status).toBe(429);
    await faults({ rules: [{ kind: "unavailable", service: "graph", tenant: DEMO.healthy.tenantId.toUpperCase() }] });
    expect((await graph(DEMO.healthy.tenantId, "GET", "/servicePrincipals")).status).toBe(503);
    expect((await graph(DEMO.drifted.tenantId, "GET", "/servicePrincipals")).status).toBe(200);
    // The request log attributes each request to the tenant it acted in.
    const counts = (await control<RequestSummary>("GET", "/requests")).body.counts;
    expect(
      counts
        .filter((c) => c.service === "graph")
        .map((c) => c.tenantId)
        .sort(),
    ).toEqual([DEMO.healthy.tenantId, DEMO.drifted.tenantId].sort());
  });

  it("aims at Partner Center by the customer in the path, and at Entra ID by its name", async () => {
    await faults({
      rules: [
        { kind: "unavailable", service: "partner-center", tenant: DEMO.fresh.tenantId, retryAfterSeconds: 0 },
        { kind: "throttle", service: "entra", tenant: DEMO.drifted.tenantId, retryAfterSeconds: 0 },
      ],
    });
    const pc = (customer: string) =>
      call(agent, "DELETE", `${emu.baseUrl}/v1/customers/${customer}/applicationconsents/${DEMO.applicationId}`);
    expect((await pc(DEMO.fresh.tenantId)).status).toBe(503);
    expect((await pc(DEMO.healthy.tenantId)).status).toBe(401); // reached the service: no token
    const signIn = (tenantId: string) =>
      call(agent, "POST", `${emu.baseUrl}/${tenantId}/oauth2/v2.0/token`, {
        headers: { "content-type": "application/x-www-form-urlencoded" },
        body: new URLSearchParams({
          client_id: DEMO_CREDENTIALS.clientId,
          client_secret: DEMO_CREDENTIALS.clientSecret,
          grant_type: "client_credentials",
          scope: GRAPH_SCOPE,
        }).toString(),
      });
    expect((await signIn(DEMO.drifted.tenantId)).status).toBe(429);
    expect((await signIn(DEMO.healthy.tenantId)).status).toBe(200);
  });

  it("counts nth, every nth and a count limit over the matching requests only", async () => {
    await delegated(DEMO.healthy.tenantId);
    await faults({
      rules: [
        {
          kind: "throttle",
          service: "graph",
          method: "GET",
          pathPattern: "^/v1\\.0/servicePrincipals$",
          everyNth: 2,
          count: 2,
          retryAfterSeconds: 0,
        },
      ],
    });
    const statuses: number[] = [];
    for (let i = 0; i < 7; i++) {
      statuses.push((await graph(DEMO.healthy.tenantId, "GET", "/servicePrincipals")).status);
      // Not matching the path: never faulted, never counted.
      expect((await graph(DEMO.healthy.tenantId, "GET", "/oauth2PermissionGrants")).status).toBe(200);
    }
    expect(statuses).toEqual([200, 429, 200, 429, 200, 200, 200]);
    expect((await control("GET", "/faults")).body).toMatchObject({ remaining: [0], fired: [2] });

    await faults({ rules: [{ kind: "unavailable", service: "graph", nth: 3 }] });
    const nth: number[] = [];
    for (let i = 0; i < 5; i++) nth.push((await graph(DEMO.healthy.tenantId, "GET", "/servicePrincipals")).status);
    expect(nth).toEqual([200, 200, 503, 200, 200]);
  });

  it("counts per distinct request: each write faulted once, its retry let through", async () => {
    await delegated(DEMO.drifted.tenantId);
    await faults({
      rules: [{ kind: "unavailable", service: "graph", method: ["POST", "PATCH"], count: 1, countPer: "request", retryAfterSeconds: 0 }],
    });
    const { client, resource } = await idsIn(DEMO.drifted.tenantId);
    const role = (await graph(DEMO.drifted.tenantId, "GET", `/servicePrincipals/${resource}`)).body.appRoles.find(
      (r) => r.value === "AuditLog.Read.All",
    )?.id;
    const write = () =>
      graph(DEMO.drifted.tenantId, "POST", `/servicePrincipals/${client}/appRoleAssignments`, {
        principalId: client,
        resourceId: resource,
        appRoleId: role,
      });
    expect((await write()).status).toBe(503);
    expect((await write()).status).toBe(201);
    expect((await graph(DEMO.drifted.tenantId, "GET", "/servicePrincipals")).status).toBe(200); // GET not aimed
  });

  it("refuses rules it cannot apply, naming each problem", async () => {
    const r = await control<{ problems: string[] }>("PUT", "/faults", {
      rules: [{ kind: "drop-after-apply", nth: 0, everyNth: 1.5, countPer: "tenant", method: [], stallMs: 5 }],
      replicationLag: { create: -1, rename: 3 },
    });
    expect(r.status).toBe(400);
    expect(r.body.problems).toEqual(
      expect.arrayContaining([
        "rules[0].nth must be an integer >= 1",
        "rules[0].everyNth must be an integer >= 1",
        "rules[0].countPer must be rule or request",
        "rules[0].method must be an HTTP method or a non-empty list of them",
        "rules[0].stallMs applies to the stall kinds only",
        "replicationLag.create must be a number >= 0",
        "replicationLag.rename is not one of create, update, delete",
      ]),
    );
  });
});

describe("faults after the request was applied", () => {
  /** The drifted tenant's missing app role, as a Graph write: path, body, and how to count it in a snapshot. */
  async function missingRoleWrite(): Promise<{ path: string; body: Record<string, string>; held: () => Promise<number> }> {
    const { client, resource } = await idsIn(DEMO.drifted.tenantId);
    const roles = (await graph(DEMO.drifted.tenantId, "GET", `/servicePrincipals/${resource}`)).body.appRoles as {
      id: string;
      value: string;
    }[];
    const appRoleId = roles.find((r) => r.value === "AuditLog.Read.All")?.id ?? "";
    return {
      path: `/servicePrincipals/${client}/appRoleAssignments`,
      body: { principalId: client, resourceId: resource, appRoleId },
      held: async () =>
        (await snapshot(DEMO.drifted.tenantId)).appRoleAssignments.filter((a) => a.principalId === client && a.appRoleId === appRoleId)
          .length,
    };
  }

  it("drop-after-apply on a whole request: the write happened, the connection closed without an answer", async () => {
    const write = await missingRoleWrite();
    await control("DELETE", "/requests");
    await faults({ rules: [{ kind: "drop-after-apply", service: "graph", method: "POST", count: 1 }] });
    expect(await write.held()).toBe(0);
    await expect(graph(DEMO.drifted.tenantId, "POST", write.path, write.body)).rejects.toThrow();
    expect(await write.held()).toBe(1);
    // The retry meets the assignment it made.
    const retry = await graph(DEMO.drifted.tenantId, "POST", write.path, write.body);
    expect(retry.status).toBe(400);
    expect(retry.body.error.message).toMatch(/already exists/);
    expect(emu.requests().log.map((e) => [e.fault, e.status])).toEqual([
      ["drop-after-apply", 201],
      [null, 400],
    ]);
  });

  it("stall-after-apply: the write happened, the answer held until the stall ends and closes the connection", async () => {
    const write = await missingRoleWrite();
    await faults({ rules: [{ kind: "stall-after-apply", service: "graph", method: "POST", count: 1, stallMs: 120_000 }] });
    const pending = graph(DEMO.drifted.tenantId, "POST", write.path, write.body);
    await untilLogged("stall-after-apply");
    expect(await write.held()).toBe(1);
    emu.clock.advance(120_000); // the stall ends on the virtual clock: the connection is closed unanswered
    await expect(pending).rejects.toThrow();
  });

  it("on single $batch items: drop-after-apply answers 504 for a write that was made; a stall holds the whole batch", async () => {
    await delegated(DEMO.drifted.tenantId);
    const { client, resource } = await idsIn(DEMO.drifted.tenantId);
    const roles = (await graph(DEMO.drifted.tenantId, "GET", `/servicePrincipals/${resource}`)).body.appRoles as {
      id: string;
      value: string;
    }[];
    const assign = (id: string, value: string) => ({
      id,
      method: "POST",
      url: `/servicePrincipals/${client}/appRoleAssignments`,
      headers: { "content-type": "application/json" },
      body: { principalId: client, resourceId: resource, appRoleId: roles.find((r) => r.value === value)?.id },
    });
    await faults({ rules: [{ kind: "drop-after-apply", service: "graph", scope: "inner", pathPattern: "appRoleAssignments$", count: 1 }] });
    const batch = await graph(DEMO.drifted.tenantId, "POST", "/$batch", { requests: [assign("1", "AuditLog.Read.All")] });
    expect(batch.status).toBe(200);
    expect(batch.body.responses[0]).toMatchObject({ id: "1", status: 504, body: { error: { code: "GatewayTimeout" } } });
    const held = (await snapshot(DEMO.drifted.tenantId)).appRoleAssignments.filter(
      (a) => a.principalAppId === DEMO.applicationId && a.appRoleValue === "AuditLog.Read.All",
    );
    expect(held).toHaveLength(1);
    expect(emu.requests().log.at(-1)?.inner).toEqual([expect.objectContaining({ id: "1", status: 504, fault: "drop-after-apply" })]);

    // A stall-after-apply on one item: both items are applied, the batch is never answered.
    await control("PUT", "/world", demoWorld());
    tokenCache.clear();
    await faults({ rules: [{ kind: "stall-after-apply", service: "graph", scope: "inner", nth: 2 }] });
    const body = {
      requests: [
        { id: "a", method: "GET", url: "/servicePrincipals?$select=id" },
        {
          id: "b",
          method: "PATCH",
          url: `/oauth2PermissionGrants/${cippGrants(await snapshot(DEMO.drifted.tenantId))[0]?.id}`,
          headers: { "content-type": "application/json" },
          body: { scope: "User.Read.All" },
        },
      ],
    };
    await expect(graph(DEMO.drifted.tenantId, "POST", "/$batch", body, 300)).rejects.toThrow();
    expect(cippGrants(await snapshot(DEMO.drifted.tenantId))[0]?.scope).toBe("User.Read.All");
  });
});

describe("faults before the request is handled", () => {
  it("on $batch items: a drop answers 503 and a stall holds the batch, neither item run; a stall on a whole request ends after stallMs", async () => {
    await delegated(DEMO.healthy.tenantId);
    const grant = cippGrants(await snapshot(DEMO.healthy.tenantId))[0];
    if (!grant) throw new Error("the healthy tenant has a Graph grant");
    const patch = {
      id: "p",
      method: "PATCH",
      url: `/oauth2PermissionGrants/${grant.id}`,
      headers: { "content-type": "application/json" },
      body: { scope: "User.Read.All" },
    };

    await faults({ rules: [{ kind: "drop", service: "graph", scope: "inner", count: 1 }] });
    const dropped = await graph(DEMO.healthy.tenantId, "POST", "/$batch", { requests: [patch] });
    expect(dropped.body.responses[0]).toMatchObject({ id: "p", status: 503 });
    expect(cippGrants(await snapshot(DEMO.healthy.tenantId))[0]?.scope).toBe(grant.scope);

    await faults({ rules: [{ kind: "stall", service: "graph", scope: "inner", count: 1 }] });
    await expect(graph(DEMO.healthy.tenantId, "POST", "/$batch", { requests: [patch] }, 300)).rejects.toThrow();
    expect(cippGrants(await snapshot(DEMO.healthy.tenantId))[0]?.scope).toBe(grant.scope);

    await faults({ rules: [{ kind: "stall", service: "graph", method: "PATCH", count: 1, stallMs: 90_000 }] });
    await control("DELETE", "/requests");
    const held = graph(DEMO.healthy.tenantId, "PATCH", `/oauth2PermissionGrants/${grant.id}`, { scope: "User.Read.All" });
    await untilLogged("stall");
    emu.clock.advance(90_000);
    await expect(held).rejects.toThrow();
    expect(cippGrants(await snapshot(DEMO.healthy.tenantId))[0]?.scope).toBe(grant.scope);
  });
});

describe("replication lag on every change", () => {
  it("a PATCHed grant reads with its old scope string until the update replicates; writes see the new one", async () => {
    await delegated(DEMO.healthy.tenantId);
    const grant = cippGrants(await snapshot(DEMO.healthy.tenantId))[0];
    if (!grant) throw new Error("the healthy tenant has a Graph grant");
    await faults({ replicationLag: { update: 30_000 } });
    expect((await graph(DEMO.healthy.tenantId, "PATCH", `/oauth2PermissionGrants/${grant.id}`, { scope: "User.Read.All" })).status).toBe(
      204,
    );
    expect((await graph(DEMO.healthy.tenantId, "GET", `/oauth2PermissionGrants/${grant.id}`)).body.scope).toBe(grant.scope);
    const listed = (await graph(DEMO.healthy.tenantId, "GET", `/oauth2PermissionGrants?$filter=clientId eq '${grant.clientId}'`)).body
      .value;
    expect(listed.find((g) => g.id === grant.id)?.scope).toBe(grant.scope);
    expect(cippGrants(await snapshot(DEMO.healthy.tenantId))[0]?.scope).toBe("User.Read.All"); // the control API sees the primary
    emu.clock.advance(30_000);
    expect((await graph(DEMO.healthy.tenantId, "GET", `/oauth2PermissionGrants/${grant.id}`)).body.scope).toBe("User.Read.All");
  });

  it("a deleted service principal is still listed and readable, with its assignments and grants, until the delete replicates", async () => {
    await delegated(DEMO.healthy.tenantId);
    const { client } = await idsIn(DEMO.healthy.tenantId);
    await faults({ replicationLagMs: 20_000 });
    // CIPP-SAM's own token survives: it was issued before the delete.
    const exchange = "00000002-0000-0ff1-ce00-000000000000";
    const target = (await idsIn(DEMO.healthy.tenantId, exchange)).resource;
    expect((await graph(DEMO.healthy.tenantId, "DELETE", `/servicePrincipals/${target}`)).status).toBe(204);
    const list = async () => (await graph(DEMO.healthy.tenantId, "GET", `/servicePrincipals?$filter=appId eq '${exchange}'`)).body.value;
    expect(await list()).toHaveLength(1);
    expect((await graph(DEMO.healthy.tenantId, "GET", `/servicePrincipals/${target}`)).status).toBe(200);
    const assignedTo = async () =>
      (await graph(DEMO.healthy.tenantId, "GET", `/servicePrincipals/${client}/appRoleAssignments`)).body.value.filter(
        (a) => a.resourceId === target,
      );
    expect((await assignedTo()).length).toBeGreaterThan(0);
    // Writes go to the primary, which knows it is gone.
    expect((await graph(DEMO.healthy.tenantId, "DELETE", `/servicePrincipals/${target}`)).status).toBe(404);
    emu.clock.advance(19_999);
    expect(await list()).toHaveLength(1);
    emu.clock.advance(1);
    expect(await list()).toHaveLength(0);
    expect(await assignedTo()).toHaveLength(0);
    expect((await graph(DEMO.healthy.tenantId, "GET", `/servicePrincipals/${target}`)).status).toBe(404);
  });

  it("a deleted grant and a removed app role are still listed until the delete replicates; creates keep their own lag", async () => {
    await delegated(DEMO.healthy.tenantId);
    const snap = await snapshot(DEMO.healthy.tenantId);
    const grant = cippGrants(snap)[0];
    const assignment = snap.appRoleAssignments.find((a) => a.principalAppId === DEMO.applicationId);
    if (!grant || !assignment) throw new Error("the healthy tenant holds grants and app roles");
    await faults({ replicationLag: { delete: 10_000, create: 0 } });
    expect((await graph(DEMO.healthy.tenantId, "DELETE", `/oauth2PermissionGrants/${grant.id}`)).status).toBe(204);
    expect(
      (await graph(DEMO.healthy.tenantId, "DELETE", `/servicePrincipals/${assignment.principalId}/appRoleAssignments/${assignment.id}`))
        .status,
    ).toBe(204);
    const grantIds = async () => (await graph(DEMO.healthy.tenantId, "GET", "/oauth2PermissionGrants")).body.value.map((g) => g.id);
    const assignmentIds = async () =>
      (await graph(DEMO.healthy.tenantId, "GET", `/servicePrincipals/${assignment.principalId}/appRoleAssignments`)).body.value.map(
        (a) => a.id,
      );
    expect(await grantIds()).toContain(grant.id);
    expect(await assignmentIds()).toContain(assignment.id);
    // Re-created at once (create lag 0): listed once, as the new object.
    expect(
      (
        await graph(DEMO.healthy.tenantId, "POST", "/oauth2PermissionGrants", {
          clientId: grant.clientId,
          resourceId: grant.resourceId,
          consentType: "AllPrincipals",
          scope: "User.Read",
        })
      ).status,
    ).toBe(201);
    const listed = (await graph(DEMO.healthy.tenantId, "GET", "/oauth2PermissionGrants")).body.value.filter((g) => g.id === grant.id);
    expect(listed.map((g) => g.scope)).toEqual(["User.Read"]);
    emu.clock.advance(10_000);
    expect(await assignmentIds()).not.toContain(assignment.id);
  });
});

describe("out-of-band changes through the control API (no token minted, nothing counted)", () => {
  it("removes a role, rewrites a grant, deletes the service principal, and adds a second tenant-wide grant with an id of its own", async () => {
    const snap = await snapshot(DEMO.healthy.tenantId);
    const assignment = snap.appRoleAssignments.find((a) => a.principalAppId === DEMO.applicationId);
    const grant = cippGrants(snap)[0];
    if (!assignment || !grant) throw new Error("the healthy tenant holds grants and app roles");

    expect(
      (await control("DELETE", `/tenants/${DEMO.healthy.defaultDomain}/appRoleAssignments/${encodeURIComponent(assignment.id)}`)).status,
    ).toBe(204);
    const rewritten = await control("PATCH", `/tenants/${DEMO.healthy.tenantId}/grants/${encodeURIComponent(grant.id)}`, {
      scope: "user.read.all",
    });
    expect(rewritten).toMatchObject({ status: 200, body: { id: grant.id, scope: "user.read.all" } });
    const duplicate = await control<{ id: string }>("POST", `/tenants/${DEMO.healthy.tenantId}/grants`, {
      clientAppId: DEMO.applicationId,
      resourceAppId: GRAPH_APP,
      scope: "Directory.Read.All",
    });
    expect(duplicate.status).toBe(201);
    expect(duplicate.body.id).not.toBe(grant.id);

    const after = await snapshot(DEMO.healthy.tenantId);
    expect(after.appRoleAssignments.map((a) => a.id)).not.toContain(assignment.id);
    expect(
      cippGrants(after)
        .map((g) => g.scope)
        .sort(),
    ).toEqual(["Directory.Read.All", "user.read.all"]);
    // Graph lists both grants.
    const listed = (
      await graph(
        DEMO.healthy.tenantId,
        "GET",
        `/oauth2PermissionGrants?$filter=clientId eq '${grant.clientId}' and resourceId eq '${grant.resourceId}'`,
      )
    ).body.value;
    expect(listed).toHaveLength(2);

    expect((await control("DELETE", `/tenants/${DEMO.healthy.tenantId}/servicePrincipals/${DEMO.applicationId}`)).status).toBe(204);
    const gone = await snapshot(DEMO.healthy.tenantId);
    expect(gone.servicePrincipals.map((sp) => sp.appId)).not.toContain(DEMO.applicationId);
    expect(gone.grants.filter((g) => g.clientId === grant.clientId)).toHaveLength(0);
    // Only the Graph and token calls above were counted; the control calls were not.
    const summary = (await control<RequestSummary>("GET", "/requests")).body;
    expect(Object.keys(summary.byService).sort()).toEqual(["graph", "login"]);
    expect((await control("DELETE", `/tenants/${DEMO.healthy.tenantId}/grants/nope`)).status).toBe(404);
    expect((await control("POST", `/tenants/${DEMO.healthy.tenantId}/grants`, { clientAppId: DEMO.applicationId })).status).toBe(400);
  });

  it("a world can hold two tenant-wide grants for the same client and resource when the second has an id of its own", async () => {
    const world = demoWorld();
    const grants = [{ clientAppId: DEMO.applicationId, resourceAppId: GRAPH_APP, scope: "User.Read" }];
    const spec = {
      ...world,
      tenants: world.tenants.map((t) => (t.tenantId === DEMO.healthy.tenantId ? { ...t, grants: [...(t.grants ?? []), ...grants] } : t)),
    };
    const refused = await control("PUT", "/world", spec);
    expect(refused.status).toBe(400);
    expect(JSON.stringify(refused.body)).toMatch(/give the second an id of its own/);
    const withId = {
      ...spec,
      tenants: spec.tenants.map((t) =>
        t.tenantId === DEMO.healthy.tenantId
          ? { ...t, grants: (t.grants ?? []).map((g, i, all) => (i === all.length - 1 ? { ...g, id: "second-grant" } : g)) }
          : t,
      ),
    };
    expect((await control("PUT", "/world", withId)).status).toBe(204);
    expect(cippGrants(await snapshot(DEMO.healthy.tenantId)).map((g) => g.id)).toContain("second-grant");
  });
});

describe("scope names as Entra compares them", () => {
  it("a grant written in lower case still grants its scopes: the token names them as published, and writes are allowed", async () => {
    const grant = cippGrants(await snapshot(DEMO.healthy.tenantId))[0];
    if (!grant) throw new Error("the healthy tenant has a Graph grant");
    const lowered = grant.scope.toLowerCase();
    expect(lowered).not.toBe(grant.scope);
    await control("PATCH", `/tenants/${DEMO.healthy.tenantId}/grants/${encodeURIComponent(grant.id)}`, { scope: lowered });
    const token = await delegated(DEMO.healthy.tenantId);
    const scp = (jwt.decode(token) as { scp: string }).scp.split(" ").sort();
    expect(scp).toEqual(grant.scope.split(" ").filter(Boolean).sort());
    // A write needing DelegatedPermissionGrant.ReadWrite.All is authorised.
    expect((await graph(DEMO.healthy.tenantId, "PATCH", `/oauth2PermissionGrants/${grant.id}`, { scope: grant.scope })).status).toBe(204);
  });
});

describe("tokens on the virtual clock", () => {
  it("expires_in is the lifetime on the virtual clock, and the token expires when that clock passes it", async () => {
    const r = await call<{ access_token: string; expires_in: number }>(
      agent,
      "POST",
      `${emu.baseUrl}/${DEMO.healthy.tenantId}/oauth2/v2.0/token`,
      {
        headers: { "content-type": "application/x-www-form-urlencoded" },
        body: new URLSearchParams({
          client_id: DEMO_CREDENTIALS.clientId,
          client_secret: DEMO_CREDENTIALS.clientSecret,
          grant_type: "client_credentials",
          scope: GRAPH_SCOPE,
        }).toString(),
      },
    );
    const claims = jwt.decode(r.body.access_token) as { iat: number; exp: number };
    expect(claims.exp - claims.iat).toBe(r.body.expires_in);
    expect(claims.iat).toBe(Math.floor(emu.clock.now() / 1000));
    const get = () =>
      call(agent, "GET", `${emu.baseUrl}/v1.0/servicePrincipals`, { headers: { authorization: `Bearer ${r.body.access_token}` } });
    emu.clock.advance((r.body.expires_in - 1) * 1000);
    expect((await get()).status).toBe(200);
    emu.clock.advance(2_000);
    expect((await get()).status).toBe(401);
  });
});
