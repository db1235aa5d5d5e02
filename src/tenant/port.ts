/**
 * What a refresh or reset needs from the outside world for one tenant, and nothing more. The
 * engine wires it to the real clients (src/cloud, src/live); the steps only see this port, which
 * keeps each step's logic readable and its failure handling in one place.
 */
import type { AccessProblem, LiveReading } from "../live/model";

/** One Graph write, as a `$batch` item carries it: a URL relative to the Graph version root. */
export interface GraphWrite {
  readonly method: "POST" | "PATCH" | "DELETE";
  /** e.g. "/oauth2PermissionGrants/{id}" */
  readonly url: string;
  readonly body?: unknown;
}

/** Graph's answer to one write. */
export interface GraphReply {
  readonly status: number;
  /** Graph's `error.code`, when the write failed. */
  readonly code: string | null;
  /** Graph's `error.message`, when the write failed (already redacted). */
  readonly message: string | null;
  /** The answer's JSON body, when it had one. */
  readonly body: unknown;
}

/** How a Partner Center consent POST ended. */
export type ConsentPosted = "created" | "already-exists";

/** One tenant, as the engine's steps reach it. Every call may throw an Error whose message says what failed. */
export interface TenantPort {
  readonly tenantId: string;
  /** Reads everything that decides the plan. */
  read(): Promise<LiveReading>;
  /**
   * Makes the next read and writes use newly issued tokens: a token issued before a consent or a
   * grant change still carries the old scopes.
   */
  renewTokens(): void;
  /** Partner Center: consent CIPP-SAM in the tenant with the bootstrap Graph scopes. */
  addConsent(): Promise<ConsentPosted>;
  /** Partner Center: remove CIPP-SAM's consent from the tenant (already gone counts as done). */
  removeConsent(): Promise<void>;
  /**
   * Sends writes (in `$batch` requests of up to 20, paced by the shared write budgets, throttled
   * items retried by the client) and returns one reply per write, in the writes' order.
   */
  write(writes: readonly GraphWrite[]): Promise<GraphReply[]>;
  /**
   * Why Graph refused a write with 403: the GDAP relationship's roles, checked in the partner
   * tenant (one request), or null when GDAP allows the writes and the cause lies elsewhere.
   */
  explainDenial(): Promise<AccessProblem | null>;
  /** HTTP requests made for this tenant so far. */
  requestCounts(): RequestCounts;
}

/** HTTP requests a tenant cost, for capacity planning against Microsoft's throttling limits. */
export interface RequestCounts {
  readonly graph: number;
  readonly partnerCenter: number;
  readonly token: number;
  /** Responses 429 (and 503 with Retry-After) that were retried. */
  readonly throttled: number;
}
