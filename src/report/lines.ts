/**
 * Plans and results as report lines: one change, blocked item, kept extra or outcome per line, each naming its
 * resource and permission. The text and Markdown renderings format the same lines, so they never disagree.
 */
import type { OperationError, PermissionResult, ResetSnapshot, TenantResult } from "../apply/result";
import { maskSecretShapes } from "../cloud/secrets";
import type { AccessProblem } from "../live/model";
import type { BlockReason, BlockedItem, KeptPermission, PlanAction, TenantPlan } from "../plan/model";
import { compareNames } from "../plan/order";

/**
 * `+` add, `~` update, `-` remove, `!` blocked or a problem, `x` failed, `=` kept or already present, `?` warning.
 */
export type Sign = "+" | "~" | "-" | "!" | "x" | "=" | "?";

export interface ReportLine {
  readonly sign: Sign;
  /** The resource's display name, or null for tenant-wide lines (consent). */
  readonly resource: string | null;
  /** What the line is about, e.g. "app role Application.ReadWrite.All". */
  readonly subject: string;
  /** Why, or what happened, in words; null when the subject says it all. */
  readonly note: string | null;
}

/** A tenant plan's lines, grouped the way reports show them. */
export interface PlanLines {
  readonly changes: readonly ReportLine[];
  readonly blocked: readonly ReportLine[];
  readonly warnings: readonly ReportLine[];
  /** One line per resource listing its kept extras. */
  readonly kept: readonly ReportLine[];
}

/** A tenant result's lines, grouped the way reports show them. */
export interface ResultLines {
  readonly changes: readonly ReportLine[];
  readonly failed: readonly ReportLine[];
  readonly blocked: readonly ReportLine[];
  /** Permissions held before the run, listed by name. */
  readonly alreadyPresent: readonly ReportLine[];
}

/**
 * Text from outside (Microsoft's messages, access problems) with any secret-shaped value masked.
 * Messages from Microsoft are redacted where they are produced, and every output passes through the
 * run's redactor; this pass catches any secret shape (bearer token, JWT, OAuth form field) that
 * slipped through, so a report can never carry one, whoever renders it.
 */
export function scrub(text: string): string {
  return maskSecretShapes(text);
}

const BLOCK_REASON_WORDS: Readonly<Record<BlockReason, string>> = {
  "resource-unavailable": "resource unavailable",
  "not-published": "not published by the resource",
  "not-assignable": "not assignable to applications",
  disabled: "disabled by the resource",
};

/** A block reason in words. */
export function blockReasonWords(reason: BlockReason): string {
  return BLOCK_REASON_WORDS[reason];
}

function permissionSubject(type: "appRole" | "scope" | "resource", permission: string | null): string {
  if (type === "resource" || permission === null) return "service principal";
  return type === "appRole" ? `app role ${permission}` : `delegated ${permission}`;
}

/** The lines of one plan action; a new grant gives one line per scope. */
export function actionLines(action: PlanAction): ReportLine[] {
  switch (action.kind) {
    case "consent":
      return [{ sign: "+", resource: null, subject: "Partner Center consent, adding CIPP-SAM", note: action.reason }];
    case "create-resource":
      return [{ sign: "+", resource: action.resource.displayName, subject: "service principal", note: "create" }];
    case "add-app-role":
      return [{ sign: "+", resource: action.resource.displayName, subject: `app role ${action.permission}`, note: null }];
    case "remove-app-role":
      return [{ sign: "-", resource: action.resource.displayName, subject: `app role ${action.permission}`, note: null }];
    case "create-grant":
      return action.scopes.map((scope) => ({
        sign: "+",
        resource: action.resource.displayName,
        subject: `delegated ${scope}`,
        note: null,
      }));
    case "update-grant": {
      const parts = [
        action.add.length > 0 ? `add ${action.add.join(", ")}` : null,
        action.remove.length > 0 ? `remove ${action.remove.join(", ")}` : null,
      ].filter((part): part is string => part !== null);
      return [{ sign: "~", resource: action.resource.displayName, subject: "delegated grant", note: parts.join("; ") }];
    }
    case "delete-duplicate-grant":
      return [
        {
          sign: "-",
          resource: action.resource.displayName,
          subject: `duplicate delegated grant ${action.grantId}`,
          note: "a second tenant-wide grant for the same resource",
        },
      ];
  }
}

/**
 * Blocked items as lines, one per blocked permission, as many as the counts say. A resource that cannot be added
 * has no line of its own: the first of its permissions carries the reason in full, the others the short reason, so
 * a long reason is not repeated for every permission. Only a resource none of whose permissions are listed gets a
 * line of its own.
 */
export function blockedLines(items: readonly BlockedItem[]): ReportLine[] {
  const withPermissions = new Set(items.filter((item) => item.type !== "resource").map((item) => item.resource.appId));
  const unavailable = new Map(items.filter((item) => item.type === "resource").map((item) => [item.resource.appId, item.detail]));
  const told = new Set<string>();
  return items
    .filter((item) => item.type !== "resource" || !withPermissions.has(item.resource.appId))
    .map((item) => {
      const resourceDetail =
        item.type !== "resource" && item.reason === "resource-unavailable" ? unavailable.get(item.resource.appId) : undefined;
      const first = !told.has(item.resource.appId);
      if (resourceDetail !== undefined) told.add(item.resource.appId);
      const detail = resourceDetail === undefined ? item.detail : first ? resourceDetail : null;
      return {
        sign: "!",
        resource: item.resource.displayName,
        subject: permissionSubject(item.type, item.permission),
        note: detail === null ? blockReasonWords(item.reason) : `${blockReasonWords(item.reason)}: ${detail}`,
      };
    });
}

/** Kept extras, one line per resource. */
export function keptLines(kept: readonly KeptPermission[]): ReportLine[] {
  const byResource = new Map<string, { appRoles: string[]; scopes: string[] }>();
  for (const item of kept) {
    const entry = byResource.get(item.resource.displayName) ?? { appRoles: [], scopes: [] };
    (item.type === "appRole" ? entry.appRoles : entry.scopes).push(item.permission);
    byResource.set(item.resource.displayName, entry);
  }
  return [...byResource].map(([resource, { appRoles, scopes }]) => ({
    sign: "=",
    resource,
    subject: "kept, not declared",
    note: [appRoles.length > 0 ? `app roles ${appRoles.join(", ")}` : null, scopes.length > 0 ? `delegated ${scopes.join(", ")}` : null]
      .filter((part): part is string => part !== null)
      .join("; "),
  }));
}

/**
 * What a reset removed, one line per resource with its app roles and delegated grants by name: the terminal's
 * record for restoring by hand, since a reset run without --json keeps no other.
 */
export function snapshotSummaryLines(snapshot: ResetSnapshot): ReportLine[] {
  const byResource = new Map<string, string[]>();
  const add = (resource: string, part: string): void => void byResource.set(resource, [...(byResource.get(resource) ?? []), part]);
  const roles = new Map<string, string[]>();
  for (const role of snapshot.appRoles)
    roles.set(role.resource.displayName, [...(roles.get(role.resource.displayName) ?? []), role.permission]);
  for (const [resource, names] of roles) add(resource, `app roles ${[...names].sort(compareNames).join(", ")}`);
  for (const grant of snapshot.grants) {
    const who = grant.consentType === "AllPrincipals" ? "delegated" : `delegated for user ${grant.principalId ?? "?"}`;
    add(grant.resource.displayName, `${who} ${[...grant.scopes].sort(compareNames).join(", ")}`);
  }
  return [...byResource]
    .sort(([a], [b]) => compareNames(a, b))
    .map(([resource, parts]) => ({ sign: "=", resource, subject: parts.join("; "), note: null }));
}

/** A tenant plan's lines. */
export function planLines(plan: TenantPlan): PlanLines {
  return {
    changes: plan.actions.flatMap(actionLines),
    blocked: blockedLines(plan.blocked),
    warnings: plan.warnings.map((warning) => ({
      sign: "?",
      resource: warning.resource.displayName,
      subject: `delegated ${warning.permission}`,
      note: warning.message,
    })),
    kept: keptLines(plan.kept),
  };
}

/** Names the service an error came from. */
export function serviceWords(service: OperationError["service"]): string {
  switch (service) {
    case "graph":
      return "Microsoft Graph";
    case "partner-center":
      return "Partner Center";
    case "entra-id":
      return "Entra ID";
  }
}

/** An error from Microsoft in one line, e.g. "Microsoft Graph HTTP 403 Authorization_RequestDenied: …". */
export function errorWords(error: OperationError): string {
  const status = error.status === null ? "no answer" : `HTTP ${error.status}`;
  return scrub(`${serviceWords(error.service)} ${status} ${error.code}: ${error.message}`);
}

/** An access problem as its message and the action to take. */
export function problemWords(problem: AccessProblem): { message: string; action: string } {
  return { message: scrub(`${problem.kind}: ${problem.message}`), action: scrub(problem.action) };
}

const TYPE_ORDER: Readonly<Record<PermissionResult["type"], number>> = { resource: 0, appRole: 1, scope: 2 };

function sortedResults(items: readonly PermissionResult[]): PermissionResult[] {
  return [...items].sort(
    (a, b) =>
      compareNames(a.resource.displayName, b.resource.displayName) ||
      TYPE_ORDER[a.type] - TYPE_ORDER[b.type] ||
      compareNames(a.permission ?? "", b.permission ?? ""),
  );
}

/** The detail of each resource whose service principal is blocked, by appId: its permissions need not repeat it. */
function blockedResourceDetails(items: readonly PermissionResult[]): Map<string, string | null> {
  return new Map(
    items.filter((item) => item.type === "resource" && item.outcome === "blocked").map((item) => [item.resource.appId, item.detail]),
  );
}

function resultLine(item: PermissionResult, blockedResources: ReadonlyMap<string, string | null>, told: Set<string>): ReportLine {
  const subject = permissionSubject(item.type, item.permission);
  const resource = item.resource.displayName;
  switch (item.outcome) {
    case "applied":
      return { sign: "+", resource, subject, note: item.type === "resource" ? "created" : null };
    case "removed":
      return { sign: "-", resource, subject, note: null };
    case "already-present":
      return { sign: "=", resource, subject, note: null };
    case "blocked": {
      const reason = item.blockReason === null ? "blocked" : blockReasonWords(item.blockReason);
      // The first permission of a resource that is blocked as a whole carries the resource's detail, once.
      const resourceDetail = item.type !== "resource" ? blockedResources.get(item.resource.appId) : undefined;
      if (
        resourceDetail !== undefined &&
        (resourceDetail === item.detail || item.detail === null || item.blockReason === "resource-unavailable")
      ) {
        const first = !told.has(item.resource.appId);
        told.add(item.resource.appId);
        return { sign: "!", resource, subject, note: first && resourceDetail !== null ? `${reason}: ${resourceDetail}` : reason };
      }
      return { sign: "!", resource, subject, note: item.detail === null ? reason : `${reason}: ${item.detail}` };
    }
    case "failed":
      return {
        sign: "x",
        resource,
        subject,
        note: item.error !== null ? errorWords(item.error) : scrub(item.detail ?? "failed"),
      };
  }
}

/**
 * A tenant result's lines, sorted by resource, type and name. As in a plan, a resource that cannot be added has no
 * line of its own when its permissions are listed: the first carries the detail, the others the short reason.
 */
export function resultLines(result: TenantResult): ResultLines {
  const blockedResources = blockedResourceDetails(result.permissions);
  const withBlockedPermissions = new Set(
    result.permissions.filter((item) => item.type !== "resource" && item.outcome === "blocked").map((item) => item.resource.appId),
  );
  // A blocked resource's own row is told through its permissions' lines, so that lines and counts agree.
  const items = sortedResults(result.permissions).filter(
    (item) => !(item.type === "resource" && item.outcome === "blocked" && withBlockedPermissions.has(item.resource.appId)),
  );
  const told = new Set<string>();
  const linesOf = (outcomes: readonly PermissionResult["outcome"][]): ReportLine[] =>
    items.filter((item) => outcomes.includes(item.outcome)).map((item) => resultLine(item, blockedResources, told));
  return {
    changes: linesOf(["applied", "removed"]),
    failed: linesOf(["failed"]),
    blocked: linesOf(["blocked"]),
    alreadyPresent: linesOf(["already-present"]),
  };
}
