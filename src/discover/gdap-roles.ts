/**
 * GDAP access changes as a reason to refresh. What is compared: per declared tenant, the set of
 * Entra role template ids that the partner's effective (active or expiring) GDAP relationships
 * with it grant (their accessDetails, read from the one paged relationship list, so recording costs
 * no request per tenant). Where it is kept: a small JSON state file (default
 * `.cipp-cpv/gdap-roles.json`), written after each `refresh --gdap-changed` or `--gdap-state` run,
 * and in each tenant's result (`gdapRoles`). A tenant whose set differs from its record gets a
 * refresh with a fresh Partner Center consent; a tenant without a record only gets one.
 * Changes to access assignments alone (the group a role is given to) are not compared: reading
 * them costs one request per relationship.
 */
import { mkdirSync, readFileSync, renameSync, writeFileSync } from "node:fs";
import { isCanonicalGuid } from "../guid";
import { dirname } from "node:path";
import type { DesiredTenant, Guid } from "../desired/model";
import type { GdapRelationship } from "../tenant/gdap-directory";

export const DEFAULT_GDAP_STATE_FILE = ".cipp-cpv/gdap-roles.json";

export interface GdapRoleState {
  readonly schemaVersion: 1;
  /** When the sets were read (ISO 8601). */
  readonly recordedAt: string;
  /** Tenant id → sorted role template ids. */
  readonly tenants: Readonly<Record<Guid, readonly Guid[]>>;
}

/** A state file that cannot be used; nothing was sent. */
export class GdapStateError extends Error {
  override readonly name = "GdapStateError";
}

const EFFECTIVE = new Set(["active", "expiring"]);

/** Per customer, the sorted union of the roles its effective relationships grant. */
export function roleSetsOf(relationships: readonly GdapRelationship[], now: number): Map<Guid, Guid[]> {
  const sets = new Map<Guid, Set<Guid>>();
  for (const r of relationships) {
    const end = r.endDateTime === null ? NaN : Date.parse(r.endDateTime);
    const effective = EFFECTIVE.has(r.status.toLowerCase()) && (Number.isNaN(end) || r.autoExtend || end > now);
    const set = sets.get(r.customerTenantId) ?? new Set<Guid>();
    if (effective) for (const role of r.roles) set.add(role);
    sets.set(r.customerTenantId, set);
  }
  return new Map([...sets].map(([id, set]) => [id, [...set].sort()]));
}

function sameSet(a: readonly Guid[], b: readonly Guid[]): boolean {
  return a.length === b.length && a.every((x, i) => x === b[i]);
}

/** Declared tenants (not the partner's, not excluded) whose recorded role set differs from the current one. */
export function changedTenants(
  previous: GdapRoleState | null,
  current: ReadonlyMap<Guid, readonly Guid[]>,
  tenants: readonly DesiredTenant[],
): Guid[] {
  if (previous === null) return [];
  return tenants
    .filter((t) => !t.isPartner && !t.excluded)
    .filter((t) => {
      const before = previous.tenants[t.tenantId];
      return before !== undefined && !sameSet([...before].sort(), current.get(t.tenantId) ?? []);
    })
    .map((t) => t.tenantId);
}

/**
 * The next record: the current set of every declared tenant, except tenants in `keepPrevious`
 * (a refresh that failed), which keep their old record so the next run tries them again.
 */
export function nextState(
  previous: GdapRoleState | null,
  current: ReadonlyMap<Guid, readonly Guid[]>,
  tenants: readonly DesiredTenant[],
  keepPrevious: ReadonlySet<Guid>,
  now: number,
): GdapRoleState {
  const record: Record<Guid, readonly Guid[]> = {};
  for (const t of tenants) {
    if (t.isPartner || t.excluded) continue;
    const before = previous?.tenants[t.tenantId];
    record[t.tenantId] = keepPrevious.has(t.tenantId) && before !== undefined ? before : (current.get(t.tenantId) ?? []);
  }
  return { schemaVersion: 1, recordedAt: new Date(now).toISOString(), tenants: record };
}

/** Reads the state file; null when it does not exist yet. @throws GdapStateError when it is not one. */
export function readGdapState(file: string): GdapRoleState | null {
  let text: string;
  try {
    text = readFileSync(file, "utf8");
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === "ENOENT") return null;
    throw new GdapStateError(
      `--gdap-state: cannot read ${file} (${(error as NodeJS.ErrnoException).code ?? "unreadable"}); nothing was sent.`,
    );
  }
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    throw new GdapStateError(`--gdap-state: ${file} is not JSON; delete it to record afresh. Nothing was sent.`);
  }
  // Parsed JSON: every field is checked before the value is taken as a record.
  const v = value as { readonly schemaVersion?: unknown; readonly recordedAt?: unknown; readonly tenants?: unknown } | null;
  const tenants = v?.tenants;
  const valid =
    v?.schemaVersion === 1 &&
    typeof v.recordedAt === "string" &&
    typeof tenants === "object" &&
    tenants !== null &&
    Object.entries(tenants).every(
      ([id, roles]) => isCanonicalGuid(id) && Array.isArray(roles) && roles.every((r) => typeof r === "string" && isCanonicalGuid(r)),
    );
  if (!valid)
    throw new GdapStateError(
      `--gdap-state: ${file} is not a GDAP role record (schemaVersion 1, tenants: id → role ids); delete it to record afresh. Nothing was sent.`,
    );
  return v as GdapRoleState;
}

/** Writes the state file whole (a new file renamed over the old), so a crash never leaves half a record. */
export function writeGdapState(file: string, state: GdapRoleState): void {
  mkdirSync(dirname(file), { recursive: true });
  const temporary = `${file}.${process.pid}.tmp`;
  writeFileSync(temporary, `${JSON.stringify(state, null, 2)}\n`);
  renameSync(temporary, file);
}
