import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { Agent, request } from "undici";
import { wireTally } from "../../src/bench/wire-tally";

/** Answers $batch with one response per item, 429 for items whose id starts with "t"; 429 for /throttled; 200 otherwise. */
function batchServer(): Server {
  return createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on("data", (c: Buffer) => chunks.push(c));
    req.on("end", () => {
      if (req.url === "/throttled") {
        res.writeHead(429, { "retry-after": "1", "content-type": "application/json" });
        res.end(JSON.stringify({ error: { code: "TooManyRequests" } }));
        return;
      }
      if (req.url === "/v1.0/$batch") {
        const body = JSON.parse(Buffer.concat(chunks).toString("utf8")) as { requests: { id: string }[] };
        const responses = body.requests.map((r) => ({ id: r.id, status: r.id.startsWith("t") ? 429 : 201, body: {} }));
        res.writeHead(200, { "content-type": "application/json" });
        res.end(JSON.stringify({ responses }));
        return;
      }
      res.writeHead(200, { "content-type": "application/json" });
      res.end("{}");
    });
  });
}

let server: Server;
let base: string;
let agent: Agent;

beforeAll(async () => {
  server = batchServer();
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  agent = new Agent();
});
afterAll(async () => {
  await agent.close();
  await new Promise<void>((resolve) => server.close(() => resolve()));
});

const batch = (items: { id: string; method: string }[]) => ({
  requests: items.map((i) => ({ ...i, url: "/servicePrincipals" })),
});

describe("wireTally", () => {
  it("counts write and read items of $batch requests, and 429 items in their answers, leaving the answer intact", async () => {
    const tally = wireTally(agent);
    const sent = batch([
      { id: "1", method: "POST" },
      { id: "t2", method: "PATCH" },
      { id: "3", method: "GET" },
      { id: "t4", method: "delete" },
    ]);

    const res = await request(`${base}/v1.0/$batch`, { method: "POST", body: JSON.stringify(sent), dispatcher: tally.dispatcher });
    const answer = (await res.body.json()) as { responses: { id: string; status: number }[] };

    expect(answer.responses.map((r) => `${r.id}:${r.status}`)).toEqual(["1:201", "t2:429", "3:201", "t4:429"]);
    expect(tally.counts()).toEqual({
      requests: 1,
      tokenRequests: 0,
      directWrites: 0,
      peakInFlight: 1,
      batchWrites: 3,
      batchReads: 1,
      throttledResponses: 0,
      throttledBatchItems: 2,
    });
  });

  it("counts whole 429 answers, ignores other requests, and starts again from zero after reset", async () => {
    const tally = wireTally(agent);

    const throttled = await request(`${base}/throttled`, { method: "GET", dispatcher: tally.dispatcher });
    expect(throttled.statusCode).toBe(429);
    await throttled.body.text();
    const plain = await request(`${base}/v1.0/servicePrincipals`, { method: "POST", body: "{}", dispatcher: tally.dispatcher });
    await plain.body.text();

    expect(tally.counts()).toEqual({
      requests: 2,
      tokenRequests: 0,
      directWrites: 1,
      peakInFlight: 1,
      batchWrites: 0,
      batchReads: 0,
      throttledResponses: 1,
      throttledBatchItems: 0,
    });
    tally.reset();
    expect(tally.counts()).toEqual({
      requests: 0,
      tokenRequests: 0,
      directWrites: 0,
      peakInFlight: 0,
      batchWrites: 0,
      batchReads: 0,
      throttledResponses: 0,
      throttledBatchItems: 0,
    });
  });

  it("counts token requests apart from writes, and the most requests in flight at once", async () => {
    const tally = wireTally(agent);
    const token = () =>
      request(`${base}/tenant/oauth2/v2.0/token`, { method: "POST", body: "grant_type=refresh_token", dispatcher: tally.dispatcher });
    const answers = await Promise.all([
      token(),
      token(),
      request(`${base}/v1.0/oauth2PermissionGrants/g1`, { method: "PATCH", body: "{}", dispatcher: tally.dispatcher }),
    ]);
    for (const answer of answers) await answer.body.text();
    const read = await request(`${base}/v1.0/servicePrincipals`, { method: "GET", dispatcher: tally.dispatcher });
    await read.body.text();
    const discovery = await request(`${base}/common/discovery/instance?api-version=1.1`, { method: "GET", dispatcher: tally.dispatcher });
    await discovery.body.text();

    expect(tally.counts()).toMatchObject({ requests: 5, tokenRequests: 3, directWrites: 1, peakInFlight: 3 });
  });
});
