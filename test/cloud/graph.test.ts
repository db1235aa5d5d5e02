import { GraphClient, GraphError, isAlreadyExists, isNotFound, type BatchRequest } from "../../src/cloud/graph";
import { HttpClient } from "../../src/cloud/http";
import { SecretRedactor } from "../../src/cloud/secrets";
import { fakeTime, json, startLoopback, type Loopback, type Script } from "./loopback";

interface WireBatch {
  requests: { id: string; method: string; url: string; dependsOn?: string[]; headers?: Record<string, string>; body?: unknown }[];
}

/** A $batch server: `decide` answers each inner request; responses come back in reverse order. */
function batchServer(
  decide: (item: WireBatch["requests"][number], call: number) => { status: number; headers?: Record<string, string>; body?: unknown },
): Script {
  let call = 0;
  return (req, res) => {
    call++;
    const batch = JSON.parse(req.body) as WireBatch;
    const responses = batch.requests.map((r) => ({ id: r.id, ...decide(r, call) })).reverse();
    res.writeHead(200, { "content-type": "application/json" });
    res.end(JSON.stringify({ responses }));
  };
}

function client(server: Loopback, time = fakeTime(), tokens: boolean[] = []) {
  const http = new HttpClient({ clock: time.clock, sleep: time.sleep, random: () => 0.5 });
  return new GraphClient({
    http,
    baseUrl: server.url,
    tenantId: "11111111-1111-4111-8111-111111111111",
    token: ({ fresh }) => {
      tokens.push(fresh);
      return Promise.resolve(fresh ? "fresh-token-value" : "cached-token-value");
    },
  });
}

const get = (id: string, url = `/servicePrincipals/${id}`): BatchRequest => ({ id, method: "GET", url });

describe("GraphClient.batch", () => {
  let server: Loopback | undefined;
  afterEach(async () => {
    await server?.close();
    server = undefined;
  });

  it("chunks by 20 and correlates out-of-order responses by id", async () => {
    server = await startLoopback(batchServer((r) => ({ status: 200, body: { echo: r.url } })));
    const requests = Array.from({ length: 45 }, (_, i) => get(`r${i}`));
    const responses = await client(server).batch(requests);
    expect(server.requests).toHaveLength(3);
    expect(server.requests.map((r) => (JSON.parse(r.body) as WireBatch).requests.length)).toEqual([20, 20, 5]);
    expect(responses.map((r) => r.id)).toEqual(requests.map((r) => r.id));
    expect(responses.map((r) => (r.body as { echo: string }).echo)).toEqual(requests.map((r) => r.url));
    expect(server.requests[0]?.url).toBe("/v1.0/$batch");
  });

  it("retries only the throttled items, in a new batch, after the longest inner Retry-After", async () => {
    server = await startLoopback(
      batchServer((r, call) => {
        if (call === 1 && r.id === "b")
          return {
            status: 429,
            headers: { "Retry-After": "1.5" },
            body: { error: { code: "TooManyRequests", message: "Please retry again later." } },
          };
        if (call === 1 && r.id === "c") return { status: 503, headers: { "retry-after": "0.249" } };
        return { status: 200, body: { ok: r.id } };
      }),
    );
    const time = fakeTime();
    const responses = await client(server, time).batch([get("a"), get("b"), get("c"), get("d")]);
    expect(responses.map((r) => r.status)).toEqual([200, 200, 200, 200]);
    expect(time.waits).toEqual([1500]);
    expect(server.requests).toHaveLength(2);
    const second = JSON.parse(server.requests[1]?.body ?? "") as WireBatch;
    expect(second.requests.map((r) => r.id)).toEqual(["b", "c"]);
  });

  it("retries a 424 whose throttled dependency is retried, and drops completed dependencies", async () => {
    server = await startLoopback(
      batchServer((r, call) => {
        if (call === 1 && r.id === "2") return { status: 429, headers: { "retry-after": "2" } };
        if (call === 1 && r.id === "3") return { status: 424 };
        return { status: 201, body: {} };
      }),
    );
    const time = fakeTime();
    const post = (id: string, dependsOn?: string[]): BatchRequest => ({
      id,
      method: "POST",
      url: "/servicePrincipals/x/appRoleAssignments",
      body: { n: id },
      ...(dependsOn ? { dependsOn } : {}),
    });
    const responses = await client(server, time).batch([post("1"), post("2", ["1"]), post("3", ["2"])]);
    expect(responses.map((r) => r.status)).toEqual([201, 201, 201]);
    const first = JSON.parse(server.requests[0]?.body ?? "") as WireBatch;
    expect(first.requests[0]?.headers).toEqual({ "Content-Type": "application/json" });
    const second = JSON.parse(server.requests[1]?.body ?? "") as WireBatch;
    expect(second.requests.map((r) => [r.id, r.dependsOn ?? []])).toEqual([
      ["2", []],
      ["3", ["2"]],
    ]);
  });

  it("gives up after the bounded rounds and reports the item as still throttled", async () => {
    server = await startLoopback(batchServer((r) => (r.id === "x" ? { status: 429 } : { status: 200 })));
    const time = fakeTime();
    // The run's one retry policy bounds $batch items too: three sends, two retries.
    const http = new HttpClient({ clock: time.clock, sleep: time.sleep, random: () => 0.5, retry: { baseDelayMs: 1000, maxAttempts: 3 } });
    const graph = new GraphClient({ http, baseUrl: server.url, tenantId: "t", token: () => Promise.resolve("tok-en-value") });
    const responses = await graph.batch([get("x"), get("y")]);
    expect(responses.map((r) => r.status)).toEqual([429, 200]);
    expect(server.requests).toHaveLength(3);
    // No Retry-After: backoff with jitter, 0.5 of 1000 then of 2000.
    expect(time.waits).toEqual([500, 1000]);
  });

  it("refuses duplicate ids", async () => {
    server = await startLoopback(json(200, { responses: [] }));
    await expect(client(server).batch([get("a"), get("a")])).rejects.toThrow(/unique/);
    expect(server.requests).toHaveLength(0);
  });
});

describe("GraphClient single requests", () => {
  let server: Loopback | undefined;
  afterEach(async () => {
    await server?.close();
    server = undefined;
  });

  it("follows @odata.nextLink verbatim", async () => {
    let base = "";
    server = await startLoopback([
      (_req, res) => {
        res.writeHead(200, { "content-type": "application/json" });
        res.end(JSON.stringify({ value: [1, 2], "@odata.nextLink": `${base}/v1.0/servicePrincipals?$skiptoken=abc%27def` }));
      },
      json(200, { value: [3] }),
    ]);
    base = server.url;
    const items = await client(server).list<number>("/servicePrincipals?$top=2");
    expect(items).toEqual([1, 2, 3]);
    expect(server.requests.map((r) => r.url)).toEqual(["/v1.0/servicePrincipals?$top=2", "/v1.0/servicePrincipals?$skiptoken=abc%27def"]);
  });

  it("turns Graph's error envelope into a GraphError without the token", async () => {
    server = await startLoopback(
      json(
        409,
        { error: { code: "Request_MultipleObjectsWithSameKeyValue", message: "Permission entry already exists." } },
        { "request-id": "req-1" },
      ),
    );
    const err = (await client(server)
      .post("/oauth2PermissionGrants", {})
      .catch((e: unknown) => e)) as GraphError;
    expect(err).toBeInstanceOf(GraphError);
    expect(err.status).toBe(409);
    expect(err.code).toBe("Request_MultipleObjectsWithSameKeyValue");
    expect(err.requestId).toBe("req-1");
    expect(isAlreadyExists(err)).toBe(true);
    expect(isNotFound(err)).toBe(false);
    expect(err.message).not.toContain("cached-token-value");
    expect(server.requests[0]?.headers.authorization).toBe("Bearer cached-token-value");
  });

  it("recognises duplicates by message whatever the status", async () => {
    server = await startLoopback(
      json(400, { error: { code: "Request_BadRequest", message: "Permission being assigned already exists on the object" } }),
    );
    const err = await client(server)
      .post("/servicePrincipals/x/appRoleAssignments", {})
      .catch((e: unknown) => e);
    expect(isAlreadyExists(err)).toBe(true);
  });

  it("asks for a fresh token once after a 401", async () => {
    server = await startLoopback([
      json(401, { error: { code: "InvalidAuthenticationToken", message: "expired" } }),
      json(200, { id: "sp" }),
    ]);
    const tokens: boolean[] = [];
    const sp = await client(server, fakeTime(), tokens).get<{ id: string }>("/servicePrincipals/sp");
    expect(sp.id).toBe("sp");
    expect(tokens).toEqual([false, true]);
    expect(server.requests[1]?.headers.authorization).toBe("Bearer fresh-token-value");
  });

  it("turns a success answer that is not JSON into a GraphError naming the request, secrets masked", async () => {
    const redactor = new SecretRedactor();
    redactor.register("super-secret-client-value");
    server = await startLoopback((_req, res) => {
      res.writeHead(200, { "content-type": "text/html" });
      res.end("<html>Sign in to the proxy: super-secret-client-value</html>");
    });
    const time = fakeTime();
    const graph = new GraphClient({
      http: new HttpClient({ redactor, clock: time.clock, sleep: time.sleep }),
      baseUrl: server.url,
      tenantId: "t",
      token: () => Promise.resolve("t0ken-value"),
    });
    const err = (await graph.get("/servicePrincipals?$top=1").catch((e: unknown) => e)) as GraphError;
    expect(err).toBeInstanceOf(GraphError);
    expect(err.status).toBe(200);
    expect(err.request).toBe("GET /servicePrincipals");
    expect(err.message).toContain("Sign in to the proxy: ***");
    expect(err.message).not.toContain("super-secret-client-value");
  });

  it("masks registered secrets a server echoes in its error message", async () => {
    const redactor = new SecretRedactor();
    redactor.register("super-secret-client-value");
    server = await startLoopback(json(400, { error: { code: "BadRequest", message: "bad value super-secret-client-value" } }));
    const time = fakeTime();
    const graph = new GraphClient({
      http: new HttpClient({ redactor, clock: time.clock, sleep: time.sleep }),
      baseUrl: server.url,
      tenantId: "t",
      token: () => Promise.resolve("t0ken-value"),
    });
    const err = (await graph.get("/x").catch((e: unknown) => e)) as GraphError;
    expect(err.message).toContain("bad value ***");
    expect(err.message).not.toContain("super-secret-client-value");
  });
});
