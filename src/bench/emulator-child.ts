/**
 * The benchmark's handle on an emulator running in a child process (emulator-process.ts): its
 * base URL and certificate, its virtual clock as seen from this process, its processor time, and
 * its control API (request counters).
 */
import { spawn, type ChildProcessWithoutNullStreams } from "node:child_process";
import { join } from "node:path";
import { createInterface } from "node:readline";
import { Agent, request } from "undici";
import type { EmulatorProcessOptions, EmulatorProcessReady } from "./emulator-process";

/** The emulator's per-(service, tenant, method, path) counters, as its control API returns them. */
export interface EmulatorRequestCounts {
  readonly total: number;
  readonly byService: Record<string, number>;
  readonly counts: readonly EmulatorRequestCount[];
  /** `$batch` items, counted apart from the requests that carried them. */
  readonly inner: { readonly total: number; readonly counts: readonly EmulatorRequestCount[] };
}

export interface EmulatorRequestCount {
  readonly service: string;
  readonly tenantId: string | null;
  readonly method: string;
  readonly path: string;
  readonly count: number;
}

export interface EmulatorChild {
  readonly baseUrl: string;
  readonly caCertificatePem: string;
  /** Trusts the child's certificate; close it with stop(). */
  readonly agent: Agent;
  readonly clockSpeed: number;
  /** The emulator's virtual time now, computed here from its anchor (no request). */
  virtualNow(): number;
  /** Processor time the child has used so far, in ms. */
  cpuMs(): Promise<number>;
  requests(): Promise<EmulatorRequestCounts>;
  resetRequests(): Promise<void>;
  stop(): Promise<void>;
}

const PROCESS_SCRIPT = join(__dirname, "emulator-process.js");

/** Starts the emulator child and waits until it listens. */
export async function startEmulatorChild(options: EmulatorProcessOptions): Promise<EmulatorChild> {
  const child = spawn(process.execPath, [PROCESS_SCRIPT, JSON.stringify(options)], { stdio: ["pipe", "pipe", "pipe"] });
  let stderr = "";
  child.stderr.on("data", (chunk: Buffer) => void (stderr += chunk.toString("utf8")));
  const lines = lineQueue(child);
  const exited = new Promise<number | null>((resolve) => child.once("exit", (code) => resolve(code)));

  let ready: EmulatorProcessReady;
  try {
    ready = JSON.parse(await lines.next()) as EmulatorProcessReady;
  } catch (error) {
    child.kill();
    throw new Error(`The emulator child process did not start: ${stderr.trim() || (error as Error).message}`);
  }
  const agent = new Agent({ connect: { ca: ready.caCertificatePem } });
  const control = async <T>(method: "GET" | "DELETE", route: string): Promise<T> => {
    const res = await request(`${ready.baseUrl}/_emulator${route}`, { method, dispatcher: agent });
    const text = await res.body.text();
    if (res.statusCode >= 300) throw new Error(`Emulator control ${method} ${route} answered ${res.statusCode}: ${text}`);
    return (text === "" ? undefined : JSON.parse(text)) as T;
  };

  return {
    baseUrl: ready.baseUrl,
    caCertificatePem: ready.caCertificatePem,
    agent,
    clockSpeed: ready.clockSpeed,
    virtualNow: () => Math.floor(ready.virtualNow + (Date.now() - ready.realNow) * ready.clockSpeed),
    cpuMs: async () => {
      child.stdin.write("cpu\n");
      return (JSON.parse(await lines.next()) as { cpuMs: number }).cpuMs;
    },
    requests: () => control<EmulatorRequestCounts>("GET", "/requests"),
    resetRequests: () => control<undefined>("DELETE", "/requests"),
    stop: async () => {
      await agent.close();
      child.stdin.end();
      const code = await exited;
      if (code !== 0) throw new Error(`The emulator child process ended with code ${code}: ${stderr.trim()}`);
    },
  };
}

/** The child's stdout as lines, one at a time; rejects when the child ends first. */
function lineQueue(child: ChildProcessWithoutNullStreams): { next(): Promise<string> } {
  const buffered: string[] = [];
  const waiting: { resolve: (line: string) => void; reject: (error: Error) => void }[] = [];
  let closed = false;
  const reader = createInterface({ input: child.stdout });
  reader.on("line", (line) => {
    const waiter = waiting.shift();
    if (waiter) waiter.resolve(line);
    else buffered.push(line);
  });
  reader.on("close", () => {
    closed = true;
    for (const waiter of waiting.splice(0)) waiter.reject(new Error("the child process closed its output"));
  });
  return {
    next: () => {
      const line = buffered.shift();
      if (line !== undefined) return Promise.resolve(line);
      if (closed) return Promise.reject(new Error("the child process closed its output"));
      return new Promise((resolve, reject) => waiting.push({ resolve, reject }));
    },
  };
}
