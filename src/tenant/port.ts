/**
 * What a refresh or reset needs from one tenant, in the domain's words, and nothing more: read it;
 * consent CIPP-SAM and remove the consent; create a service principal; assign and remove an app
 * role; create, patch and delete a grant; delete CIPP-SAM's service principal; check GDAP. The
 * adapter over the Microsoft clients (cloud-port.ts) is the only code that knows the Graph and
 * Partner Center URLs, bodies and reply wording behind these; the steps in src/apply see this port.
 */
import type { AccessProblem, LiveReading, LiveResource } from "../live/model";

/** One change to what CIPP-SAM holds in a tenant. Ids are the tenant's object ids. */
export type TenantChange =
  /** Create a resource application's service principal from its appId. */
  | { readonly kind: "create-service-principal"; readonly appId: string }
  /** Assign an app role of `resourceId` to CIPP-SAM's service principal `clientId`. */
  | { readonly kind: "assign-app-role"; readonly clientId: string; readonly resourceId: string; readonly appRoleId: string }
  /** Remove one of CIPP-SAM's app role assignments. */
  | { readonly kind: "remove-app-role"; readonly clientId: string; readonly assignmentId: string }
  /** Create CIPP-SAM's AllPrincipals delegated grant on `resourceId` with `scopes`. */
  | { readonly kind: "create-grant"; readonly clientId: string; readonly resourceId: string; readonly scopes: readonly string[] }
  /** Replace a grant's scopes with `scopes` (the full set). */
  | { readonly kind: "patch-grant"; readonly grantId: string; readonly scopes: readonly string[] }
  /** Delete a grant. */
  | { readonly kind: "delete-grant"; readonly grantId: string }
  /** Delete CIPP-SAM's own service principal (a reset, when removing the consent left it in place). */
  | { readonly kind: "delete-service-principal"; readonly servicePrincipalId: string };

/** The service's answer to one change: its status, error code and words (already redacted). */
export interface ChangeAnswer {
  readonly status: number;
  readonly code: string | null;
  readonly message: string | null;
}

/**
 * What the service's answer means for a change:
 * - `done`: made (or, for a removal, already gone);
 * - `already-present`: the permission or object is already there (to be confirmed by the read-back);
 * - `conflict`: a grant for this resource already exists although the last read showed none;
 * - `unavailable`: the resource's service principal cannot be created in this tenant (licence, unknown app);
 * - `retry`: what was referred to is not visible yet (replication), or the service was busy;
 * - `failed`: anything else, with the service's words.
 */
export type ChangeVerdict =
  | { readonly kind: "done" }
  | { readonly kind: "already-present" }
  | { readonly kind: "conflict" }
  | { readonly kind: "unavailable"; readonly reason: string }
  | { readonly kind: "retry"; readonly reason: string }
  | { readonly kind: "failed"; readonly reason: string };

/** What became of one change. */
export interface ChangeOutcome {
  readonly verdict: ChangeVerdict;
  readonly answer: ChangeAnswer;
  /** A service principal just created, as the answer describes it; null otherwise or when the answer lacks what planning needs. */
  readonly created: LiveResource | null;
}

/** How a Partner Center consent POST ended. */
export type ConsentPosted = "created" | "already-exists";

/** HTTP requests a tenant cost, for capacity planning against Microsoft's throttling limits. */
export interface RequestCounts {
  readonly graph: number;
  readonly partnerCenter: number;
  readonly token: number;
  /** Responses 429 (and 503 with Retry-After) that were retried. */
  readonly throttled: number;
}

/** One tenant, as the engine's steps reach it. Every call may throw an Error whose message says what failed. */
export interface TenantPort {
  readonly tenantId: string;
  /** Reads everything that decides the plan. */
  read(): Promise<LiveReading>;
  /**
   * Makes the next read and changes use newly issued tokens: a token issued before a consent or a
   * grant change still carries the old scopes.
   */
  renewTokens(): void;
  /** Consents CIPP-SAM in the tenant with the bootstrap scopes. */
  addConsent(): Promise<ConsentPosted>;
  /** Removes CIPP-SAM's consent from the tenant (already gone counts as done). */
  removeConsent(): Promise<void>;
  /**
   * Makes changes together (paced by the shared write budgets, throttled ones retried by the
   * client) and returns one outcome per change, in the changes' order. Throws when no answer came.
   */
  change(changes: readonly TenantChange[]): Promise<ChangeOutcome[]>;
  /**
   * Why a change was refused with 403: the GDAP relationship's roles, checked in the partner
   * tenant, or null when GDAP allows the changes and the cause lies elsewhere.
   */
  explainDenial(): Promise<AccessProblem | null>;
  /** HTTP requests made for this tenant so far. */
  requestCounts(): RequestCounts;
}
