/**
 * The request counters and log with `$batch`: the outer request counts once among service
 * requests, its items count among inner requests with their status and injected fault, and
 * nothing from headers or bodies is kept.
 */
import type { Agent } from "undici";
import { DEMO, DEMO_CREDENTIALS, startEmulator, type RequestSummary, type RunningEmulator, type RequestLogEntry } from "../../src/emulator";
import { call, trustingAgent } from "../helpers/emulator-client";
import type { GraphBody } from "../helpers/graph-shapes";

const GRAPH_APP = "00000003-0000-0000-c000-000000000000";
const MARKER = "body-and-header-marker-never-logged";

let emu: RunningEmulator;
let agent: Agent;
let token: string;

beforeAll(async () => {
  emu = await startEmulator();
  agent = trustingAgent(emu.caCertificatePem);
  const issued = await call<{ access_token: string }>(agent, "POST", `${emu.baseUrl}/${DEMO.healthy.tenantId}/oauth2/v2.0/token`, {
    headers: { "content-type": "application/x-www-form-urlencoded" },
    body: new URLSearchParams({
      client_id: DEMO_CREDENTIALS.clientId,
      client_secret: DEMO_CREDENTIALS.clientSecret,
      grant_type: "client_credentials",
      scope: "https://graph.microsoft.com/.default",
    }).toString(),
  });
  token = issued.body.access_token;
});
afterAll(async () => {
  await emu.stop();
  await agent.close();
});
beforeEach(async () => {
  await call(agent, "PUT", `${emu.baseUrl}/_emulator/faults`, { body: {} });
  await call(agent, "DELETE", `${emu.baseUrl}/_emulator/requests`);
});

const batch = (requests: unknown[]) =>
  call<GraphBody>(agent, "POST", `${emu.baseUrl}/v1.0/$batch`, { headers: { authorization: `Bearer ${token}` }, body: { requests } });
const summary = async (log = false) =>
  (await call<RequestSummary & { log?: RequestLogEntry[] }>(agent, "GET", `${emu.baseUrl}/_emulator/requests${log ? "?log=1" : ""}`)).body;

it("counts a $batch once and each of its items as an inner request, with status and injected fault", async () => {
  await call(agent, "PUT", `${emu.baseUrl}/_emulator/faults`, {
    body: {
      rules: [
        { kind: "throttle", service: "graph", scope: "inner", pathPattern: "/oauth2PermissionGrants$", count: 1 },
        { kind: "unavailable", service: "graph", scope: "inner", pathPattern: "/subscribedSkus$", count: 1, retryAfterSeconds: 2 },
      ],
    },
  });
  const answer = await batch([
    { id: "a", method: "GET", url: "/oauth2PermissionGrants" },
    { id: "b", method: "GET", url: "/servicePrincipals?$top=1&$select=id" },
    { id: "c", method: "GET", url: `/servicePrincipals(appId='${GRAPH_APP}')`, dependsOn: ["a"] },
    { id: "d", method: "GET", url: "/subscribedSkus" },
    {
      id: "e",
      method: "POST",
      url: "/servicePrincipals",
      headers: { "content-type": "application/json", authorization: `Bearer ${MARKER}` },
      body: { appId: MARKER },
    },
  ]);
  expect(answer.status).toBe(200);
  const statuses = Object.fromEntries(answer.body.responses.map((r: { id: string; status: number }) => [r.id, r.status]));
  expect(statuses).toEqual({ a: 429, b: 200, c: 424, d: 503, e: 400 });

  const counted = await summary(true);
  expect([counted.total, counted.byService, counted.counts.map((c) => [c.method, c.path, c.count])]).toEqual([
    1,
    { graph: 1 },
    [["POST", "/v1.0/$batch", 1]],
  ]);
  expect(counted.inner.total).toBe(5);
  expect(counted.inner.byFault).toEqual({ throttle: 1, unavailable: 1 });
  expect(counted.inner.counts.map((c) => [c.service, c.tenantId, c.method, c.path, c.count])).toEqual([
    ["graph", DEMO.healthy.tenantId, "GET", "/v1.0/oauth2PermissionGrants", 1],
    ["graph", DEMO.healthy.tenantId, "GET", "/v1.0/servicePrincipals", 1],
    ["graph", DEMO.healthy.tenantId, "GET", `/v1.0/servicePrincipals(appId='${GRAPH_APP}')`, 1],
    ["graph", DEMO.healthy.tenantId, "GET", "/v1.0/subscribedSkus", 1],
    ["graph", DEMO.healthy.tenantId, "POST", "/v1.0/servicePrincipals", 1],
  ]);

  // One log entry per HTTP request; the batch's items ride in it, in the order they ran.
  expect(counted.log).toHaveLength(1);
  expect(counted.log?.[0]).toMatchObject({ method: "POST", path: "/v1.0/$batch", status: 200, fault: null });
  expect(counted.log?.[0]?.inner).toEqual([
    { id: "a", method: "GET", path: "/v1.0/oauth2PermissionGrants", query: "", status: 429, fault: "throttle" },
    { id: "b", method: "GET", path: "/v1.0/servicePrincipals", query: "$top=1&$select=id", status: 200, fault: null },
    { id: "c", method: "GET", path: `/v1.0/servicePrincipals(appId='${GRAPH_APP}')`, query: "", status: 424, fault: null },
    { id: "d", method: "GET", path: "/v1.0/subscribedSkus", query: "", status: 503, fault: "unavailable" },
    { id: "e", method: "POST", path: "/v1.0/servicePrincipals", query: "", status: 400, fault: null },
  ]);
  expect(JSON.stringify(counted)).not.toContain(MARKER);
  expect(JSON.stringify(counted)).not.toContain(token);
  expect(emu.requests().inner).toEqual(counted.inner);
});

it("counts no inner request when a fault answers the $batch itself, and forgets inner counts on reset", async () => {
  await batch([{ id: "1", method: "GET", url: "/subscribedSkus" }]);
  await call(agent, "PUT", `${emu.baseUrl}/_emulator/faults`, {
    body: { rules: [{ kind: "throttle", service: "graph", scope: "outer", count: 1 }] },
  });
  expect((await batch([{ id: "1", method: "GET", url: "/subscribedSkus" }])).status).toBe(429);

  const counted = await summary(true);
  expect([counted.total, counted.inner.total, counted.inner.byFault]).toEqual([2, 1, {}]);
  expect(counted.log?.map((entry) => [entry.status, entry.fault, entry.inner?.length ?? null])).toEqual([
    [200, null, 1],
    [429, "throttle", null],
  ]);

  await call(agent, "DELETE", `${emu.baseUrl}/_emulator/requests`);
  expect((await summary()).inner).toEqual({ total: 0, byFault: {}, counts: [] });
});

it("counts no inner request for a malformed $batch", async () => {
  expect(
    (
      await batch([
        { id: "1", method: "GET", url: "/subscribedSkus" },
        { id: "1", method: "GET", url: "/subscribedSkus" },
      ])
    ).status,
  ).toBe(400);
  const counted = await summary(true);
  expect([counted.total, counted.inner.total, counted.log?.[0]?.inner]).toEqual([1, 0, undefined]);
});
