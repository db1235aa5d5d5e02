import { HttpClient, HttpTransportError, parseRetryAfter, type RetryEvent } from "../../src/cloud/http";
import { drop, fakeTime, json, stall, startLoopback, type Loopback } from "./loopback";

describe("HttpClient retries", () => {
  let server: Loopback | undefined;
  afterEach(async () => {
    await server?.close();
    server = undefined;
  });

  it("honours a fractional Retry-After on 429 and then succeeds", async () => {
    server = await startLoopback([json(429, { error: { code: "TooManyRequests" } }, { "retry-after": "2.128" }), json(200, { ok: true })]);
    const time = fakeTime();
    const events: RetryEvent[] = [];
    const http = new HttpClient({ clock: time.clock, sleep: time.sleep, onRetry: (e) => events.push(e) });
    const res = await http.send({ service: "graph", method: "GET", url: `${server.url}/v1.0/servicePrincipals?$filter=x` });
    expect(res.status).toBe(200);
    expect(res.attempts).toBe(2);
    expect(time.waits).toEqual([2128]);
    expect(events).toEqual([
      expect.objectContaining({
        attempt: 1,
        reason: "HTTP 429",
        delayMs: 2128,
        fromRetryAfter: true,
        url: `${server.url}/v1.0/servicePrincipals`,
      }),
    ]);
    expect(server.requests).toHaveLength(2);
  });

  it("backs off exponentially with full jitter when there is no Retry-After", async () => {
    server = await startLoopback([json(503, {}), json(504, {}), json(503, {}), json(200, {})]);
    const time = fakeTime();
    const http = new HttpClient({
      clock: time.clock,
      sleep: time.sleep,
      random: () => 0.5,
      retry: { baseDelayMs: 1000, maxDelayMs: 3000 },
    });
    const res = await http.send({ service: "graph", method: "GET", url: server.url });
    expect(res.status).toBe(200);
    // Ceilings 1000, 2000, 4000→capped 3000; half of each with random() = 0.5.
    expect(time.waits).toEqual([500, 1000, 1500]);
  });

  it("stops after maxAttempts and returns the last answer", async () => {
    server = await startLoopback(json(429, { error: { code: "TooManyRequests" } }, { "retry-after": "1" }));
    const time = fakeTime();
    const http = new HttpClient({ clock: time.clock, sleep: time.sleep, retry: { maxAttempts: 3 } });
    const res = await http.send({ service: "graph", method: "GET", url: server.url });
    expect(res.status).toBe(429);
    expect(res.attempts).toBe(3);
    expect(server.requests).toHaveLength(3);
    expect(time.waits).toEqual([1000, 1000]);
  });

  it("does not start a wait that would exceed the total time budget", async () => {
    server = await startLoopback(json(429, {}, { "retry-after": "120" }));
    const time = fakeTime();
    const http = new HttpClient({ clock: time.clock, sleep: time.sleep, retry: { maxTotalMs: 60_000 } });
    const res = await http.send({ service: "graph", method: "GET", url: server.url });
    expect(res.attempts).toBe(1);
    expect(time.waits).toEqual([]);
  });

  it("caps a long Retry-After", async () => {
    server = await startLoopback([json(503, {}, { "retry-after": "3600" }), json(200, {})]);
    const time = fakeTime();
    const http = new HttpClient({ clock: time.clock, sleep: time.sleep, retry: { maxRetryAfterMs: 180_000, maxTotalMs: 3_600_000 } });
    await http.send({ service: "graph", method: "GET", url: server.url });
    expect(time.waits).toEqual([180_000]);
  });

  it("does not retry other client errors, nor 500 unless asked", async () => {
    server = await startLoopback([json(500, {}), json(400, {}), json(500, {}), json(200, {})]);
    const time = fakeTime();
    const http = new HttpClient({ clock: time.clock, sleep: time.sleep, random: () => 0 });
    expect((await http.send({ service: "graph", method: "GET", url: server.url })).status).toBe(500);
    expect((await http.send({ service: "graph", method: "GET", url: server.url })).status).toBe(400);
    const retried = await http.send({ service: "graph", method: "POST", url: server.url, body: "{}", retryStatuses: new Set([500]) });
    expect(retried.status).toBe(200);
    expect(server.requests).toHaveLength(4);
  });

  it("recovers from a dropped connection", async () => {
    server = await startLoopback([drop, json(200, { ok: 1 })]);
    const time = fakeTime();
    const events: RetryEvent[] = [];
    const http = new HttpClient({ clock: time.clock, sleep: time.sleep, random: () => 0.25, onRetry: (e) => events.push(e) });
    const res = await http.send({ service: "graph", method: "POST", url: server.url, body: "{}" });
    expect(res.status).toBe(200);
    expect(res.attempts).toBe(2);
    expect(events[0]?.reason).toMatch(/^connection: /);
    expect(time.waits).toEqual([250]);
  });

  it("abandons a stalled response after the timeout and retries", async () => {
    server = await startLoopback([stall, json(200, { ok: 1 })]);
    const time = fakeTime();
    const http = new HttpClient({ clock: time.clock, sleep: time.sleep, random: () => 0, timeoutMs: 300 });
    const res = await http.send({ service: "graph", method: "GET", url: server.url });
    expect(res.status).toBe(200);
    expect(server.requests).toHaveLength(2);
  });

  it("measures the timeout with an injected timer instead of real time: a 60 s timeout costs no real minute", async () => {
    const stallBody: Parameters<typeof startLoopback>[0] = (_req, res) => {
      res.writeHead(200, { "content-type": "application/json" });
      res.write("{"); // headers and part of the body, then nothing
    };
    server = await startLoopback([stall, stallBody, json(200, { ok: 1 })]);
    const time = fakeTime();
    // A timer on a clock running 200 times real time: 60 s pass in 300 real ms.
    const armed: number[] = [];
    const timer = async (ms: number): Promise<void> => {
      armed.push(ms);
      await new Promise((resolve) => setTimeout(resolve, ms / 200));
    };
    const events: RetryEvent[] = [];
    const http = new HttpClient({ clock: time.clock, sleep: time.sleep, random: () => 0, timer, onRetry: (e) => events.push(e) });
    const started = Date.now();
    const res = await http.send({ service: "graph", method: "GET", url: server.url });
    expect(res.status).toBe(200);
    expect(server.requests).toHaveLength(3);
    expect(armed).toEqual([60_000, 60_000, 60_000]);
    expect(events.map((e) => e.reason)).toEqual([
      expect.stringMatching(/^timeout: .*no response within 60000 ms/),
      expect.stringMatching(/^timeout: /),
    ]);
    // The production default of undici's real-time timers would have waited 2 × 60 s.
    expect(Date.now() - started).toBeLessThan(30_000);
  });

  it("does not abort an answered request when the injected timer fires later", async () => {
    server = await startLoopback(json(200, { ok: 1 }));
    let fire: () => void = () => undefined;
    const timer = (): Promise<void> => new Promise((resolve) => (fire = resolve));
    const http = new HttpClient({ timer, timeoutMs: 5_000 });
    const res = await http.send({ service: "graph", method: "GET", url: server.url });
    fire();
    expect(res.status).toBe(200);
    expect(res.attempts).toBe(1);
  });

  it("throws a transport error when every attempt fails", async () => {
    server = await startLoopback(drop);
    const time = fakeTime();
    const http = new HttpClient({ clock: time.clock, sleep: time.sleep, random: () => 0, retry: { maxAttempts: 2 } });
    const failure = await http.send({ service: "graph", method: "GET", url: server.url }).catch((e: unknown) => e);
    expect(failure).toBeInstanceOf(HttpTransportError);
    expect((failure as HttpTransportError).kind).toBe("connection");
    expect((failure as HttpTransportError).attempts).toBe(2);
    expect(server.requests).toHaveLength(2);
  });
});

describe("parseRetryAfter", () => {
  it("reads float seconds and HTTP dates", () => {
    expect(parseRetryAfter("0.249", 0)).toBe(249);
    expect(parseRetryAfter("57", 0)).toBe(57_000);
    const now = Date.parse("2026-11-26T10:00:00Z");
    expect(parseRetryAfter("Thu, 26 Nov 2026 10:00:30 GMT", now)).toBe(30_000);
    expect(parseRetryAfter(undefined, now)).toBeNull();
    expect(parseRetryAfter("soon", now)).toBeNull();
  });

  it("refuses malformed values that Date.parse would read as a date in the past", () => {
    const now = Date.parse("2026-11-26T10:00:00Z");
    for (const junk of ["-1", ".5", "2 4", "1e3", "5s"]) expect(parseRetryAfter(junk, now)).toBeNull();
  });
});
