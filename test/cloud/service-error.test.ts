/**
 * The one error type: each service's refusals, as the emulator answers them over HTTPS, carry the
 * service, status, code, request id and what the service said; the result model reads those fields.
 */
import { execFileSync } from "node:child_process";
import { join } from "node:path";
import { GraphError, HttpTransportError, PartnerCenterError, ServiceError, TokenError } from "../../src/cloud";
import { readEntraErrorBody, readGraphErrorBody, readPartnerCenterErrorBody, readRefreshToken } from "../../src/cloud/service-error";
import { CredentialRefusedError } from "../../src/cloud/tokens";
import { operationErrorOf } from "../../src/apply/operation-error";
import { DEMO, DEMO_CREDENTIALS } from "../../src/emulator";
import { startSandbox, type Sandbox } from "../live/sandbox";

const GUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
const GRAPH_APP = "00000003-0000-0000-c000-000000000000";

describe("ServiceError from the emulator's real answers", () => {
  let sandbox: Sandbox;
  beforeAll(async () => {
    sandbox = await startSandbox();
  });
  afterAll(async () => {
    await sandbox.stop();
  });

  it("Graph: service, status, code, Graph's request id and message", async () => {
    const graph = sandbox.clients().graph(DEMO.healthy.tenantId);
    const err = await graph.get("/servicePrincipals/00000000-0000-4000-8000-000000000000").catch((e: unknown) => e);
    expect(err).toBeInstanceOf(GraphError);
    expect(err).toBeInstanceOf(ServiceError);
    const e = err as ServiceError;
    expect(e.service).toBe("graph");
    expect(e.status).toBe(404);
    expect(e.code).toBe("Request_ResourceNotFound");
    expect(e.requestId).toMatch(GUID);
    expect(e.detail).toMatch(/does not exist/);
    expect(operationErrorOf(err)).toEqual({ service: "graph", status: 404, code: "Request_ResourceNotFound", message: e.detail });
  });

  it("Partner Center: service, status, Partner Center's code, the MS-RequestId sent, and its description", async () => {
    const clients = sandbox.clients();
    const err = await clients.partnerCenter
      .addConsent("99999999-9999-4999-8999-999999999999", {
        applicationId: DEMO.applicationId,
        grants: [{ resourceAppId: GRAPH_APP, scopes: ["Directory.ReadWrite.All"] }],
      })
      .catch((e: unknown) => e);
    expect(err).toBeInstanceOf(PartnerCenterError);
    const e = err as PartnerCenterError;
    expect(e.service).toBe("partner-center");
    expect(e.status).toBe(404);
    expect(e.code).toBe("60003");
    expect(e.partnerCenterCode).toBe("60003");
    expect(e.detail).toBe("Tenant not found");
    expect(e.requestId).toMatch(GUID);
    expect(operationErrorOf(err)).toEqual({ service: "partner-center", status: 404, code: "60003", message: "Tenant not found" });
  });

  it("Entra ID: service, status, AADSTS code, the trace id and the first line of the description, secrets masked", async () => {
    const wrong = "an-entirely-wrong-client-secret-value";
    const clients = sandbox.clients({ credentials: { kind: "secret", clientSecret: wrong } });
    const err = await clients.tokens.appOnly(DEMO.healthy.tenantId).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(TokenError);
    const e = err as TokenError;
    expect(e.service).toBe("entra-id");
    expect(e.status).toBe(401);
    expect(e.code).toBe("AADSTS7000215");
    expect(e.requestId).toMatch(GUID);
    expect(e.detail).toMatch(/^AADSTS7000215: /);
    expect(e.detail).not.toMatch(/Trace ID/);
    expect(e.message).not.toContain(wrong);
    expect(operationErrorOf(err)).toMatchObject({ service: "entra-id", status: 401, code: "AADSTS7000215" });
    // Requests not sent after that refusal carry its fields.
    const held = await clients.tokens.appOnly(DEMO.drifted.tenantId).catch((x: unknown) => x);
    expect(held).toBeInstanceOf(CredentialRefusedError);
    expect(held).toBeInstanceOf(ServiceError);
    expect(operationErrorOf(held)).toEqual(operationErrorOf(err));
  });

  it("a transport failure names its service by field, whatever the URL says", async () => {
    // Graph's requests to a path that reads like the token endpoint's: no regular expression decides the service.
    const graph = sandbox.clients({ retry: { maxAttempts: 1 } }).graph(DEMO.healthy.tenantId);
    sandbox.emulator.setFaults({ rules: [{ kind: "drop", service: "graph", count: 1 }] });
    try {
      const err = await graph.get("/oauth2PermissionGrants?$filter=token").catch((e: unknown) => e);
      expect(err).toBeInstanceOf(HttpTransportError);
      expect(err).toBeInstanceOf(ServiceError);
      const e = err as HttpTransportError;
      expect(e.service).toBe("graph");
      expect(e.status).toBeNull();
      expect(e.code).toBe("connection");
      // The client-request-id it sent: the one id Graph may have logged.
      expect(e.requestId).toMatch(GUID);
      expect(operationErrorOf(err)).toEqual({ service: "graph", status: null, code: "connection", message: e.message });
    } finally {
      sandbox.emulator.setFaults({ rules: [] });
    }
  });

  it("the rotated refresh token is read from the token endpoint's answer, and the old one stays masked", async () => {
    const clients = sandbox.clients();
    await clients.tokens.delegated(DEMO.healthy.tenantId, "graph");
    const rotated = clients.tokens.currentRefreshToken();
    expect(rotated).not.toBe(DEMO_CREDENTIALS.refreshToken);
    expect(clients.redactor.redact(`a ${rotated} b ${DEMO_CREDENTIALS.refreshToken}`)).toBe("a *** b ***");
  });
});

describe("the error module", () => {
  it("loads no other module, so a command line can test instanceof without loading undici or msal-node", () => {
    // The built module, as the command line loads it (npm test builds lib/ first).
    const loaded = execFileSync(
      process.execPath,
      [
        "-e",
        "require(process.argv[1]); console.log(JSON.stringify(Object.keys(require.cache)))",
        join(__dirname, "../../lib/src/cloud/service-error.js"),
      ],
      { encoding: "utf8" },
    );
    expect((JSON.parse(loaded) as string[]).map((f) => f.split(/[\\/]/).pop())).toEqual(["service-error.js"]);
  });
});

describe("reading error bodies by their fields", () => {
  it("Graph: the envelope's code, message and inner request id; anything else is not Graph's envelope", () => {
    expect(readGraphErrorBody({ error: { code: "Request_BadRequest", message: "m", innerError: { "request-id": "r" } } })).toEqual({
      code: "Request_BadRequest",
      message: "m",
      requestId: "r",
    });
    expect(readGraphErrorBody({ error: { code: 400, message: "m" } })).toBeNull();
    expect(readGraphErrorBody({ error: "invalid_grant" })).toBeNull();
    expect(readGraphErrorBody([{ error: { code: "x" } }])).toBeNull();
    expect(readGraphErrorBody(null)).toBeNull();
  });

  it("Partner Center: string or numeric codes, description or the gateway's message", () => {
    expect(readPartnerCenterErrorBody({ code: 600041, description: "Permission entry already exists." })).toEqual({
      code: "600041",
      description: "Permission entry already exists.",
    });
    expect(readPartnerCenterErrorBody({ statusCode: 429, message: "Rate limit is exceeded." })).toEqual({
      code: null,
      description: "Rate limit is exceeded.",
    });
    expect(readPartnerCenterErrorBody({ description: 7 })).toBeNull();
    expect(readPartnerCenterErrorBody("<html>")).toBeNull();
  });

  it("Entra ID: error_codes first, else the AADSTS number the description names", () => {
    expect(
      readEntraErrorBody({ error: "invalid_grant", error_description: "AADSTS70008: expired", error_codes: [70008], trace_id: "t" }),
    ).toEqual({
      error: "invalid_grant",
      description: "AADSTS70008: expired",
      aadsts: 70008,
      traceId: "t",
    });
    expect(readEntraErrorBody({ error: "invalid_client", error_description: "AADSTS7000215: bad", error_codes: ["x"] })?.aadsts).toBe(
      7000215,
    );
    expect(readEntraErrorBody({ error_description: "no error field" })).toBeNull();
  });

  it("the rotated refresh token only from a string refresh_token field", () => {
    expect(readRefreshToken({ access_token: "a", refresh_token: "r" })).toBe("r");
    expect(readRefreshToken({ refresh_token: 5 })).toBeNull();
    expect(readRefreshToken("refresh_token")).toBeNull();
  });
});
