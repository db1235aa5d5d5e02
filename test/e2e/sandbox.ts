/**
 * The end-to-end test bench: the emulator on loopback HTTPS with a frozen virtual clock, the
 * engine pointed at it by base URL and CA trust alone, and the emulator's control API for
 * snapshots and request counters. The engine's sleeps move the emulator's clock, so waits for
 * replication and Retry-After take no real time. Microsoft's replication lag and latency are on by
 * default (REALISTIC_DELAYS; a test's fault profile adds to them): every answer takes virtual time,
 * and what is written is read back only after the lag, which the engine's polling must wait out.
 */
import path from "node:path";
import type { Agent } from "undici";
import { runEngine, streamEngine, type EngineDeps, type RunOutcome, type StreamedOutcome } from "../../src/run/engine";
import type { RunSink } from "../../src/run/fleet-stream";
import type { RunRequest } from "../../src/run/run-request";
import { sandboxEndpoints } from "../../src/cloud/endpoints";
import {
  DEMO,
  DEMO_CREDENTIALS,
  demoWorld,
  REALISTIC_DELAYS,
  startEmulator,
  type FaultProfile,
  type RunningEmulator,
  type TenantSnapshot,
  type WorldSpec,
} from "../../src/emulator";
import type { RequestCount } from "../../src/emulator";
import { call, trustingAgent } from "../helpers/emulator-client";

export const STACKS = path.resolve(__dirname, "../../stacks");

export interface Sandbox {
  readonly emulator: RunningEmulator;
  /** Every sleep the engine asked for, in virtual ms. */
  readonly slept: number[];
  run(request: Partial<RunRequest>): Promise<RunOutcome>;
  /** As `run`, each tenant handed to `sink` as it is done. */
  stream(request: Partial<RunRequest>, sink: RunSink): Promise<StreamedOutcome>;
  snapshot(tenantId: string): Promise<TenantSnapshot>;
  /** Service requests counted since the last reset (control calls excluded). */
  requests(): Promise<{ total: number; byService: Record<string, number>; counts: RequestCount[] }>;
  resetRequests(): Promise<void>;
  faults(profile: FaultProfile): Promise<void>;
  loadWorld(spec: WorldSpec): Promise<void>;
  /** Any control API call (`route` under /_emulator); throws on an error status. */
  control<T = unknown>(method: string, route: string, body?: unknown): Promise<T>;
  stop(): Promise<void>;
}

export interface SandboxOptions {
  /**
   * Request timeouts measured on the emulator's clock (which only the engine's sleeps, requests
   * held for latency and the test move) instead of real time: a stall then costs a clock jump, not a real minute.
   */
  readonly virtualTimeouts?: boolean;
}

export async function startSandbox(world?: WorldSpec, options: SandboxOptions = {}): Promise<Sandbox> {
  const emulator = await startEmulator({ clockSpeed: 0, faults: REALISTIC_DELAYS, ...(world ? { world } : {}) });
  // Frozen, yet a request held for latency moves time on by itself.
  emulator.clock.jumpToSleepers = true;
  const agent: Agent = trustingAgent(emulator.caCertificatePem);
  const control = async <T>(method: string, route: string, body?: unknown): Promise<T> => {
    const answer = await call<T>(agent, method, `${emulator.baseUrl}/_emulator${route}`, body === undefined ? {} : { body });
    if (answer.status >= 300) throw new Error(`control ${method} ${route}: HTTP ${answer.status} ${JSON.stringify(answer.body)}`);
    return answer.body;
  };
  const slept: number[] = [];
  const deps: EngineDeps = {
    clock: () => emulator.clock.now(),
    sleep: async (ms) => {
      slept.push(ms);
      await control("POST", "/clock", { advanceMs: Math.max(0, Math.ceil(ms)) });
    },
    random: () => 0.5,
    dispatcher: agent,
    ...(options.virtualTimeouts ? { timer: (ms: number) => emulator.clock.sleep(ms, { passive: true }) } : {}),
  };
  return {
    emulator,
    slept,
    run: (request) =>
      runEngine(
        {
          mode: "refresh",
          stacksDir: STACKS,
          endpoints: sandboxEndpoints(emulator.baseUrl),
          credential: { kind: "secret", clientSecret: DEMO_CREDENTIALS.clientSecret },
          refreshToken: DEMO_CREDENTIALS.refreshToken,
          ...request,
        },
        deps,
      ),
    stream: (request, sink) =>
      streamEngine(
        {
          mode: "refresh",
          stacksDir: STACKS,
          endpoints: sandboxEndpoints(emulator.baseUrl),
          credential: { kind: "secret", clientSecret: DEMO_CREDENTIALS.clientSecret },
          refreshToken: DEMO_CREDENTIALS.refreshToken,
          ...request,
        },
        sink,
        deps,
      ),
    snapshot: (tenantId) => control<TenantSnapshot>("GET", `/tenants/${tenantId}`),
    requests: () => control("GET", "/requests"),
    resetRequests: async () => {
      await control("DELETE", "/requests");
    },
    faults: async (profile) => {
      await control("PUT", "/faults", { ...REALISTIC_DELAYS, ...profile });
    },
    loadWorld: async (spec) => {
      await control("PUT", "/world", spec);
    },
    control,
    stop: async () => {
      await agent.close();
      await emulator.stop();
    },
  };
}

/** Requests of one service, optionally only writes (POST, PATCH, DELETE, PUT). */
export function countOf(counts: readonly RequestCount[], service: string, writesOnly = false): number {
  return counts
    .filter((c) => c.service === service && (!writesOnly || ["POST", "PATCH", "DELETE", "PUT"].includes(c.method.toUpperCase())))
    .reduce((sum, c) => sum + c.count, 0);
}

/** What CIPP-SAM holds in a tenant snapshot, by name: app roles and AllPrincipals grants per resource appId. */
export function heldByName(snapshot: TenantSnapshot, clientAppId: string): { appRoles: string[]; grants: string[] } {
  const client = snapshot.servicePrincipals.find((sp) => sp.appId === clientAppId);
  if (!client) return { appRoles: [], grants: [] };
  return {
    appRoles: snapshot.appRoleAssignments
      .filter((a) => a.principalId === client.id)
      .map((a) => `${a.resourceAppId}|${a.appRoleValue ?? a.appRoleId}`)
      .sort(),
    grants: snapshot.grants
      .filter((g) => g.clientId === client.id && g.consentType === "AllPrincipals")
      .map((g) => `${g.resourceAppId}|${g.scope.split(" ").filter(Boolean).sort().join(" ")}`)
      .sort(),
  };
}

/** The demo world with the fresh tenant holding Microsoft Graph's service principal only: the other resources must be created. */
export function worldWithoutResourcesInFreshTenant(): WorldSpec {
  const world = demoWorld();
  return {
    ...world,
    tenants: world.tenants.map((t) =>
      t.tenantId === DEMO.fresh.tenantId
        ? { ...t, servicePrincipals: (t.servicePrincipals ?? []).filter((sp) => sp.appId === "00000003-0000-0000-c000-000000000000") }
        : t,
    ),
  };
}
