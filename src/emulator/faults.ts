/**
 * Injected faults, aimed by rules: throttling, outages, dropped connections and stalls, decided
 * before a request is handled or after it was applied (the write happened, its answer was lost),
 * on whole requests or on single `$batch` items; plus replication lag on creates, updates and
 * deletes, and added latency. Everything is off by default.
 */
import type { Fault, FaultInjector, FaultRequest, ServiceName } from "./context";
import { canonicalGuid } from "./ids";

export type FaultKind = "throttle" | "unavailable" | "drop" | "stall" | "drop-after-apply" | "stall-after-apply";

/** The services a rule can name: the emulator's own names, or Microsoft's. */
export type FaultService = ServiceName | "entra" | "partner-center";

/** One rule of a fault profile. The first rule that matches and fires decides the fault. */
export interface FaultRule {
  readonly kind: FaultKind;
  /**
   * The tenant the request acts in: for Graph the access token's tenant (`tid`), for the token
   * endpoint the tenant in the path, for Partner Center the customer in the path. A tenant id or
   * default domain; all tenants when absent.
   */
  readonly tenant?: string;
  /** Which service; all services when absent. */
  readonly service?: FaultService;
  /** HTTP method or methods to match (case-insensitive); all when absent. */
  readonly method?: string | readonly string[];
  /** A regular expression the request path must match (a `$batch` item's path includes the version); all paths when absent. */
  readonly pathPattern?: string;
  /**
   * Whole requests ("outer"), `$batch` items ("inner") or both. Default: "both" for throttle and
   * unavailable, "outer" for the drop and stall kinds.
   */
  readonly scope?: "outer" | "inner" | "both";
  /** Fires on the nth matching request only (1 = the first). */
  readonly nth?: number;
  /** Fires on every nth matching request (the nth, the 2nth, ...). */
  readonly everyNth?: number;
  /** Fires with this probability (0..1) for each matching request that nth/everyNth let through. */
  readonly probability?: number;
  /** Fires at most this many times, then is spent. */
  readonly count?: number;
  /**
   * What nth, everyNth and count count: every matching request together ("rule", the default),
   * or each distinct request apart ("request": same service, tenant, method, path and body), so
   * that `count: 1` faults each write once and lets its retry through.
   */
  readonly countPer?: "rule" | "request";
  /** Seconds for Retry-After on throttle/unavailable (fractions allowed); null sends none. Default 1. */
  readonly retryAfterSeconds?: number | null;
  /** For the stall kinds: virtual ms after which the held connection is closed; held until the client gives up when absent. */
  readonly stallMs?: number;
}

/** Replication lag per kind of change; each falls back to `replicationLagMs`. */
export interface ReplicationLag {
  readonly create?: number;
  readonly update?: number;
  readonly delete?: number;
}

export interface FaultProfile {
  readonly rules?: readonly FaultRule[];
  /**
   * Virtual ms before a change reaches reads: a created object is not listed yet, an updated one
   * still reads as before, a deleted one is still listed. Writes always see the latest state.
   */
  readonly replicationLagMs?: number;
  /** Overrides `replicationLagMs` for one kind of change. */
  readonly replicationLag?: ReplicationLag;
  /**
   * Virtual ms added before each service response, on the emulator's clock: at speed 1 that is
   * real time; a frozen clock holds responses until it is advanced past them.
   */
  readonly latencyMs?: number;
  /**
   * Virtual ms added before each service response, drawn uniformly from [min, max] per request
   * (replaces `latencyMs`): a wire whose round trips vary like a real one's. Drawn from its own
   * generator, seeded by `seed`, so the same seed gives the same latencies and the same fault dice.
   */
  readonly latencyRangeMs?: { readonly min: number; readonly max: number };
  /** Seed for probabilistic rules and the latency range, so a run can be repeated. */
  readonly seed?: number;
}

export type ChangeKind = keyof ReplicationLag;

const KINDS: readonly FaultKind[] = ["throttle", "unavailable", "drop", "stall", "drop-after-apply", "stall-after-apply"];
const SERVICES: readonly FaultService[] = ["login", "graph", "partnerCenter", "control", "entra", "partner-center"];
const SERVICE_ALIASES: Readonly<Record<string, ServiceName>> = { entra: "login", "partner-center": "partnerCenter" };

/** Checks a profile received over the control API; returns the problems found. */
export function validateFaultProfile(value: unknown): string[] {
  if (typeof value !== "object" || value === null || Array.isArray(value)) return ["the fault profile must be a JSON object"];
  const p = value as Record<string, unknown>;
  const problems: string[] = [];
  const nonNegative = (v: unknown, name: string): void => {
    if (v !== undefined && (typeof v !== "number" || !(v >= 0))) problems.push(`${name} must be a number >= 0`);
  };
  const positiveInteger = (v: unknown, name: string): void => {
    if (v !== undefined && (!Number.isInteger(v) || (v as number) < 1)) problems.push(`${name} must be an integer >= 1`);
  };
  nonNegative(p.replicationLagMs, "replicationLagMs");
  nonNegative(p.latencyMs, "latencyMs");
  if (p.latencyRangeMs !== undefined) {
    const range = p.latencyRangeMs;
    if (typeof range !== "object" || range === null || Array.isArray(range)) problems.push("latencyRangeMs must be an object { min, max }");
    else if (!(
      "min" in range &&
      "max" in range &&
      typeof range.min === "number" &&
      range.min >= 0 &&
      typeof range.max === "number" &&
      range.max >= range.min
    )) {
      problems.push("latencyRangeMs needs numbers 0 <= min <= max");
    }
  }
  if (p.replicationLag !== undefined) {
    if (typeof p.replicationLag !== "object" || p.replicationLag === null || Array.isArray(p.replicationLag)) {
      problems.push("replicationLag must be an object { create?, update?, delete? }");
    } else {
      for (const [key, v] of Object.entries(p.replicationLag)) {
        if (!["create", "update", "delete"].includes(key)) problems.push(`replicationLag.${key} is not one of create, update, delete`);
        else nonNegative(v, `replicationLag.${key}`);
      }
    }
  }
  if (p.seed !== undefined && typeof p.seed !== "number") problems.push("seed must be a number");
  if (p.rules !== undefined && !Array.isArray(p.rules)) problems.push("rules must be an array");
  (Array.isArray(p.rules) ? p.rules : []).forEach((r: unknown, i) => {
    const at = `rules[${i}]`;
    if (typeof r !== "object" || r === null) return void problems.push(`${at} must be an object`);
    const rule = r as Record<string, unknown>;
    if (!KINDS.includes(rule.kind as FaultKind)) problems.push(`${at}.kind must be one of ${KINDS.join(", ")}`);
    if (rule.service !== undefined && !SERVICES.includes(rule.service as FaultService))
      problems.push(`${at}.service must be one of ${SERVICES.join(", ")}`);
    if (rule.tenant !== undefined && (typeof rule.tenant !== "string" || rule.tenant === ""))
      problems.push(`${at}.tenant must be a tenant id or default domain`);
    const methods = Array.isArray(rule.method) ? rule.method : rule.method === undefined ? [] : [rule.method];
    if (methods.some((m: unknown) => typeof m !== "string" || m === "") || (Array.isArray(rule.method) && methods.length === 0)) {
      problems.push(`${at}.method must be an HTTP method or a non-empty list of them`);
    }
    if (rule.pathPattern !== undefined) {
      try {
        if (typeof rule.pathPattern !== "string") throw new TypeError("not a string");
        new RegExp(rule.pathPattern);
      } catch {
        problems.push(`${at}.pathPattern is not a valid regular expression`);
      }
    }
    if (rule.retryAfterSeconds !== undefined && rule.retryAfterSeconds !== null)
      nonNegative(rule.retryAfterSeconds, `${at}.retryAfterSeconds`);
    if (rule.count !== undefined && (!Number.isInteger(rule.count) || (rule.count as number) < 0))
      problems.push(`${at}.count must be an integer >= 0`);
    positiveInteger(rule.nth, `${at}.nth`);
    positiveInteger(rule.everyNth, `${at}.everyNth`);
    nonNegative(rule.stallMs, `${at}.stallMs`);
    if (rule.stallMs !== undefined && rule.kind !== "stall" && rule.kind !== "stall-after-apply")
      problems.push(`${at}.stallMs applies to the stall kinds only`);
    if (rule.probability !== undefined && (typeof rule.probability !== "number" || rule.probability < 0 || rule.probability > 1)) {
      problems.push(`${at}.probability must be between 0 and 1`);
    }
    if (rule.scope !== undefined && (typeof rule.scope !== "string" || !["outer", "inner", "both"].includes(rule.scope)))
      problems.push(`${at}.scope must be outer, inner or both`);
    if (rule.countPer !== undefined && (typeof rule.countPer !== "string" || !["rule", "request"].includes(rule.countPer)))
      problems.push(`${at}.countPer must be rule or request`);
  });
  return problems;
}

/** A rule ready to match, with its counters. */
interface ActiveRule {
  readonly rule: FaultRule;
  readonly service: ServiceName | undefined;
  readonly methods: ReadonlySet<string> | null;
  readonly pattern: RegExp | null;
  readonly scope: "outer" | "inner" | "both";
  /** Matching requests seen and faults fired, per counting key ("" when counted per rule). */
  readonly seen: Map<string, number>;
  readonly fired: Map<string, number>;
}

/** Decides faults from the current profile; a new profile replaces the old one and its counts. */
export class ProfileFaultInjector implements FaultInjector {
  private rules: ActiveRule[] = [];
  private profile: FaultProfile = {};
  private random: () => number;
  private latencyRandom: () => number;

  /**
   * @param random used when the profile has no seed; injectable for tests.
   * @param tenantIdOf resolves a rule's tenant (an id or a default domain) to a tenant id, or null.
   */
  constructor(
    private readonly defaultRandom: () => number = Math.random,
    private readonly tenantIdOf: (tenant: string) => string | null = canonicalGuid,
  ) {
    this.random = defaultRandom;
    this.latencyRandom = defaultRandom;
  }

  set(profile: FaultProfile): void {
    const problems = validateFaultProfile(profile);
    if (problems.length > 0) throw new Error(`Invalid fault profile: ${problems.join("; ")}.`);
    this.profile = profile;
    this.rules = (profile.rules ?? []).map((rule) => {
      const methods =
        rule.method === undefined
          ? null
          : new Set((typeof rule.method === "string" ? [rule.method] : rule.method).map((m) => m.toUpperCase()));
      const afterOrConnection = rule.kind !== "throttle" && rule.kind !== "unavailable";
      return {
        rule,
        service: rule.service === undefined ? undefined : (SERVICE_ALIASES[rule.service] ?? (rule.service as ServiceName)),
        methods,
        pattern: rule.pathPattern === undefined ? null : new RegExp(rule.pathPattern),
        scope: rule.scope ?? (afterOrConnection ? "outer" : "both"),
        seen: new Map(),
        fired: new Map(),
      };
    });
    this.random = profile.seed === undefined ? this.defaultRandom : seededRandom(profile.seed);
    // A stream of its own: drawing latencies must not shift which requests the fault rules hit.
    this.latencyRandom = profile.seed === undefined ? this.defaultRandom : seededRandom(profile.seed ^ 0x5bd1e995);
  }

  /** The profile in force, with how often each rule has fired and, for a count, how many firings remain. */
  describe(): FaultProfile & { remaining: (number | null)[]; fired: number[] } {
    const total = (m: Map<string, number>): number => [...m.values()].reduce((a, b) => a + b, 0);
    return {
      ...this.profile,
      remaining: this.rules.map(({ rule, fired }) =>
        rule.count === undefined ? null : rule.countPer === "request" ? rule.count : Math.max(0, rule.count - total(fired)),
      ),
      fired: this.rules.map(({ fired }) => total(fired)),
    };
  }

  decide(request: FaultRequest): Fault {
    for (const entry of this.rules) {
      const { rule } = entry;
      if (!this.matches(entry, request)) continue;
      const key = rule.countPer === "request" ? requestKey(request) : "";
      const seen = (entry.seen.get(key) ?? 0) + 1;
      entry.seen.set(key, seen);
      if (rule.nth !== undefined && seen !== rule.nth) continue;
      if (rule.everyNth !== undefined && seen % rule.everyNth !== 0) continue;
      const fired = entry.fired.get(key) ?? 0;
      if (rule.count !== undefined && fired >= rule.count) continue;
      if (rule.probability !== undefined && this.random() >= rule.probability) continue;
      entry.fired.set(key, fired + 1);
      return toFault(rule);
    }
    return { kind: "none" };
  }

  private matches(entry: ActiveRule, request: FaultRequest): boolean {
    const { rule } = entry;
    if (entry.service !== undefined && entry.service !== request.service) return false;
    if (entry.methods !== null && !entry.methods.has(request.method.toUpperCase())) return false;
    if (entry.pattern && !entry.pattern.test(request.path)) return false;
    if ((request.inner && entry.scope === "outer") || (!request.inner && entry.scope === "inner")) return false;
    if (rule.tenant !== undefined && (request.tenantId === null || this.tenantIdOf(rule.tenant) !== request.tenantId)) return false;
    return true;
  }

  /** Lag of creates; kept for callers that create only. */
  replicationLagMs(): number {
    return this.lagMs("create");
  }

  lagMs(change: ChangeKind): number {
    return this.profile.replicationLag?.[change] ?? this.profile.replicationLagMs ?? 0;
  }

  latencyMs(): number {
    const range = this.profile.latencyRangeMs;
    if (range !== undefined) return range.min + this.latencyRandom() * (range.max - range.min);
    return this.profile.latencyMs ?? 0;
  }
}

/** One distinct request, for rules counted per request: a retry of it has the same key. */
function requestKey(r: FaultRequest): string {
  return JSON.stringify([r.service, r.tenantId, r.method.toUpperCase(), r.path, r.inner, r.body ?? null]);
}

function toFault(rule: FaultRule): Fault {
  const retryAfterSeconds = rule.retryAfterSeconds === undefined ? 1 : rule.retryAfterSeconds;
  switch (rule.kind) {
    case "throttle":
      return { kind: "throttle", retryAfterSeconds };
    case "unavailable":
      return { kind: "unavailable", retryAfterSeconds };
    case "drop":
    case "drop-after-apply":
      return { kind: rule.kind };
    case "stall":
    case "stall-after-apply":
      return { kind: rule.kind, stallMs: rule.stallMs ?? null };
  }
}

/** mulberry32: a small, well-known seeded generator; quality is ample for fault dice. */
function seededRandom(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}
