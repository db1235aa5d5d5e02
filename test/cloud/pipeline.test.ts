/**
 * The request pipeline's policies over a loopback server: request ids, counting, pacing,
 * redaction, and the one retry policy bounding `$batch` items as it bounds whole requests.
 */
import { GraphClient, GraphError, type BatchRequest } from "../../src/cloud/graph";
import { HttpClient, HttpTransportError } from "../../src/cloud/http";
import { PartnerCenterClient, PartnerCenterError } from "../../src/cloud/partner-center";
import { RequestCounter, composePipeline, redactionPolicy, type PipelinePolicy, type PipelineResponse } from "../../src/cloud/pipeline";
import { WriteBudget } from "../../src/cloud/rate-limit";
import { SecretRedactor } from "../../src/cloud/secrets";
import { fakeTime, json, startLoopback, type Loopback, type Script } from "./loopback";

const TENANT = "11111111-1111-4111-8111-111111111111";

interface WireBatch {
  requests: { id: string; method: string; url: string }[];
}

/** A $batch server: `decide` answers each inner request. */
function batchServer(decide: (id: string, call: number) => { status: number; headers?: Record<string, string>; body?: unknown }): Script {
  let call = 0;
  return (req, res) => {
    call++;
    const batch = JSON.parse(req.body) as WireBatch;
    res.writeHead(200, { "content-type": "application/json" });
    res.end(JSON.stringify({ responses: batch.requests.map((r) => ({ id: r.id, ...decide(r.id, call) })) }));
  };
}

const get = (id: string): BatchRequest => ({ id, method: "GET", url: `/servicePrincipals/${id}` });

describe("the request pipeline", () => {
  let server: Loopback | undefined;
  afterEach(async () => {
    await server?.close();
    server = undefined;
  });

  it("composes policies outermost first, each around the next", async () => {
    const seen: string[] = [];
    const policy = (name: string): PipelinePolicy => ({
      name,
      async sendRequest(request, next) {
        seen.push(`${name}>`);
        const response = await next(request);
        seen.push(`<${name}`);
        return response;
      },
    });
    const answer: PipelineResponse = { status: 204, headers: {}, body: "", attempts: 1, requestId: null };
    const send = composePipeline([policy("a"), policy("b")], () => {
      seen.push("transport");
      return Promise.resolve(answer);
    });
    expect(await send({ service: "graph", method: "GET", url: "https://example.invalid/" })).toBe(answer);
    expect(seen).toEqual(["a>", "b>", "transport", "<b", "<a"]);
  });

  it("sends one client-request-id per call, the same on every retry, and answers the service's request id", async () => {
    server = await startLoopback([
      json(503, {}, { "retry-after": "1" }),
      json(200, {}, { "request-id": "graph-said-this" }),
      json(200, {}),
    ]);
    const time = fakeTime();
    let n = 0;
    const http = new HttpClient({ clock: time.clock, sleep: time.sleep, newRequestId: () => `client-${++n}` });
    const first = await http.send({ service: "graph", method: "GET", url: server.url });
    expect(first.requestId).toBe("graph-said-this");
    expect(server.requests.map((r) => r.headers["client-request-id"])).toEqual(["client-1", "client-1"]);
    // No request id in the answer: the one sent is the one to quote.
    const second = await http.send({ service: "graph", method: "GET", url: server.url });
    expect(second.requestId).toBe("client-2");
  });

  it("counts every attempt on the wire, per service, in the run's counter and in the request's own", async () => {
    server = await startLoopback([json(429, {}, { "retry-after": "1" }), json(200, { value: [] }), json(201, {})]);
    const time = fakeTime();
    const http = new HttpClient({ clock: time.clock, sleep: time.sleep });
    const tenantCost = new RequestCounter();
    const graph = new GraphClient({
      http,
      baseUrl: server.url,
      tenantId: TENANT,
      token: () => Promise.resolve("graph-token-value"),
      counter: tenantCost,
    });
    await graph.get("/servicePrincipals");
    const pc = new PartnerCenterClient({ http, baseUrl: server.url, token: () => Promise.resolve("pc-token-value") });
    await pc.addConsent(TENANT, { applicationId: TENANT, grants: [] });
    expect(graph.requestCount).toBe(2);
    expect(pc.requestCount).toBe(1);
    expect(tenantCost).toMatchObject({ graph: 2, partnerCenter: 0, token: 0, throttled: 1 });
    expect(tenantCost.distinctTokens).toBe(1);
    expect(http.counter).toMatchObject({ graph: 2, partnerCenter: 1, token: 0 });
    // Counting is the pipeline's: a second client over it adds to the same run counter, nothing is rebuilt.
    const other = new GraphClient({ http, baseUrl: server.url, tenantId: TENANT, token: () => Promise.resolve("graph-token-value") });
    await other.post("/x", {});
    expect(other.requestCount).toBe(1);
    expect(http.counter.graph).toBe(3);
    expect(tenantCost.graph).toBe(2);
  });

  it("books Graph writes against the run's write budget once per request, not per retry, and a $batch by its write items", async () => {
    server = await startLoopback([
      json(200, {}),
      json(503, {}, { "retry-after": "1" }),
      json(201, {}),
      batchServer(() => ({ status: 204 })),
    ]);
    const time = fakeTime();
    const booked: { tenantId: string; writes: number }[] = [];
    const budget = new WriteBudget(undefined, time.clock, time.sleep);
    const take = budget.take.bind(budget);
    budget.take = async (request) => {
      booked.push({ ...request });
      await take(request);
    };
    const http = new HttpClient({ clock: time.clock, sleep: time.sleep, writeBudget: budget });
    const graph = new GraphClient({ http, baseUrl: server.url, tenantId: TENANT, token: () => Promise.resolve("graph-token-value") });
    await graph.get("/reads-are-not-booked");
    await graph.post("/servicePrincipals", {});
    expect(server.requests).toHaveLength(3);
    await graph.batch([get("r1"), { id: "w1", method: "DELETE", url: "/x/1" }, { id: "w2", method: "PATCH", url: "/x/2", body: {} }]);
    expect(booked).toEqual([
      { tenantId: TENANT, writes: 1 },
      { tenantId: TENANT, writes: 2 },
    ]);
  });

  it("masks the bearer token a server echoes in an error answer", async () => {
    const token = "bearer-token-the-server-echoes";
    server = await startLoopback(json(400, { error: { code: "BadRequest", message: `token ${token} is odd` } }));
    const time = fakeTime();
    const redactor = new SecretRedactor();
    const http = new HttpClient({ clock: time.clock, sleep: time.sleep, random: () => 0, redactor, retry: { maxAttempts: 1 } });
    const graph = new GraphClient({ http, baseUrl: server.url, tenantId: TENANT, token: () => Promise.resolve(token) });
    const err = (await graph.get("/x").catch((e: unknown) => e)) as GraphError;
    expect(err).toBeInstanceOf(GraphError);
    expect(err.message).toContain("token *** is odd");
    expect(err.detail).not.toContain(token);
    // The run's redactor learnt the token from the request: any later output masks it too.
    expect(redactor.redact(token)).toBe("***");
  });

  it("masks secrets in a transport failure's message, keeping its fields", async () => {
    const redactor = new SecretRedactor();
    redactor.register("a-registered-client-secret");
    const send = composePipeline([redactionPolicy(redactor)], () =>
      Promise.reject(
        new HttpTransportError("connect failed: proxy said a-registered-client-secret", "connection", 2, "partner-center", "id-1"),
      ),
    );
    const failure = (await send({ service: "partner-center", method: "POST", url: "https://example.invalid/" }).catch(
      (e: unknown) => e,
    )) as HttpTransportError;
    expect(failure).toBeInstanceOf(HttpTransportError);
    expect(failure.message).toBe("connect failed: proxy said ***");
    expect(failure.detail).toBe("connect failed: proxy said ***");
    expect(failure).toMatchObject({ service: "partner-center", kind: "connection", attempts: 2, requestId: "id-1", status: null });
  });

  it("masks a registered secret in Partner Center's error description", async () => {
    server = await startLoopback(json(400, { code: "600000", description: "bad grant for super-secret-client-value" }));
    const redactor = new SecretRedactor();
    redactor.register("super-secret-client-value");
    const time = fakeTime();
    const pc = new PartnerCenterClient({
      http: new HttpClient({ clock: time.clock, sleep: time.sleep, redactor }),
      baseUrl: server.url,
      token: () => Promise.resolve("pc-token-value"),
    });
    const err = (await pc.addConsent(TENANT, { applicationId: TENANT, grants: [] }).catch((e: unknown) => e)) as PartnerCenterError;
    expect(err).toBeInstanceOf(PartnerCenterError);
    expect(err.message).toContain("bad grant for ***");
    expect(err.detail).toBe("bad grant for ***");
  });
});

describe("$batch items under the one retry policy", () => {
  let server: Loopback | undefined;
  afterEach(async () => {
    await server?.close();
    server = undefined;
  });

  it("honours each item's own Retry-After: the longest among the items retried, capped by maxRetryAfterMs", async () => {
    server = await startLoopback(
      batchServer((id, call) => {
        if (call === 1 && id === "a") return { status: 429, headers: { "Retry-After": "3" } };
        if (call === 1 && id === "b") return { status: 503, headers: { "Retry-After": "7" } };
        if (call === 2 && id === "a") return { status: 429, headers: { "Retry-After": "900" } };
        return { status: 200, body: {} };
      }),
    );
    const time = fakeTime();
    const http = new HttpClient({ clock: time.clock, sleep: time.sleep, random: () => 0.5, retry: { maxRetryAfterMs: 60_000 } });
    const graph = new GraphClient({ http, baseUrl: server.url, tenantId: TENANT, token: () => Promise.resolve("graph-token-value") });
    const responses = await graph.batch([get("a"), get("b"), get("c")]);
    expect(responses.map((r) => r.status)).toEqual([200, 200, 200]);
    expect(time.waits).toEqual([7_000, 60_000]);
    expect(server.requests.map((r) => (JSON.parse(r.body) as WireBatch).requests.map((i) => i.id))).toEqual([
      ["a", "b", "c"],
      ["a", "b"],
      ["a"],
    ]);
  });

  it("starts no wait past the policy's total time, even when attempts remain", async () => {
    server = await startLoopback(batchServer((id) => (id === "x" ? { status: 429, headers: { "retry-after": "40" } } : { status: 200 })));
    const time = fakeTime();
    const http = new HttpClient({ clock: time.clock, sleep: time.sleep, retry: { maxAttempts: 10, maxTotalMs: 100_000 } });
    const graph = new GraphClient({ http, baseUrl: server.url, tenantId: TENANT, token: () => Promise.resolve("graph-token-value") });
    const responses = await graph.batch([get("x"), get("y")]);
    expect(responses.map((r) => r.status)).toEqual([429, 200]);
    // 40 s, 80 s; a third wait would end at 120 s, past the 100 s budget.
    expect(time.waits).toEqual([40_000, 40_000]);
    expect(server.requests).toHaveLength(3);
  });

  it("is bounded by default: six sends of an item that stays throttled, then its last answer", async () => {
    server = await startLoopback(batchServer(() => ({ status: 429 })));
    const time = fakeTime();
    const http = new HttpClient({ clock: time.clock, sleep: time.sleep, random: () => 0 });
    const graph = new GraphClient({ http, baseUrl: server.url, tenantId: TENANT, token: () => Promise.resolve("graph-token-value") });
    const [only] = await graph.batch([get("x")]);
    expect(only?.status).toBe(429);
    expect(server.requests).toHaveLength(http.policy.maxAttempts);
    expect(http.policy.maxAttempts).toBe(6);
  });
});
