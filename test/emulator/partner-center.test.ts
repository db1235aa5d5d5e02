import type { Agent } from "undici";
import { DEMO, DEMO_CREDENTIALS, demoWorld, startEmulator, type RunningEmulator, type WorldSpec } from "../../src/emulator";
import type { TenantSnapshot } from "../../src/emulator/state";
import { call, trustingAgent, type HttpResult } from "../helpers/emulator-client";

/** A Partner Center error answer (the fields these tests read). */
interface PartnerCenterError {
  readonly code?: string;
  readonly description?: string;
}

const GRAPH_APP = "00000003-0000-0000-c000-000000000000";
const EXCHANGE_APP = "00000002-0000-0ff1-ce00-000000000000";
const DEFENDER_APP = "fc780465-2017-40d4-a0c5-307022471b92";
const PC_SCOPE = "https://api.partnercenter.microsoft.com/.default";

let emu: RunningEmulator;
let agent: Agent;

async function start(spec: WorldSpec = demoWorld()): Promise<void> {
  emu = await startEmulator({ world: spec });
  agent = trustingAgent(emu.caCertificatePem);
}
async function stop(): Promise<void> {
  await emu.stop();
  await agent.close();
}

async function tokenFor(tenantId: string, scope = PC_SCOPE): Promise<string> {
  const r = await call<{ access_token: string }>(agent, "POST", `${emu.baseUrl}/${tenantId}/oauth2/v2.0/token`, {
    headers: { "content-type": "application/x-www-form-urlencoded" },
    body: new URLSearchParams({
      client_id: DEMO_CREDENTIALS.clientId,
      client_secret: DEMO_CREDENTIALS.clientSecret,
      grant_type: "refresh_token",
      refresh_token: DEMO_CREDENTIALS.refreshToken,
      scope,
    }).toString(),
  });
  if (r.status !== 200) throw new Error(`token: ${JSON.stringify(r.body)}`);
  return r.body.access_token;
}

const consentBody = (grants: { resource: string; scope: string }[]) => ({
  ApplicationId: DEMO.applicationId,
  ApplicationGrants: grants.map((g) => ({ EnterpriseApplicationId: g.resource, Scope: g.scope })),
});

function post(customer: string, token: string, body: unknown, headers: Record<string, string> = {}) {
  return call<PartnerCenterError | undefined>(agent, "POST", `${emu.baseUrl}/v1/customers/${customer}/applicationconsents`, {
    headers: { authorization: `Bearer ${token}`, accept: "application/json", ...headers },
    body,
  });
}
function del(customer: string, token: string, appId = DEMO.applicationId) {
  return call<PartnerCenterError | undefined>(agent, "DELETE", `${emu.baseUrl}/v1/customers/${customer}/applicationconsents/${appId}`, {
    headers: { authorization: `Bearer ${token}` },
  });
}
const snapshot = async (tenantId: string): Promise<TenantSnapshot> =>
  (await call<TenantSnapshot>(agent, "GET", `${emu.baseUrl}/_emulator/tenants/${tenantId}`)).body;

describe("Partner Center application consents", () => {
  beforeEach(() => start());
  afterEach(() => stop());

  it("POST creates the service principal and space-separated AllPrincipals grants, echoing the body and ids", async () => {
    const token = await tokenFor(DEMO.partner.tenantId);
    const body = consentBody([
      { resource: GRAPH_APP, scope: "Directory.Read.All,Policy.Read.All" },
      { resource: EXCHANGE_APP, scope: "Exchange.Manage" },
    ]);
    const r = await post(DEMO.fresh.tenantId, token, body, {
      "MS-CorrelationId": "c0ffee00-0000-4000-8000-000000000001",
      "MS-RequestId": "c0ffee00-0000-4000-8000-000000000002",
    });
    expect(r.status).toBe(201);
    expect(r.body).toEqual(body);
    expect(r.headers["ms-correlationid"]).toBe("c0ffee00-0000-4000-8000-000000000001");
    expect(r.headers["ms-requestid"]).toBe("c0ffee00-0000-4000-8000-000000000002");
    const snap = await snapshot(DEMO.fresh.tenantId);
    expect(snap.servicePrincipals.map((s) => s.appId)).toContain(DEMO.applicationId);
    const grants = snap.grants.filter((g) => g.clientAppId === DEMO.applicationId);
    expect(grants.map((g) => [g.resourceAppId, g.scope, g.consentType]).sort()).toEqual(
      [
        [GRAPH_APP, "Directory.Read.All Policy.Read.All", "AllPrincipals"],
        [EXCHANGE_APP, "Exchange.Manage", "AllPrincipals"],
      ].sort(),
    );
  });

  it("answers 409 'Permission entry already exists.' for an existing grant, without merging", async () => {
    const token = await tokenFor(DEMO.partner.tenantId);
    const graphGrant = async () =>
      (await snapshot(DEMO.healthy.tenantId)).grants.find((g) => g.clientAppId === DEMO.applicationId && g.resourceAppId === GRAPH_APP);
    const before = await graphGrant();
    // A scope the grant lacks: a merge would add it.
    expect(before?.scope.split(" ")).not.toContain("Directory.Read.All");
    const r = await post(DEMO.healthy.tenantId, token, consentBody([{ resource: GRAPH_APP, scope: "Directory.Read.All" }]));
    expect(r.status).toBe(409);
    expect(r.body).toMatchObject({ description: "Permission entry already exists.", source: "PartnerFD" });
    expect(await graphGrant()).toEqual(before);
  });

  it("answers 400 naming the missing resource service principal, and writes nothing", async () => {
    const token = await tokenFor(DEMO.partner.tenantId);
    const spec = demoWorld();
    emu.loadWorld({
      ...spec,
      tenants: spec.tenants.map((t) =>
        t.tenantId === DEMO.unlicensed.tenantId
          ? {
              ...t,
              servicePrincipals: (t.servicePrincipals ?? []).filter((s) => s.appId !== DEMO.applicationId),
              appRoleAssignments: [],
              grants: [],
            }
          : t,
      ),
    });
    const r = await post(
      DEMO.unlicensed.tenantId,
      token,
      consentBody([
        { resource: GRAPH_APP, scope: "Directory.Read.All" },
        { resource: DEFENDER_APP, scope: "user_impersonation" },
      ]),
    );
    expect(r.status).toBe(400);
    expect(r.body?.description).toBe(
      `The app is trying to access a service '${DEFENDER_APP}' (WindowsDefenderATP) that your organization '${DEMO.unlicensed.defaultDomain}' lacks a service principal for. Contact your IT Admin to review the configuration of your service subscriptions or consent to the application in order to create the required service principal.`,
    );
    const snap = await snapshot(DEMO.unlicensed.tenantId);
    expect(snap.servicePrincipals.map((s) => s.appId)).not.toContain(DEMO.applicationId);
  });

  it("DELETE removes the grants, the service principal and its assignments (200, as documented)", async () => {
    const token = await tokenFor(DEMO.partner.tenantId);
    const r = await del(DEMO.healthy.tenantId, token);
    // Control Panel Vendor (CPV) APIs: DELETE answers 200 or 201 "The application consent is deleted"; never 204.
    expect(r.status).toBe(200);
    const snap = await snapshot(DEMO.healthy.tenantId);
    expect(snap.servicePrincipals.map((s) => s.appId)).not.toContain(DEMO.applicationId);
    expect(snap.grants.filter((g) => g.clientAppId === DEMO.applicationId || g.clientAppId === null)).toEqual([]);
    expect(snap.appRoleAssignments.filter((a) => a.principalAppId === DEMO.applicationId || a.principalAppId === null)).toEqual([]);
    expect(snap.deletedServicePrincipals.map((s) => s.appId)).toEqual([DEMO.applicationId]);
  });

  it("DELETE keeps the service principal when the world says so", async () => {
    await stop();
    await start({ ...demoWorld(), behaviour: { consentDeleteRemovesServicePrincipal: false } });
    const token = await tokenFor(DEMO.partner.tenantId);
    const assignments = (snap: TenantSnapshot) => snap.appRoleAssignments.filter((a) => a.principalAppId === DEMO.applicationId);
    const before = assignments(await snapshot(DEMO.healthy.tenantId));
    expect(before.length).toBeGreaterThan(0);
    expect((await del(DEMO.healthy.tenantId, token)).status).toBe(200);
    const snap = await snapshot(DEMO.healthy.tenantId);
    expect(snap.servicePrincipals.map((s) => s.appId)).toContain(DEMO.applicationId);
    expect(snap.grants.filter((g) => g.clientAppId === DEMO.applicationId)).toEqual([]);
    // Only the consent's grants go: the app role assignments stay as they were.
    expect(assignments(snap)).toEqual(before);
  });

  it("replays the first outcome for a repeated MS-RequestId", async () => {
    const token = await tokenFor(DEMO.partner.tenantId);
    const body = consentBody([{ resource: GRAPH_APP, scope: "Directory.Read.All" }]);
    const headers = { "MS-RequestId": "11111111-0000-4000-8000-0000000000aa" };
    const first = await post(DEMO.fresh.tenantId, token, body, headers);
    const second = await post(DEMO.fresh.tenantId, token, body, headers);
    const fresh = await post(DEMO.fresh.tenantId, token, body, { "MS-RequestId": "11111111-0000-4000-8000-0000000000bb" });
    expect([first.status, second.status, fresh.status]).toEqual([201, 201, 409]);
    // The same id for another customer is another request, not a retry of the first.
    const elsewhere = await post(DEMO.healthy.tenantId, token, body, headers);
    expect(elsewhere.status).toBe(409);
  });

  it("refuses callers without what the API requires", async () => {
    const token = await tokenFor(DEMO.partner.tenantId);
    const body = consentBody([{ resource: GRAPH_APP, scope: "Directory.Read.All" }]);
    expect((await post(DEMO.fresh.tenantId, "", body)).status).toBe(401);
    const wrongApp = await post(DEMO.fresh.tenantId, token, { ...body, ApplicationId: "00000000-0000-4000-8000-000000000001" });
    expect(wrongApp.status).toBe(403);
    const noGdap = await post(DEMO.noGdap.tenantId, token, body);
    expect([noGdap.status, noGdap.body?.code, noGdap.body?.description]).toEqual([403, "2032", "Access denied"]);
    const unknown = await post("99999999-0000-4000-8000-000000000009", token, body);
    expect([unknown.status, unknown.body?.code]).toEqual([404, "60003"]);
    const graphToken = await tokenFor(DEMO.partner.tenantId, "https://graph.microsoft.com/.default");
    expect((await post(DEMO.fresh.tenantId, graphToken, body)).status).toBe(401);
  });

  it("answers 401 code 900421 without MFA, and 403 for a caller who is not an admin agent", async () => {
    await stop();
    const spec = demoWorld();
    await start({ ...spec, users: spec.users.map((u) => ({ ...u, mfa: false })) });
    const body = consentBody([{ resource: GRAPH_APP, scope: "Directory.Read.All" }]);
    const noMfa = await post(DEMO.fresh.tenantId, await tokenFor(DEMO.partner.tenantId), body);
    expect([noMfa.status, noMfa.body?.code]).toEqual([401, "900421"]);
    emu.loadWorld({ ...spec, users: spec.users.map((u) => ({ ...u, adminAgent: false })) });
    const notAgent = await post(DEMO.fresh.tenantId, await tokenFor(DEMO.partner.tenantId), body);
    expect([notAgent.status, notAgent.body?.code]).toEqual([403, "2032"]);
  });

  it("never lets a customer tenant's token act, even on itself (tenant isolation)", async () => {
    const customerToken = await tokenFor(DEMO.healthy.tenantId, "https://graph.microsoft.com/.default");
    const r = await del(DEMO.healthy.tenantId, customerToken);
    expect(r.status).toBe(401);
    const snap = await snapshot(DEMO.healthy.tenantId);
    expect(snap.servicePrincipals.map((s) => s.appId)).toContain(DEMO.applicationId);
  });

  it("limits each application to 50 requests per virtual second, with Retry-After", async () => {
    const token = await tokenFor(DEMO.partner.tenantId);
    await call(agent, "POST", `${emu.baseUrl}/_emulator/clock`, { body: { speed: 0 } });
    const statuses: number[] = [];
    let throttled: HttpResult<PartnerCenterError | undefined> | undefined;
    for (let i = 0; i < 51; i++) {
      const r = await del(DEMO.fresh.tenantId, token);
      statuses.push(r.status);
      if (r.status === 429) throttled = r;
    }
    expect(statuses.filter((s) => s === 429)).toHaveLength(1);
    expect(throttled?.body).toEqual({ statusCode: 429, message: "Rate limit is exceeded. Try again in 1 seconds." });
    expect(throttled?.headers["retry-after"]).toBe("1");
    await call(agent, "POST", `${emu.baseUrl}/_emulator/clock`, { body: { advanceMs: 1000 } });
    expect((await del(DEMO.fresh.tenantId, token)).status).toBe(404);
  });
});
