import type { Agent } from "undici";
import {
  DEMO,
  DEMO_CREDENTIALS,
  startEmulator,
  type RequestLogEntry,
  type RequestSummary,
  type RunningEmulator,
  type WorldSpec,
} from "../../src/emulator";
import { VirtualClock } from "../../src/emulator/clock";
import { IdentityThrottle } from "../../src/emulator/throttle";
import { call, trustingAgent } from "../helpers/emulator-client";
import type { GraphBody } from "../helpers/graph-shapes";

/** The counters of `GET /_emulator/requests?log=1`, with the log. */
type LoggedSummary = RequestSummary & { readonly log: readonly RequestLogEntry[] };

const GRAPH = "https://graph.microsoft.com/.default";
let emu: RunningEmulator;
let agent: Agent;

beforeAll(async () => {
  emu = await startEmulator();
  agent = trustingAgent(emu.caCertificatePem);
});
afterAll(async () => {
  await emu.stop();
  await agent.close();
});
beforeEach(async () => {
  await call(agent, "PUT", `${emu.baseUrl}/_emulator/faults`, { body: {} });
  await call(agent, "DELETE", `${emu.baseUrl}/_emulator/requests`);
});

const form = () => ({
  headers: { "content-type": "application/x-www-form-urlencoded" },
  body: new URLSearchParams({
    client_id: DEMO_CREDENTIALS.clientId,
    client_secret: DEMO_CREDENTIALS.clientSecret,
    grant_type: "client_credentials",
    scope: GRAPH,
  }).toString(),
});
const token = (tenant: string, a: Agent = agent) =>
  call<{ error?: string }>(a, "POST", `${emu.baseUrl}/${tenant}/oauth2/v2.0/token`, form());

describe("faults", () => {
  it("throttles the next N matching requests, with and without (fractional) Retry-After", async () => {
    await call(agent, "PUT", `${emu.baseUrl}/_emulator/faults`, {
      body: {
        rules: [
          { kind: "throttle", service: "login", count: 1, retryAfterSeconds: 0.25 },
          { kind: "throttle", service: "login", count: 1, retryAfterSeconds: null },
        ],
      },
    });
    const a = await token(DEMO.healthy.tenantId);
    const b = await token(DEMO.healthy.tenantId);
    const c = await token(DEMO.healthy.tenantId);
    expect([a.status, a.headers["retry-after"]]).toEqual([429, "0.25"]);
    expect([b.status, b.headers["retry-after"]]).toEqual([429, undefined]);
    expect(b.body.error).toBe("temporarily_unavailable");
    expect(c.status).toBe(200);
  });

  it("answers 503 in each service's own envelope", async () => {
    await call(agent, "PUT", `${emu.baseUrl}/_emulator/faults`, {
      body: {
        rules: [
          { kind: "unavailable", service: "partnerCenter", count: 1, retryAfterSeconds: 3 },
          { kind: "throttle", service: "graph", count: 1 },
        ],
      },
    });
    const pc = await call<{ source: string }>(
      agent,
      "DELETE",
      `${emu.baseUrl}/v1/customers/${DEMO.healthy.tenantId}/applicationconsents/${DEMO.applicationId}`,
    );
    expect([pc.status, pc.headers["retry-after"], pc.body.source]).toEqual([503, "3", "PartnerFD"]);
    const graph = await call<GraphBody>(agent, "GET", `${emu.baseUrl}/v1.0/servicePrincipals`, { headers: { "client-request-id": "abc" } });
    expect(graph.status).toBe(429);
    expect(graph.body.error.code).toBe("TooManyRequests");
    expect(graph.headers["client-request-id"]).toBe("abc");
    expect(graph.body.error.innerError?.["request-id"]).toBe(graph.headers["request-id"]);
    expect(graph.headers["content-type"]).toMatch(/^application\/json;odata\.metadata=minimal/);
  });

  it("drops the connection", async () => {
    await call(agent, "PUT", `${emu.baseUrl}/_emulator/faults`, { body: { rules: [{ kind: "drop", count: 1 }] } });
    await expect(token(DEMO.healthy.tenantId)).rejects.toThrow();
    expect((await token(DEMO.healthy.tenantId)).status).toBe(200);
  });

  it("stalls until the client gives up", async () => {
    await call(agent, "PUT", `${emu.baseUrl}/_emulator/faults`, { body: { rules: [{ kind: "stall", service: "login", count: 1 }] } });
    const stalled = call(agent, "POST", `${emu.baseUrl}/${DEMO.healthy.tenantId}/oauth2/v2.0/token`, {
      ...form(),
      headersTimeout: 300,
    });
    await expect(stalled).rejects.toThrow(/timeout/i);
    const counts = (await call<LoggedSummary>(agent, "GET", `${emu.baseUrl}/_emulator/requests?log=1`)).body;
    expect(counts.log.map((e) => e.fault)).toEqual(["stall"]);
  });

  it("fires probabilistic rules reproducibly with a seed", async () => {
    const run = async (): Promise<number[]> => {
      await call(agent, "PUT", `${emu.baseUrl}/_emulator/faults`, {
        body: { seed: 7, rules: [{ kind: "throttle", service: "login", probability: 0.5, retryAfterSeconds: 0 }] },
      });
      const out: number[] = [];
      for (let i = 0; i < 12; i++) out.push((await token(DEMO.healthy.tenantId)).status);
      return out;
    };
    const first = await run();
    expect(first).toEqual(await run());
    expect(first).toContain(429);
    expect(first).toContain(200);
  });

  it("rejects an invalid profile with the reasons", async () => {
    const r = await call<{ problems: string[] }>(agent, "PUT", `${emu.baseUrl}/_emulator/faults`, {
      body: { rules: [{ kind: "explode", probability: 2 }] },
    });
    expect(r.status).toBe(400);
    expect(r.body.problems).toEqual(expect.arrayContaining([expect.stringMatching(/kind/), expect.stringMatching(/probability/)]));
  });
});

describe("control API", () => {
  it("counts service requests per service, tenant, method and path, not control calls; the log holds no secrets", async () => {
    await token(DEMO.healthy.tenantId);
    await token(DEMO.healthy.defaultDomain);
    await token(DEMO.drifted.tenantId);
    const r = (await call<LoggedSummary>(agent, "GET", `${emu.baseUrl}/_emulator/requests?log=1`)).body;
    expect(r.total).toBe(3);
    expect(r.byService).toEqual({ login: 3 });
    const healthy = r.counts.filter((c) => c.tenantId === DEMO.healthy.tenantId);
    expect(healthy.reduce((n, c) => n + c.count, 0)).toBe(2);
    expect(JSON.stringify(r)).not.toContain(DEMO_CREDENTIALS.clientSecret);
    expect(JSON.stringify(r)).not.toMatch(/eyJ/);
    await call(agent, "DELETE", `${emu.baseUrl}/_emulator/requests`);
    expect((await call<RequestSummary>(agent, "GET", `${emu.baseUrl}/_emulator/requests`)).body.total).toBe(0);
  });

  it("moves the virtual clock: tokens expire after their lifetime", async () => {
    const issued = await call<{ access_token: string; expires_in: number }>(
      agent,
      "POST",
      `${emu.baseUrl}/${DEMO.partner.tenantId}/oauth2/v2.0/token`,
      {
        headers: { "content-type": "application/x-www-form-urlencoded" },
        body: new URLSearchParams({
          client_id: DEMO_CREDENTIALS.clientId,
          client_secret: DEMO_CREDENTIALS.clientSecret,
          grant_type: "refresh_token",
          refresh_token: DEMO_CREDENTIALS.refreshToken,
          scope: "https://api.partnercenter.microsoft.com/.default",
        }).toString(),
      },
    );
    const removeConsent = () =>
      call<{ code?: string }>(
        agent,
        "DELETE",
        `${emu.baseUrl}/v1/customers/${DEMO.fresh.tenantId}/applicationconsents/${DEMO.applicationId}`,
        {
          headers: { authorization: `Bearer ${issued.body.access_token}` },
        },
      );
    const before = await removeConsent();
    const moved = await call(agent, "POST", `${emu.baseUrl}/_emulator/clock`, { body: { advanceMs: (issued.body.expires_in + 1) * 1000 } });
    expect(moved.status).toBe(200);
    const after = await removeConsent();
    expect(before.status).toBe(404); // authenticated; nothing to delete in a never-consented tenant
    expect([after.status, after.body.code]).toEqual([401, "400"]);
    expect((await call(agent, "POST", `${emu.baseUrl}/_emulator/clock`, { body: { advanceMs: -5 } })).status).toBe(400);
  });

  it("mints GitHub-style OIDC tokens like the Actions runner, also when the audience is appended with '&'", async () => {
    const r = await call<{ value: string }>(
      agent,
      "GET",
      `${emu.baseUrl}/_emulator/github-oidc/token&audience=${encodeURIComponent("api://AzureADTokenExchange")}`,
    );
    const claims: unknown = JSON.parse(Buffer.from(r.body.value.split(".")[1] ?? "", "base64url").toString("utf8"));
    expect(claims).toMatchObject({
      iss: "https://token.actions.githubusercontent.com",
      aud: "api://AzureADTokenExchange",
      sub: "repo:contoso-msp/cipp-permissions:ref:refs/heads/main",
    });
  });

  it("loads a world, rejecting an invalid one with its problems", async () => {
    const bad = await call<{ problems: string[] }>(agent, "PUT", `${emu.baseUrl}/_emulator/world`, { body: { partnerTenantId: "x" } });
    expect(bad.status).toBe(400);
    expect(bad.body.problems.join(" ")).toMatch(/applications/);
    const world = (await call<WorldSpec>(agent, "GET", `${emu.baseUrl}/_emulator/world`)).body;
    const spec: WorldSpec = {
      ...world,
      tenants: world.tenants.filter((t) => t.tenantId !== DEMO.fresh.tenantId),
      gdapRelationships: world.gdapRelationships.filter((r) => r.customerTenantId !== DEMO.fresh.tenantId),
    };
    expect((await call(agent, "PUT", `${emu.baseUrl}/_emulator/world`, { body: spec })).status).toBe(204);
    expect((await call(agent, "GET", `${emu.baseUrl}/_emulator/tenants/${DEMO.fresh.tenantId}`)).status).toBe(404);
    expect((await call(agent, "GET", `${emu.baseUrl}/_emulator/tenants/${DEMO.healthy.tenantId}`)).status).toBe(200);
  });
});

describe("Graph identity throttle", () => {
  it("refuses writes beyond the scaled per app+tenant quota and refills on the virtual clock", () => {
    const clock = new VirtualClock(0, () => 0, 0);
    const throttle = new IdentityThrottle(clock, () => "S");
    throttle.configure({ enabled: true, scale: 0.001 }); // 3 writes per 150 s per app+tenant
    const decisions = [1, 2, 3, 4].map(() => throttle.charge("app", "tenant", 1, true));
    expect(decisions.map((d) => d.ok)).toEqual([true, true, true, false]);
    const refused = decisions[3];
    expect(refused?.ok === false && refused.information).toBe("WriteLimitExceeded");
    expect(refused?.ok === false && refused.scope).toBe("Tenant_Application/ReadWrite/app/tenant");
    expect(refused?.ok === false && refused.retryAfterSeconds).toBe(50);
    expect(decisions[2]?.ok === true && decisions[2].limitPercentage).toBe(1);
    expect(throttle.charge("app", "other-tenant", 1, true).ok).toBe(true);
    clock.advance(50_000);
    expect(throttle.charge("app", "tenant", 1, true).ok).toBe(true);
  });

  it("only reports the cost when disabled", () => {
    const throttle = new IdentityThrottle(new VirtualClock(0, () => 0, 0), () => "S");
    const all = Array.from({ length: 5000 }, () => throttle.charge("app", "tenant", 2, true));
    expect(all.every((d) => d.ok && d.resourceUnits === 2 && d.limitPercentage === null)).toBe(true);
  });
});
