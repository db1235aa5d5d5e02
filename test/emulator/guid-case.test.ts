/**
 * GUIDs are case-insensitive in Entra ID, Graph and Partner Center. The world below spells every
 * GUID in upper case; requests spell them in upper or lower case; answers carry the canonical
 * lower-case form, as Graph returns it.
 */
import { X509Certificate } from "node:crypto";
import { ConfidentialClientApplication } from "@azure/msal-node";
import jwt from "jsonwebtoken";
import { generate } from "selfsigned";
import type { Agent } from "undici";
import { DEMO, DEMO_CREDENTIALS, demoWorld, startEmulator, type RunningEmulator, type WorldSpec } from "../../src/emulator";
import { isGuid } from "../../src/emulator/ids";
import { authorityHost, call, msalNetworkClient, trustingAgent } from "../helpers/emulator-client";
import type { GraphBody } from "../helpers/graph-shapes";
import type { TenantSnapshot } from "../../src/emulator/state";

const GRAPH_APP = "00000003-0000-0000-c000-000000000000";
const EXCHANGE_APP = "00000002-0000-0ff1-ce00-000000000000";
const AUDIT_LOG_READ_ALL = "b0afded3-3588-46d8-8b3d-9842eff778da";
const CANONICAL_GUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

const up = (guid: string): string => guid.toUpperCase();

/** Every GUID-valued string of a JSON value in upper case; other strings (secrets, tokens, names) as they are. */
function upperGuids<T>(value: T): T {
  if (typeof value === "string") return (isGuid(value) ? value.toUpperCase() : value) as T;
  if (Array.isArray(value)) return value.map(upperGuids) as T;
  if (typeof value === "object" && value !== null) {
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, upperGuids(v)])) as T;
  }
  return value;
}

/** Every GUID found anywhere in a JSON value. */
function guidsIn(value: unknown): string[] {
  if (typeof value === "string") return isGuid(value) ? [value] : [];
  if (Array.isArray(value)) return value.flatMap(guidsIn);
  if (typeof value === "object" && value !== null) return Object.values(value).flatMap(guidsIn);
  return [];
}

let emu: RunningEmulator;
let agent: Agent;
let certificate: { pem: string; privateKey: string };

beforeAll(async () => {
  const cert = await generate([{ name: "commonName", value: "cipp-sam assertion" }], { keySize: 2048, algorithm: "sha256" });
  certificate = { pem: cert.cert, privateKey: cert.private };
  const spec = demoWorld();
  const world: WorldSpec = upperGuids({
    ...spec,
    applications: spec.applications.map((a) => ({ ...a, certificates: [{ certificatePem: cert.cert }] })),
  });
  expect(world.partnerTenantId).toBe(up(DEMO.partner.tenantId));
  emu = await startEmulator({ world });
  agent = trustingAgent(emu.caCertificatePem);
});
afterAll(async () => {
  await emu.stop();
  await agent.close();
});

const claimsOf = (token: string): Record<string, unknown> => jwt.decode(token) as Record<string, unknown>;

function postToken(tenantSegment: string, form: Record<string, string>) {
  return call<{ access_token: string }>(agent, "POST", `${emu.baseUrl}/${tenantSegment}/oauth2/v2.0/token`, {
    headers: { "content-type": "application/x-www-form-urlencoded" },
    body: new URLSearchParams(form).toString(),
  });
}

/** A delegated token of the partner's service account, through the refresh-token flow. */
async function delegatedToken(tenantSegment: string, scope: string, clientId: string = DEMO_CREDENTIALS.clientId): Promise<string> {
  const r = await postToken(tenantSegment, {
    client_id: clientId,
    client_secret: DEMO_CREDENTIALS.clientSecret,
    grant_type: "refresh_token",
    refresh_token: DEMO_CREDENTIALS.refreshToken,
    scope,
  });
  expect(r.status).toBe(200);
  return r.body.access_token;
}

const graph = (method: string, path: string, token: string, body?: unknown) =>
  call<GraphBody>(agent, method, `${emu.baseUrl}/v1.0${path}`, {
    headers: { authorization: `Bearer ${token}` },
    ...(body === undefined ? {} : { body }),
  });
const snapshot = async (tenantId: string): Promise<TenantSnapshot> =>
  (await call<TenantSnapshot>(agent, "GET", `${emu.baseUrl}/_emulator/tenants/${tenantId}`)).body;
const spIdOf = async (tenantId: string, appId: string): Promise<string> =>
  (await snapshot(tenantId)).servicePrincipals.find((s) => s.appId === appId)?.id ?? "";

describe("a world spelled in upper case", () => {
  it("loads with every GUID in canonical form", async () => {
    const spec = (await call<WorldSpec>(agent, "GET", `${emu.baseUrl}/_emulator/world`)).body;
    const guids = guidsIn(spec);
    expect(guids.length).toBeGreaterThan(1000);
    expect(guids.filter((g) => !CANONICAL_GUID.test(g))).toEqual([]);
    const healthy = await snapshot(up(DEMO.healthy.tenantId));
    expect(healthy.tenantId).toBe(DEMO.healthy.tenantId);
    expect(guidsIn(healthy).filter((g) => !CANONICAL_GUID.test(g))).toEqual([]);
  });
});

describe("token endpoint", () => {
  it("accepts the client id and the tenant in upper case and issues canonical claims", async () => {
    const r = await postToken(up(DEMO.healthy.tenantId), {
      client_id: up(DEMO_CREDENTIALS.clientId),
      client_secret: DEMO_CREDENTIALS.clientSecret,
      grant_type: "client_credentials",
      scope: `${up(GRAPH_APP)}/.default`,
    });
    expect(r.status).toBe(200);
    expect(claimsOf(r.body.access_token)).toMatchObject({ tid: DEMO.healthy.tenantId, appid: DEMO.applicationId, aud: GRAPH_APP });
  });

  it("accepts the client id in upper case in Basic authentication and in the refresh-token flow", async () => {
    const basic = await call<{ access_token: string }>(agent, "POST", `${emu.baseUrl}/${DEMO.healthy.tenantId}/oauth2/v2.0/token`, {
      headers: {
        "content-type": "application/x-www-form-urlencoded",
        authorization: `Basic ${Buffer.from(`${up(DEMO_CREDENTIALS.clientId)}:${encodeURIComponent(DEMO_CREDENTIALS.clientSecret)}`).toString("base64")}`,
      },
      body: new URLSearchParams({ grant_type: "client_credentials", scope: "https://graph.microsoft.com/.default" }).toString(),
    });
    expect(basic.status).toBe(200);
    const delegated = await delegatedToken(
      up(DEMO.partner.tenantId),
      "https://api.partnercenter.microsoft.com/.default",
      up(DEMO_CREDENTIALS.clientId),
    );
    expect(claimsOf(delegated)).toMatchObject({ tid: DEMO.partner.tenantId, appid: DEMO.applicationId, oid: DEMO.user.id });
  });

  it("accepts a certificate assertion whose issuer and subject are the client id in upper case (msal-node)", async () => {
    const thumbprintSha256 = new X509Certificate(certificate.pem).fingerprint256.replace(/:/g, "");
    const app = new ConfidentialClientApplication({
      auth: {
        clientId: up(DEMO.applicationId),
        authority: `${emu.baseUrl}/${up(DEMO.healthy.tenantId)}`,
        knownAuthorities: [authorityHost(emu.baseUrl)],
        clientCertificate: { thumbprintSha256, privateKey: certificate.privateKey },
      },
      system: { networkClient: msalNetworkClient(agent) },
    });
    const result = await app.acquireTokenByClientCredential({ scopes: ["https://graph.microsoft.com/.default"] });
    expect(claimsOf(result?.accessToken ?? "")).toMatchObject({ tid: DEMO.healthy.tenantId, appid: DEMO.applicationId });
  });
});

describe("Graph", () => {
  it("finds service principals by id, by appId alternate key and by $filter in upper case, answering lower case", async () => {
    const token = await delegatedToken(DEMO.drifted.tenantId, "https://graph.microsoft.com/.default");
    const cippSp = await spIdOf(DEMO.drifted.tenantId, DEMO.applicationId);
    const byKey = await graph("GET", `/servicePrincipals(appId='${up(DEMO.applicationId)}')`, token);
    expect([byKey.status, byKey.body.id, byKey.body.appId]).toEqual([200, cippSp, DEMO.applicationId]);
    const byId = await graph("GET", `/servicePrincipals/${up(cippSp)}?$select=id,appId`, token);
    expect([byId.status, byId.body.id, byId.body.appId]).toEqual([200, cippSp, DEMO.applicationId]);
    const filtered = await graph(
      "GET",
      `/servicePrincipals?$filter=${encodeURIComponent(`appId in ('${up(GRAPH_APP)}', '${up(DEMO.applicationId)}')`)}`,
      token,
    );
    expect(filtered.body.value.map((s: { appId: string }) => s.appId).sort()).toEqual([GRAPH_APP, DEMO.applicationId].sort());
    // resourceId is the filterable Edm.Guid of an app role assignment (principalId is not).
    const graphSp = await spIdOf(DEMO.drifted.tenantId, GRAPH_APP);
    const assignments = await graph(
      "GET",
      `/servicePrincipals/${up(cippSp)}/appRoleAssignments?$filter=${encodeURIComponent(`resourceId eq ${up(graphSp)}`)}`,
      token,
    );
    expect(assignments.status).toBe(200);
    const held = (await snapshot(DEMO.drifted.tenantId)).appRoleAssignments.filter(
      (a) => a.principalId === cippSp && a.resourceId === graphSp,
    );
    expect(held.length).toBeGreaterThan(0);
    expect(assignments.body.value.length).toBe(held.length);
  });

  it("creates an app role assignment from upper-case ids in the path and the body; the same ids in lower case collide with it", async () => {
    const token = await delegatedToken(DEMO.drifted.tenantId, "https://graph.microsoft.com/.default");
    const cippSp = await spIdOf(DEMO.drifted.tenantId, DEMO.applicationId);
    const graphSp = await spIdOf(DEMO.drifted.tenantId, GRAPH_APP);
    const body = { principalId: cippSp, resourceId: graphSp, appRoleId: AUDIT_LOG_READ_ALL };
    const created = await graph("POST", `/servicePrincipals/${up(cippSp)}/appRoleAssignedTo`, token, upperGuids(body));
    expect(created.status).toBe(201);
    expect(created.body).toMatchObject(body);
    const again = await graph("POST", `/servicePrincipals/${cippSp}/appRoleAssignedTo`, token, body);
    expect([again.status, again.body.error.message]).toEqual([400, "Permission being assigned already exists on the object"]);
    const held = (await snapshot(DEMO.drifted.tenantId)).appRoleAssignments.filter((a) => a.appRoleValue === "AuditLog.Read.All");
    expect(held.map((a) => [a.principalId, a.resourceId, a.appRoleId])).toEqual([[cippSp, graphSp, AUDIT_LOG_READ_ALL]]);
  });

  it("creates a delegated grant from upper-case ids; the same ids in lower case collide with it", async () => {
    const token = await delegatedToken(DEMO.drifted.tenantId, "https://graph.microsoft.com/.default");
    const cippSp = await spIdOf(DEMO.drifted.tenantId, DEMO.applicationId);
    const exchangeSp = await spIdOf(DEMO.drifted.tenantId, EXCHANGE_APP);
    const filter = encodeURIComponent(`clientId eq '${up(cippSp)}' and resourceId eq '${up(exchangeSp)}'`);
    const existing = await graph("GET", `/oauth2PermissionGrants?$filter=${filter}`, token);
    expect(existing.body.value).toHaveLength(1);
    expect((await graph("DELETE", `/oauth2PermissionGrants/${existing.body.value[0]?.id}`, token)).status).toBe(204);

    const body = { clientId: cippSp, resourceId: exchangeSp, consentType: "AllPrincipals", scope: "Exchange.Manage" };
    const created = await graph("POST", "/oauth2PermissionGrants", token, upperGuids(body));
    expect(created.status).toBe(201);
    expect(created.body).toMatchObject({ ...body, id: existing.body.value[0]?.id });
    const again = await graph("POST", "/oauth2PermissionGrants", token, body);
    expect(again.status).toBe(409);
  });

  it("creates a service principal from an upper-case appId and refuses it again in lower case", async () => {
    const token = await delegatedToken(DEMO.drifted.tenantId, "https://graph.microsoft.com/.default");
    const exchangeSp = await spIdOf(DEMO.drifted.tenantId, EXCHANGE_APP);
    expect((await graph("DELETE", `/servicePrincipals(appId='${up(EXCHANGE_APP)}')`, token)).status).toBe(204);
    expect((await snapshot(DEMO.drifted.tenantId)).servicePrincipals.map((s) => s.id)).not.toContain(exchangeSp);
    const created = await graph("POST", "/servicePrincipals", token, { appId: up(EXCHANGE_APP) });
    expect([created.status, created.body.appId, created.body.servicePrincipalNames]).toEqual([201, EXCHANGE_APP, [EXCHANGE_APP]]);
    expect(created.body.id).toMatch(CANONICAL_GUID);
    expect((await graph("POST", "/servicePrincipals", token, { appId: EXCHANGE_APP })).status).toBe(409);
  });

  it("runs $batch items whose URLs and bodies spell GUIDs in upper case", async () => {
    const token = await delegatedToken(DEMO.healthy.tenantId, "https://graph.microsoft.com/.default");
    const cippSp = await spIdOf(DEMO.healthy.tenantId, DEMO.applicationId);
    const batch = await graph("POST", "/$batch", token, {
      requests: [
        { id: "1", method: "GET", url: `/servicePrincipals/${up(cippSp)}?$select=id` },
        { id: "2", method: "GET", url: `/servicePrincipals(appId='${up(GRAPH_APP)}')?$select=appId` },
      ],
    });
    const byId = Object.fromEntries(batch.body.responses.map((r) => [r.id, r]));
    expect([byId["1"]?.status, byId["1"]?.body.id]).toEqual([200, cippSp]);
    expect([byId["2"]?.status, byId["2"]?.body.appId]).toEqual([200, GRAPH_APP]);
  });
});

describe("Partner Center", () => {
  it("consents with upper-case customer, application and resource ids, and removes the consent the same way", async () => {
    const token = await delegatedToken(DEMO.partner.tenantId, "https://api.partnercenter.microsoft.com/.default");
    const posted = await call(agent, "POST", `${emu.baseUrl}/v1/customers/${up(DEMO.fresh.tenantId)}/applicationconsents`, {
      headers: { authorization: `Bearer ${token}` },
      body: {
        ApplicationId: up(DEMO.applicationId),
        ApplicationGrants: [{ EnterpriseApplicationId: up(GRAPH_APP), Scope: "Directory.Read.All" }],
      },
    });
    expect(posted.status).toBe(201);
    const after = await snapshot(DEMO.fresh.tenantId);
    const cippSp = after.servicePrincipals.find((s) => s.appId === DEMO.applicationId);
    expect(cippSp).toBeDefined();
    expect(after.grants.filter((g) => g.clientAppId === DEMO.applicationId).map((g) => [g.resourceAppId, g.scope])).toEqual([
      [GRAPH_APP, "Directory.Read.All"],
    ]);

    const removed = await call(
      agent,
      "DELETE",
      `${emu.baseUrl}/v1/customers/${up(DEMO.fresh.tenantId)}/applicationconsents/${up(DEMO.applicationId)}`,
      {
        headers: { authorization: `Bearer ${token}` },
      },
    );
    expect(removed.status).toBe(200);
    expect((await snapshot(DEMO.fresh.tenantId)).servicePrincipals.some((s) => s.appId === DEMO.applicationId)).toBe(false);
  });
});
