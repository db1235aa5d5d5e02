/**
 * The plan: for one tenant, exactly what a refresh would change, in the project's own words.
 * Produced by a pure function of desired × live (src/plan/diff.ts), rendered by src/report/.
 */
import type { Guid } from "../desired/model";
import type { AccessProblem, DomainProof } from "../live/model";

/** What a run does with the plan: show it, apply it as a refresh, or reset the tenant and apply it. */
export type RunMode = "plan" | "refresh" | "reset";

/** A tenant as plans and reports name it. */
export interface TenantRef {
  readonly tenantId: Guid;
  readonly defaultDomain: string;
  readonly displayName: string;
}

/** A resource application as plans and reports name it. */
export interface ResourceRef {
  readonly appId: Guid;
  readonly displayName: string;
}

/** One change a refresh would make. Every variant names its permissions, never only ids. */
export type PlanAction =
  /** Partner Center application consent: adds CIPP-SAM's service principal and the bootstrap grant. */
  | { readonly kind: "consent"; readonly reason: string }
  /** Create a resource application's service principal in the tenant. */
  | { readonly kind: "create-resource"; readonly resource: ResourceRef }
  /** Assign an application permission. `appRoleId` is null until the resource is readable (new tenant). */
  | {
      readonly kind: "add-app-role";
      readonly resource: ResourceRef;
      readonly permission: string;
      readonly appRoleId: Guid | null;
    }
  /** Remove an application permission the declaration does not want (policy "remove" only). */
  | {
      readonly kind: "remove-app-role";
      readonly resource: ResourceRef;
      readonly permission: string;
      readonly assignmentId: string;
    }
  /** Create the AllPrincipals delegated grant for a resource. */
  | { readonly kind: "create-grant"; readonly resource: ResourceRef; readonly scopes: readonly string[] }
  /** Replace the scope string of an existing grant: `scopes` is the full new set, `add` and `remove` the difference. */
  | {
      readonly kind: "update-grant";
      readonly resource: ResourceRef;
      readonly grantId: string;
      readonly add: readonly string[];
      readonly remove: readonly string[];
      readonly scopes: readonly string[];
    }
  /** Delete a second AllPrincipals grant for the same resource. */
  | { readonly kind: "delete-duplicate-grant"; readonly resource: ResourceRef; readonly grantId: string };

/**
 * Why a wanted permission cannot be applied in this tenant:
 * - `resource-unavailable`: the resource's service principal is absent and cannot be added (e.g. no licence);
 * - `not-published`: the resource publishes no app role (or, for an id, no scope) by that name or id;
 * - `not-assignable`: the app role exists but only users and groups may hold it, not applications;
 * - `disabled`: the resource publishes the permission but has disabled it.
 */
export type BlockReason = "resource-unavailable" | "not-published" | "not-assignable" | "disabled";

/** A wanted permission (or a whole resource) that cannot be applied, and why. */
export interface BlockedItem {
  readonly resource: ResourceRef;
  /** The permission name, or null when the whole resource is blocked. */
  readonly permission: string | null;
  readonly type: "appRole" | "scope" | "resource";
  readonly reason: BlockReason;
  /** The reason in words, e.g. "Microsoft Defender for Endpoint is not licensed in this tenant". */
  readonly detail: string;
}

/** A permission the tenant holds that the declaration does not ask for, left in place (extras policy "keep"). */
export interface KeptPermission {
  readonly resource: ResourceRef;
  readonly type: "appRole" | "scope";
  /** The permission name, or its id when the resource no longer publishes it. */
  readonly permission: string;
}

/** Something a refresh will do that deserves a second look, without stopping it. */
export interface PlanWarning {
  readonly resource: ResourceRef;
  readonly permission: string;
  readonly message: string;
}

/** The plan for one tenant. */
export interface TenantPlan {
  readonly tenant: TenantRef;
  /**
   * - `converged`: nothing to do;
   * - `changes`: actions pending;
   * - `inaccessible`: a pre-check failed; `problem` says why and what to do.
   */
  readonly status: "converged" | "changes" | "inaccessible";
  readonly actions: readonly PlanAction[];
  readonly blocked: readonly BlockedItem[];
  /** Extras held but not declared, kept because the extras policy says so. */
  readonly kept: readonly KeptPermission[];
  /** E.g. a delegated scope the resource does not publish and the declaration does not mark as unpublished. */
  readonly warnings: readonly PlanWarning[];
  readonly problem: AccessProblem | null;
  /** How the declared default domain was proven to be the tenant's; absent when the tenant could not be read. */
  readonly domainProof?: DomainProof;
}

/** A plan over several tenants. */
export interface FleetPlan {
  readonly tenants: readonly TenantPlan[];
  /** Present when the plan covers only the tenants a change touches: how many changed files were considered. */
  readonly changedFiles?: number;
  /**
   * Tenant files the change deleted, relative to the stacks folder's parent (e.g.
   * `stacks/tenants/contoso.yaml`): reported, never acted on.
   */
  readonly deletedTenantFiles?: readonly string[];
}
