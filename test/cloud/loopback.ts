/**
 * A scripted loopback HTTP server for client tests: each incoming request is answered by the
 * next handler in line (the last one repeats), and every request is recorded.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { AddressInfo, Socket } from "node:net";

export interface Recorded {
  readonly method: string;
  readonly url: string;
  readonly headers: IncomingMessage["headers"];
  readonly body: string;
}

export type Script = (req: Recorded, res: ServerResponse) => void;

export interface Loopback {
  readonly url: string;
  readonly requests: Recorded[];
  close(): Promise<void>;
}

export async function startLoopback(script: Script | readonly Script[]): Promise<Loopback> {
  const steps = Array.isArray(script) ? script : [script as Script];
  const requests: Recorded[] = [];
  const sockets = new Set<Socket>();
  const server: Server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on("data", (c: Buffer) => chunks.push(c));
    req.on("end", () => {
      const recorded = { method: req.method ?? "", url: req.url ?? "", headers: req.headers, body: Buffer.concat(chunks).toString("utf8") };
      const step = steps[Math.min(requests.length, steps.length - 1)] as Script;
      requests.push(recorded);
      step(recorded, res);
    });
  });
  server.on("connection", (s) => {
    sockets.add(s);
    s.on("close", () => sockets.delete(s));
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    requests,
    close: () =>
      new Promise<void>((resolve) => {
        for (const s of sockets) s.destroy();
        server.close(() => resolve());
      }),
  };
}

/** Answers JSON with a status and optional headers. */
export function json(status: number, body: unknown, headers: Record<string, string> = {}): Script {
  return (_req, res) => {
    res.writeHead(status, { "content-type": "application/json", ...headers });
    res.end(JSON.stringify(body));
  };
}

/** Closes the connection without answering. */
export const drop: Script = (_req, res) => {
  res.socket?.destroy();
};

/** Never answers (until the server closes). */
export const stall: Script = () => undefined;

/** A sleep that records the waits and returns at once; a clock that moves with it. */
export function fakeTime(start = 1_700_000_000_000): { clock: () => number; sleep: (ms: number) => Promise<void>; waits: number[] } {
  let now = start;
  const waits: number[] = [];
  return {
    clock: () => now,
    sleep: (ms: number) => {
      waits.push(ms);
      now += ms;
      return Promise.resolve();
    },
    waits,
  };
}
