import { Agent, request } from "undici";
import { DEMO, DEMO_CREDENTIALS, startEmulator, type RunningEmulator } from "../../src/emulator";
import type { GraphBody } from "../helpers/graph-shapes";

const GRAPH = "00000003-0000-0000-c000-000000000000";
const DEFENDER = "fc780465-2017-40d4-a0c5-307022471b92";

let emulator: RunningEmulator;
let dispatcher: Agent;

beforeAll(async () => {
  emulator = await startEmulator();
  dispatcher = new Agent({ connect: { ca: emulator.caCertificatePem } });
});
afterAll(async () => {
  await dispatcher.close();
  await emulator.stop();
});

/** An app-only Graph token for CIPP-SAM in `tenantId`, from the emulator's token endpoint. */
async function appToken(tenantId: string): Promise<string> {
  const form = new URLSearchParams({
    grant_type: "client_credentials",
    client_id: DEMO_CREDENTIALS.clientId,
    client_secret: DEMO_CREDENTIALS.clientSecret,
    scope: "https://graph.microsoft.com/.default",
  });
  const r = await request(`${emulator.baseUrl}/${tenantId}/oauth2/v2.0/token`, {
    method: "POST",
    dispatcher,
    headers: { "content-type": "application/x-www-form-urlencoded" },
    body: form.toString(),
  });
  const body = (await r.body.json()) as { access_token?: string };
  expect(r.statusCode).toBe(200);
  return body.access_token as string;
}

async function graph(
  method: string,
  url: string,
  token: string,
  body?: unknown,
): Promise<{ status: number; headers: Record<string, unknown>; body: GraphBody }> {
  const r = await request(`${emulator.baseUrl}${url}`, {
    method: method as "GET",
    dispatcher,
    headers: { authorization: `Bearer ${token}`, ...(body === undefined ? {} : { "content-type": "application/json" }) },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });
  const text = await r.body.text();
  return { status: r.statusCode, headers: r.headers, body: (text === "" ? undefined : JSON.parse(text)) as GraphBody };
}

describe("Graph over HTTPS with tokens from the token endpoint", () => {
  it("reads the healthy tenant's service principals and grants, with Graph's headers", async () => {
    const token = await appToken(DEMO.healthy.tenantId);
    const sps = await graph("GET", `/v1.0/servicePrincipals?$filter=appId in ('${GRAPH}','${DEMO.applicationId}')&$select=id,appId`, token);
    expect(sps.status).toBe(200);
    expect(sps.headers["content-type"]).toMatch(/^application\/json;odata\.metadata=minimal/);
    expect(sps.headers["request-id"]).toEqual(expect.any(String));
    expect(sps.body.value.map((s) => s.appId).sort()).toEqual([GRAPH, DEMO.applicationId].sort());
    const cipp = sps.body.value.find((s) => s.appId === DEMO.applicationId);
    const grants = await graph("GET", `/v1.0/oauth2PermissionGrants?$filter=clientId eq '${cipp?.id ?? ""}'`, token);
    expect(grants.status).toBe(200);
    expect(grants.headers["x-ms-resource-unit"]).toBe("2");
    expect(grants.body.value.length).toBeGreaterThan(0);
  });

  it("keeps each tenant's directory to its own tokens", async () => {
    const healthy = await appToken(DEMO.healthy.tenantId);
    const drifted = await appToken(DEMO.drifted.tenantId);
    const mine = await graph("GET", `/v1.0/servicePrincipals(appId='${DEMO.applicationId}')?$select=id`, healthy);
    const foreign = await graph("GET", `/v1.0/servicePrincipals/${mine.body.id}`, drifted);
    expect(foreign.status).toBe(404);
    expect(foreign.body.error.code).toBe("Request_ResourceNotFound");
  });

  it("refuses a token the emulator did not sign", async () => {
    const r = await graph("GET", "/v1.0/servicePrincipals", "eyJhbGciOiJSUzI1NiJ9.eyJ0aWQiOiJ4In0.c2ln");
    expect(r.status).toBe(401);
    expect(r.body.error.code).toBe("InvalidAuthenticationToken");
  });

  it("answers a $batch with 200, an inner 429 carrying Retry-After, and a 424 for its dependent", async () => {
    const token = await appToken(DEMO.healthy.tenantId);
    emulator.setFaults({
      rules: [{ kind: "throttle", service: "graph", scope: "inner", count: 1, retryAfterSeconds: 0.25, method: "POST" }],
    });
    try {
      const r = await graph("POST", "/v1.0/$batch", token, {
        requests: [
          {
            id: "1",
            method: "POST",
            url: "/servicePrincipals",
            headers: { "Content-Type": "application/json" },
            body: { appId: DEFENDER },
          },
          { id: "2", method: "GET", url: `/servicePrincipals(appId='${DEFENDER}')`, dependsOn: ["1"] },
          { id: "3", method: "GET", url: "/subscribedSkus" },
        ],
      });
      expect(r.status).toBe(200);
      const byId = new Map(r.body.responses.map((x) => [x.id, x]));
      expect(byId.get("1")?.status).toBe(429);
      expect(byId.get("1")?.headers?.["Retry-After"]).toBe("0.25");
      expect(byId.get("2")?.status).toBe(424);
      expect(byId.get("3")?.status).toBe(200);
    } finally {
      emulator.setFaults({});
    }
  });

  it("refuses to create the Defender service principal in the unlicensed tenant", async () => {
    const token = await appToken(DEMO.unlicensed.tenantId);
    const r = await graph("POST", "/v1.0/servicePrincipals", token, { appId: DEFENDER });
    expect(r.status).toBe(400);
    expect(r.body.error.message).toMatch(/not licensed/);
  });
});
