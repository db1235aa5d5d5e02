import { HttpClient } from "../../src/cloud/http";
import { PartnerCenterClient, PartnerCenterError } from "../../src/cloud/partner-center";
import { SecretRedactor } from "../../src/cloud/secrets";
import { partnerCenterProblem } from "../../src/live/access";
import { DEMO } from "../../src/emulator";
import { startSandbox } from "../live/sandbox";
import { fakeTime, json, startLoopback, type Loopback } from "./loopback";

const CUSTOMER = "11112222-bbbb-4333-8ccc-4444dddd5555";
const APP = "57667d41-992a-49b0-99d8-ddf68328373f";
const GRAPH = "00000003-0000-0000-c000-000000000000";
const TOKEN = "partner-center-access-token-value";

function client(server: Loopback, time = fakeTime()) {
  const redactor = new SecretRedactor();
  redactor.register(TOKEN);
  let n = 0;
  return new PartnerCenterClient({
    http: new HttpClient({ clock: time.clock, sleep: time.sleep, random: () => 0.5, redactor }),
    baseUrl: server.url,
    token: () => Promise.resolve(TOKEN),
    correlationId: "run-correlation-id",
    newRequestId: () => `request-${++n}`,
  });
}

const consent = {
  applicationId: APP,
  grants: [{ resourceAppId: GRAPH, scopes: ["DelegatedPermissionGrant.ReadWrite.All", "Directory.ReadWrite.All"] }],
};

describe("PartnerCenterClient over a loopback server", () => {
  let server: Loopback | undefined;
  afterEach(async () => {
    await server?.close();
    server = undefined;
  });

  it("posts the consent, retries 429 and 500 with the same MS-RequestId, honouring Retry-After", async () => {
    server = await startLoopback([
      json(429, { statusCode: 429, message: "Rate limit is exceeded. Try again in 2 seconds." }, { "retry-after": "2" }),
      json(500, { code: "500", description: "Internal error", source: "PartnerFD" }),
      json(201, {}),
    ]);
    const time = fakeTime();
    expect(await client(server, time).addConsent(CUSTOMER, consent)).toBe("created");
    expect(server.requests).toHaveLength(3);
    expect(new Set(server.requests.map((r) => r.headers["ms-requestid"]))).toEqual(new Set(["request-1"]));
    expect(server.requests.every((r) => r.headers["ms-correlationid"] === "run-correlation-id")).toBe(true);
    expect(time.waits[0]).toBe(2000);
    expect(server.requests[0]?.url).toBe(`/v1/customers/${CUSTOMER}/applicationconsents`);
    expect(JSON.parse(server.requests[0]?.body ?? "")).toEqual({
      applicationId: APP,
      applicationGrants: [{ enterpriseApplicationId: GRAPH, scope: "DelegatedPermissionGrant.ReadWrite.All,Directory.ReadWrite.All" }],
    });
  });

  it.each([400, 409])("treats HTTP %i with 'Permission entry already exists.' as already consented", async (status) => {
    server = await startLoopback(
      json(status, { code: "600041", description: "Permission entry already exists.", data: [], source: "PartnerFD" }),
    );
    expect(await client(server).addConsent(CUSTOMER, consent)).toBe("already-exists");
  });

  it("explains 401 900421 as MFA and 403 as GDAP/AdminAgents, without the token", async () => {
    server = await startLoopback([
      json(401, { code: "900421", description: `MFA required for ${TOKEN}`, source: "PartnerFD" }),
      json(403, { code: "2032", description: "Access denied", source: "PartnerFD" }),
    ]);
    const pc = client(server);
    const mfa = (await pc.addConsent(CUSTOMER, consent).catch((e: unknown) => e)) as PartnerCenterError;
    expect(mfa.problem).toBe("mfa-required");
    expect(mfa.message).toMatch(/multi-factor authentication is required/);
    expect(mfa.message).not.toContain(TOKEN);
    const denied = (await pc.addConsent(CUSTOMER, consent).catch((e: unknown) => e)) as PartnerCenterError;
    expect(denied.problem).toBe("forbidden");
    expect(denied.message).toMatch(/AdminAgents/);
    expect(denied.message).toMatch(/GDAP/);
    expect(partnerCenterProblem(denied)?.kind).toBe("gdap-roles-missing");
  });

  it("removes a consent on any 2xx and calls a 404 already gone", async () => {
    server = await startLoopback([json(204, {}), json(404, { code: "600001", description: "Consent not found", source: "PartnerFD" })]);
    const pc = client(server);
    expect(await pc.removeConsent(CUSTOMER, APP)).toBe("removed");
    expect(await pc.removeConsent(CUSTOMER, APP)).toBe("already-gone");
    expect(server.requests[0]?.method).toBe("DELETE");
    expect(server.requests[0]?.url).toBe(`/v1/customers/${CUSTOMER}/applicationconsents/${APP}`);
  });
});

describe("PartnerCenterClient against the emulator", () => {
  it("consents a fresh tenant, then finds it already consented, then removes it", async () => {
    const sandbox = await startSandbox();
    try {
      const pc = sandbox.clients().partnerCenter;
      const bootstrap = {
        applicationId: DEMO.applicationId,
        grants: [
          {
            resourceAppId: GRAPH,
            scopes: ["DelegatedPermissionGrant.ReadWrite.All", "Directory.ReadWrite.All", "AppRoleAssignment.ReadWrite.All"],
          },
        ],
      };
      expect(await pc.addConsent(DEMO.fresh.tenantId, bootstrap)).toBe("created");
      expect(await pc.addConsent(DEMO.fresh.tenantId, bootstrap)).toBe("already-exists");
      expect(await pc.removeConsent(DEMO.fresh.tenantId, DEMO.applicationId)).toBe("removed");
    } finally {
      await sandbox.stop();
    }
  });
});
