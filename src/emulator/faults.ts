/**
 * Injected faults: throttling, outages, dropped connections and stalls, by probability or as a
 * deterministic sequence, plus replication lag and added latency. Everything is off by default.
 */
import type { Fault, FaultInjector, ServiceName } from "./context";

export type FaultKind = "throttle" | "unavailable" | "drop" | "stall";

/** One rule of a fault profile. The first rule that matches and fires decides the fault. */
export interface FaultRule {
  readonly kind: FaultKind;
  /** Which service; all services when absent. */
  readonly service?: ServiceName;
  /** HTTP method to match (case-insensitive); all when absent. */
  readonly method?: string;
  /** A regular expression the request path must match; all paths when absent. */
  readonly pathPattern?: string;
  /** Seconds for Retry-After on throttle/unavailable (fractions allowed); null sends none. Default 1. */
  readonly retryAfterSeconds?: number | null;
  /** Fires for the next `count` matching requests, then is spent. */
  readonly count?: number;
  /** Fires with this probability (0..1) for each matching request. */
  readonly probability?: number;
  /** Whether `$batch` inner requests match (default: outer and inner). Drop and stall never apply inside a batch. */
  readonly scope?: "outer" | "inner" | "both";
}

export interface FaultProfile {
  readonly rules?: readonly FaultRule[];
  /** Virtual ms before objects created now become visible to reads. */
  readonly replicationLagMs?: number;
  /**
   * Virtual ms added before each service response, on the emulator's clock: at speed 1 that is
   * real time; a frozen clock holds responses until it is advanced past them.
   */
  readonly latencyMs?: number;
  /** Seed for probabilistic rules, so a run can be repeated. */
  readonly seed?: number;
}

const KINDS: readonly FaultKind[] = ["throttle", "unavailable", "drop", "stall"];
const SERVICES: readonly ServiceName[] = ["login", "graph", "partnerCenter", "control"];

/** Checks a profile received over the control API; returns the problems found. */
export function validateFaultProfile(value: unknown): string[] {
  if (typeof value !== "object" || value === null || Array.isArray(value)) return ["the fault profile must be a JSON object"];
  const p = value as Record<string, unknown>;
  const problems: string[] = [];
  const nonNegative = (v: unknown, name: string): void => {
    if (v !== undefined && (typeof v !== "number" || !(v >= 0))) problems.push(`${name} must be a number >= 0`);
  };
  nonNegative(p.replicationLagMs, "replicationLagMs");
  nonNegative(p.latencyMs, "latencyMs");
  if (p.seed !== undefined && typeof p.seed !== "number") problems.push("seed must be a number");
  if (p.rules !== undefined && !Array.isArray(p.rules)) problems.push("rules must be an array");
  (Array.isArray(p.rules) ? p.rules : []).forEach((r: unknown, i) => {
    const at = `rules[${i}]`;
    if (typeof r !== "object" || r === null) return void problems.push(`${at} must be an object`);
    const rule = r as Record<string, unknown>;
    if (!KINDS.includes(rule.kind as FaultKind)) problems.push(`${at}.kind must be one of ${KINDS.join(", ")}`);
    if (rule.service !== undefined && !SERVICES.includes(rule.service as ServiceName)) problems.push(`${at}.service must be one of ${SERVICES.join(", ")}`);
    if (rule.pathPattern !== undefined) {
      try {
        new RegExp(String(rule.pathPattern));
      } catch {
        problems.push(`${at}.pathPattern is not a valid regular expression`);
      }
    }
    if (rule.retryAfterSeconds !== undefined && rule.retryAfterSeconds !== null) nonNegative(rule.retryAfterSeconds, `${at}.retryAfterSeconds`);
    if (rule.count !== undefined && (!Number.isInteger(rule.count) || (rule.count as number) < 0)) problems.push(`${at}.count must be an integer >= 0`);
    if (rule.probability !== undefined && (typeof rule.probability !== "number" || rule.probability < 0 || rule.probability > 1)) {
      problems.push(`${at}.probability must be between 0 and 1`);
    }
    if (rule.scope !== undefined && !["outer", "inner", "both"].includes(String(rule.scope))) problems.push(`${at}.scope must be outer, inner or both`);
  });
  return problems;
}

/** Decides faults from the current profile; a new profile replaces the old one and its counts. */
export class ProfileFaultInjector implements FaultInjector {
  private rules: { rule: FaultRule; pattern: RegExp | null; remaining: number | null }[] = [];
  private profile: FaultProfile = {};
  private random: () => number;

  /** @param random used when the profile has no seed; injectable for tests. */
  constructor(private readonly defaultRandom: () => number = Math.random) {
    this.random = defaultRandom;
  }

  set(profile: FaultProfile): void {
    const problems = validateFaultProfile(profile);
    if (problems.length > 0) throw new Error(`Invalid fault profile: ${problems.join("; ")}.`);
    this.profile = profile;
    this.rules = (profile.rules ?? []).map((rule) => ({
      rule,
      pattern: rule.pathPattern === undefined ? null : new RegExp(rule.pathPattern),
      remaining: rule.count ?? null,
    }));
    this.random = profile.seed === undefined ? this.defaultRandom : seededRandom(profile.seed);
  }

  /** The profile in force, with the remaining count of each sequence rule. */
  describe(): FaultProfile & { remaining: (number | null)[] } {
    return { ...this.profile, remaining: this.rules.map((r) => r.remaining) };
  }

  decide(service: ServiceName, method: string, path: string, inner: boolean): Fault {
    for (const entry of this.rules) {
      const { rule } = entry;
      if (rule.service !== undefined && rule.service !== service) continue;
      if (rule.method !== undefined && rule.method.toUpperCase() !== method.toUpperCase()) continue;
      if (entry.pattern && !entry.pattern.test(path)) continue;
      const scope = rule.scope ?? "both";
      if ((inner && scope === "outer") || (!inner && scope === "inner")) continue;
      if (inner && (rule.kind === "drop" || rule.kind === "stall")) continue;
      if (entry.remaining !== null) {
        if (entry.remaining === 0) continue;
        if (rule.probability !== undefined && this.random() >= rule.probability) continue;
        entry.remaining -= 1;
      } else if (this.random() >= (rule.probability ?? 1)) {
        continue;
      }
      return toFault(rule);
    }
    return { kind: "none" };
  }

  replicationLagMs(): number {
    return this.profile.replicationLagMs ?? 0;
  }

  latencyMs(): number {
    return this.profile.latencyMs ?? 0;
  }
}

function toFault(rule: FaultRule): Fault {
  const retryAfterSeconds = rule.retryAfterSeconds === undefined ? 1 : rule.retryAfterSeconds;
  switch (rule.kind) {
    case "throttle":
      return { kind: "throttle", retryAfterSeconds };
    case "unavailable":
      return { kind: "unavailable", retryAfterSeconds };
    case "drop":
      return { kind: "drop" };
    case "stall":
      return { kind: "stall" };
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
