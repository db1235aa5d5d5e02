/**
 * The resilience suite's checkers, pure functions of what a run left behind. Each returns the
 * violations it found (an empty list when the property holds), so a test asserts `[]` and a
 * planted defect shows up as a readable line.
 */
import type { FleetPlan } from "../../src/plan/model";
import type { TenantSnapshot } from "../../src/emulator";

/** What a plan listed for removal: app role assignments and grants by id, scopes per grant id. */
export interface PlannedRemovals {
  readonly assignments: ReadonlySet<string>;
  readonly grants: ReadonlySet<string>;
  /** Scopes removed from a grant that stays (update-grant), by grant id. */
  readonly scopes: ReadonlyMap<string, ReadonlySet<string>>;
}

export function plannedRemovals(plan: FleetPlan): PlannedRemovals {
  const assignments = new Set<string>();
  const grants = new Set<string>();
  const scopes = new Map<string, Set<string>>();
  for (const tenant of plan.tenants) {
    for (const action of tenant.actions) {
      if (action.kind === "remove-app-role") assignments.add(action.assignmentId);
      if (action.kind === "delete-duplicate-grant") grants.add(action.grantId);
      if (action.kind === "update-grant" && action.remove.length > 0)
        scopes.set(action.grantId, new Set(action.remove.map((s) => s.toLowerCase())));
    }
  }
  return { assignments, grants, scopes };
}

/**
 * Everything `before` held that `after` no longer holds although the plan did not list it for removal:
 * service principals (by appId), app role assignments (by principal, resource and role) and each
 * scope of each grant (by client, resource, consent type and principal; a deleted duplicate grant's
 * scopes must live on in the grant kept, as the plan merges them).
 */
export function removedOutsidePlan(
  before: readonly TenantSnapshot[],
  after: readonly TenantSnapshot[],
  planned: PlannedRemovals,
): string[] {
  const afterById = new Map(after.map((s) => [s.tenantId, s]));
  const violations: string[] = [];
  for (const old of before) {
    const now = afterById.get(old.tenantId);
    if (!now) {
      violations.push(`${old.defaultDomain}: the tenant is gone`);
      continue;
    }
    const spApps = new Set(now.servicePrincipals.map((sp) => sp.appId));
    for (const sp of old.servicePrincipals)
      if (!spApps.has(sp.appId)) violations.push(`${old.defaultDomain}: service principal ${sp.appId} (${sp.displayName}) removed`);

    const roleKey = (a: TenantSnapshot["appRoleAssignments"][number]): string => `${a.principalAppId}|${a.resourceAppId}|${a.appRoleId}`;
    const roles = new Set(now.appRoleAssignments.map(roleKey));
    for (const a of old.appRoleAssignments) {
      if (planned.assignments.has(a.id) || roles.has(roleKey(a))) continue;
      violations.push(
        `${old.defaultDomain}: app role ${a.appRoleValue ?? a.appRoleId} of ${a.principalAppId} on ${a.resourceAppId} removed, not in the plan`,
      );
    }

    const grantKey = (g: TenantSnapshot["grants"][number]): string =>
      `${g.clientAppId}|${g.resourceAppId}|${g.consentType}|${g.principalId ?? ""}`;
    const scopesNow = new Map<string, Set<string>>();
    for (const g of now.grants) {
      const set = scopesNow.get(grantKey(g)) ?? new Set<string>();
      for (const s of g.scope.split(" ").filter(Boolean)) set.add(s.toLowerCase());
      scopesNow.set(grantKey(g), set);
    }
    // A duplicate grant the plan deletes is no exception: the plan merges its scopes into the grant it keeps.
    for (const g of old.grants) {
      const removable = planned.scopes.get(g.id) ?? new Set<string>();
      const held = scopesNow.get(grantKey(g)) ?? new Set<string>();
      const lost = g.scope
        .split(" ")
        .filter(Boolean)
        .filter((s) => !removable.has(s.toLowerCase()) && !held.has(s.toLowerCase()));
      if (lost.length > 0)
        violations.push(
          `${old.defaultDomain}: scopes ${lost.join(" ")} of ${g.clientAppId}'s grant on ${g.resourceAppId} removed, not in the plan`,
        );
    }
  }
  return violations;
}

/** Tenants whose snapshot holds no CIPP-SAM service principal. */
export function withoutCippSam(snapshots: readonly TenantSnapshot[], applicationId: string): string[] {
  return snapshots
    .filter((s) => !s.servicePrincipals.some((sp) => sp.appId === applicationId))
    .map((s) => `${s.defaultDomain}: no CIPP-SAM service principal`);
}

/** Tenants a plan still shows work for, or could not read, apart from those `inaccessible` names (by tenant id). */
export function notConverged(plan: FleetPlan, inaccessible: ReadonlySet<string> = new Set()): string[] {
  return plan.tenants.flatMap((t) => {
    const expected = inaccessible.has(t.tenant.tenantId) ? "inaccessible" : "converged";
    return t.status === expected
      ? []
      : [
          `${t.tenant.defaultDomain}: ${t.status} (${t.actions.map((a) => a.kind).join(", ") || t.problem?.kind || "no actions"}), expected ${expected}`,
        ];
  });
}

/** One place a secret could surface: a stream or a file, and its text. */
export interface Output {
  readonly where: string;
  readonly text: string;
}

/** How many characters of a secret in a row count as a leak: a prefix or a tail of a token is still a leak. */
export const LEAK_WINDOW = 16;
/** A JSON Web Token's header or payload, however the token was cut: every access token and assertion starts so. */
const JWT_SEGMENT = /eyJ[A-Za-z0-9_-]{12,}/;

/**
 * Every place in `outputs` holding `LEAK_WINDOW` characters in a row of any of `secrets`, or a JWT
 * segment. Secrets shorter than the window must appear whole.
 */
export function secretFindings(outputs: readonly Output[], secrets: readonly string[]): string[] {
  const windows = new Map<string, number>();
  const whole: string[] = [];
  secrets.forEach((secret, index) => {
    if (secret.length < LEAK_WINDOW) {
      if (secret.length > 0) whole.push(secret);
      return;
    }
    for (let i = 0; i + LEAK_WINDOW <= secret.length; i++) windows.set(secret.slice(i, i + LEAK_WINDOW), index);
  });
  const findings: string[] = [];
  for (const { where, text } of outputs) {
    const jwt = JWT_SEGMENT.exec(text);
    if (jwt) findings.push(`${where}: a JWT segment at offset ${jwt.index}`);
    for (const secret of whole) if (text.includes(secret)) findings.push(`${where}: secret #${secrets.indexOf(secret)} in full`);
    for (let i = 0; i + LEAK_WINDOW <= text.length; i++) {
      const index = windows.get(text.slice(i, i + LEAK_WINDOW));
      if (index !== undefined) {
        findings.push(`${where}: ${LEAK_WINDOW} characters of secret #${index} at offset ${i}`);
        break;
      }
    }
  }
  return findings;
}

/** Hostile declaration runs that did not end as they must: exit 1, the file named, nothing sent. */
export interface HostileRun {
  readonly name: string;
  readonly exitCode: number | null;
  readonly stderr: string;
  readonly stdout: string;
  /** What the error must name (the file, relative to the stacks folder or absolute). */
  readonly file: RegExp;
  /** Service requests the emulator counted during the run. */
  readonly requests: number;
}

export function hostileViolations(runs: readonly HostileRun[]): string[] {
  return runs.flatMap((r) => {
    const problems: string[] = [];
    if (r.exitCode !== 1) problems.push(`exit code ${r.exitCode}, expected 1`);
    if (!r.file.test(r.stderr)) problems.push(`stderr does not name the file (${r.file}): ${JSON.stringify(r.stderr.slice(0, 300))}`);
    if (r.requests !== 0) problems.push(`${r.requests} request(s) counted by the emulator`);
    if (/ {4}at |TypeError|ReferenceError|RangeError|heap out of memory/.test(r.stdout + r.stderr)) problems.push("a crash, not a refusal");
    return problems.map((p) => `${r.name}: ${p}`);
  });
}
