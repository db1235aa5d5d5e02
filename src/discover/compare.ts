/**
 * The pure half of discovery: GDAP relationships grouped by customer × the declared tenants →
 * findings. Split in two around the reads only some customers need: `triage` decides which
 * relationships' access assignments and which customers' default domains must be read, and
 * `conclude` turns those answers into proposals. No I/O.
 */
import { relative } from "node:path";
import type { DesiredTenant, Fleet, Guid } from "../desired/model";
import type { AssignedRoles, GdapAnomaly, GdapRelationship, TenantFacts } from "../tenant/gdap-directory";
import { CONSENT_CAPABLE_ROLES } from "../tenant/gdap";
import type { DiscoveryProblem, EndingAccess, LackingRoles, ProposedTenant, RelationshipRef, UnknownTenant } from "./model";
import { cleanName, tenantFileContent, tenantFileName } from "./tenant-file";

const DAY_MS = 86_400_000;
/** Statuses in which a relationship gives access. */
const EFFECTIVE = new Set(["active", "expiring"]);

export interface TriageOptions {
  readonly now: number;
  readonly expiringWithinDays: number;
  /** The stacks folder, to name files relative to it. */
  readonly stacksDir: string;
}

/** A customer without a tenant file whose relationships name a consent-capable role: to be checked. */
export interface Candidate {
  readonly tenantId: Guid;
  readonly customerDisplayName: string | null;
  /** Effective relationships naming a consent-capable role, the longest-lasting first. */
  readonly relationships: readonly GdapRelationship[];
}

export interface Triage {
  readonly customers: number;
  readonly candidates: readonly Candidate[];
  readonly lackingRoles: readonly LackingRoles[];
  readonly ending: readonly EndingAccess[];
  readonly unknown: readonly UnknownTenant[];
  readonly problems: readonly DiscoveryProblem[];
}

export const CONSENT_ROLE_NAMES: readonly string[] = [...CONSENT_CAPABLE_ROLES.values()];

export function refOf(r: GdapRelationship): RelationshipRef {
  return { id: r.id, displayName: r.displayName, status: r.status, endDateTime: r.endDateTime, autoExtend: r.autoExtend };
}

/** In effect at `now`: active or expiring, and not past an end it does not extend itself beyond. */
export function isEffective(r: GdapRelationship, now: number): boolean {
  if (!EFFECTIVE.has(r.status.toLowerCase())) return false;
  const end = r.endDateTime === null ? NaN : Date.parse(r.endDateTime);
  return Number.isNaN(end) || r.autoExtend || end > now;
}

/** When the relationship stops giving access: never (Infinity) when it extends itself or has no date. */
function accessEnd(r: GdapRelationship): number {
  const end = r.endDateTime === null ? NaN : Date.parse(r.endDateTime);
  return r.autoExtend || Number.isNaN(end) ? Infinity : end;
}

function consentRolesOf(roles: readonly Guid[]): string[] {
  return roles.flatMap((id) => {
    const name = CONSENT_CAPABLE_ROLES.get(id.toLowerCase());
    return name === undefined ? [] : [name];
  });
}

function byCustomer(relationships: readonly GdapRelationship[]): Map<Guid, GdapRelationship[]> {
  const groups = new Map<Guid, GdapRelationship[]>();
  for (const r of relationships) {
    const list = groups.get(r.customerTenantId);
    if (list) list.push(r);
    else groups.set(r.customerTenantId, [r]);
  }
  return groups;
}

/** Decides, from the relationship list alone, what is known and what must still be read. */
export function triage(
  relationships: readonly GdapRelationship[],
  anomalies: readonly GdapAnomaly[],
  fleet: Fleet,
  options: TriageOptions,
): Triage {
  const { now } = options;
  const groups = byCustomer(relationships);
  const declared = new Map(fleet.tenants.map((t) => [t.tenantId.toLowerCase(), t]));
  const fileOf = (t: DesiredTenant): string => relative(options.stacksDir, t.source.file) || t.source.file;
  const candidates: Candidate[] = [];
  const lackingRoles: LackingRoles[] = [];
  const ending: EndingAccess[] = [];
  const unknown: UnknownTenant[] = [];
  const problems: DiscoveryProblem[] = anomalies.map((a) => ({
    subject: `relationship ${a.relationshipId}${a.displayName ? ` ("${a.displayName}")` : ""}`,
    message: `${a.problem}; it was left out of the discovery.`,
    severity: "warning",
  }));

  for (const [tenantId, list] of groups) {
    if (tenantId === fleet.settings.partnerTenantId.toLowerCase()) continue;
    const tenant = declared.get(tenantId);
    const effective = list.filter((r) => isEffective(r, now));
    const withConsentRole = effective.filter((r) => consentRolesOf(r.roles).length > 0);
    // An excluded tenant is declared as not managed: nothing is proposed for it nor reported about it.
    if (tenant?.excluded) continue;
    if (tenant === undefined) {
      if (effective.length === 0) continue;
      if (withConsentRole.length === 0) {
        lackingRoles.push({
          tenantId,
          displayName: list.find((r) => r.customerDisplayName !== null)?.customerDisplayName ?? tenantId,
          file: null,
          relationships: effective.map(refOf),
          reason: "not-in-relationship",
          missing: CONSENT_ROLE_NAMES,
        });
        continue;
      }
      candidates.push({
        tenantId,
        customerDisplayName: list.find((r) => r.customerDisplayName !== null)?.customerDisplayName ?? null,
        relationships: [...withConsentRole].sort((a, b) => accessEnd(b) - accessEnd(a)),
      });
      continue;
    }
    if (effective.length === 0) {
      const latest = latestEnd(list);
      ending.push({
        tenantId,
        defaultDomain: tenant.defaultDomain,
        file: fileOf(tenant),
        state: "ended",
        endDateTime: latest,
        daysLeft: latest === null ? null : daysBetween(now, Date.parse(latest)),
        relationships: list.map(refOf),
      });
      continue;
    }
    const end = Math.max(...effective.map(accessEnd));
    if (end !== Infinity && end - now <= options.expiringWithinDays * DAY_MS) {
      ending.push({
        tenantId,
        defaultDomain: tenant.defaultDomain,
        file: fileOf(tenant),
        state: "expiring",
        endDateTime: new Date(end).toISOString(),
        daysLeft: daysBetween(now, end),
        relationships: effective.map(refOf),
      });
    }
    if (withConsentRole.length === 0) {
      lackingRoles.push({
        tenantId,
        displayName: tenant.displayName,
        file: fileOf(tenant),
        relationships: effective.map(refOf),
        reason: "not-in-relationship",
        missing: CONSENT_ROLE_NAMES,
      });
    }
  }
  for (const tenant of fleet.tenants) {
    if (tenant.isPartner || tenant.excluded || groups.has(tenant.tenantId.toLowerCase())) continue;
    unknown.push({ tenantId: tenant.tenantId, defaultDomain: tenant.defaultDomain, file: fileOf(tenant) });
  }
  return { customers: groups.size, candidates, lackingRoles, ending, unknown, problems };
}

function latestEnd(list: readonly GdapRelationship[]): string | null {
  const dates = list.map((r) => (r.endDateTime === null ? NaN : Date.parse(r.endDateTime))).filter((d) => !Number.isNaN(d));
  return dates.length === 0 ? null : new Date(Math.max(...dates)).toISOString();
}

/** Days from `from` to `to`, a part day counting as one ("ends in 12 days" until the last moment). */
function daysBetween(from: number, to: number): number {
  return Math.ceil((to - from) / DAY_MS);
}

/** The relationships whose access assignments must be read: every one naming a consent role, of every candidate. */
export function relationshipsToCheck(candidates: readonly Candidate[]): string[] {
  return candidates.flatMap((c) => c.relationships.map((r) => r.id));
}

/** A candidate whose access assignments confirm a consent-capable role, with the relationship that does. */
export interface ConfirmedCandidate {
  readonly candidate: Candidate;
  readonly relationship: GdapRelationship;
  readonly roles: readonly string[];
}

/** Splits candidates by their access assignments: confirmed, lacking, or not concluded (a read failed). */
export function checkAssignments(
  candidates: readonly Candidate[],
  assigned: ReadonlyMap<string, AssignedRoles>,
): { confirmed: ConfirmedCandidate[]; lacking: LackingRoles[]; problems: DiscoveryProblem[] } {
  const confirmed: ConfirmedCandidate[] = [];
  const lacking: LackingRoles[] = [];
  const problems: DiscoveryProblem[] = [];
  for (const candidate of candidates) {
    const answers = candidate.relationships.map((r) => ({ r, a: assigned.get(r.id) }));
    const hit = answers.find(({ a }) => a?.ok === true && consentRolesOf(a.roles).length > 0);
    if (hit?.a?.ok) {
      confirmed.push({ candidate, relationship: hit.r, roles: consentRolesOf(hit.a.roles) });
      continue;
    }
    const failed = answers.filter(({ a }) => !a?.ok);
    if (failed.length > 0) {
      problems.push({
        subject: `customer ${candidate.tenantId}`,
        message:
          `its access assignments could not be read (${failed.map(({ r, a }) => `"${r.displayName}": ${a && !a.ok ? a.error : "no answer"}`).join("; ")}); ` +
          "no file is proposed until a run can read them.",
        severity: "error",
      });
      continue;
    }
    lacking.push({
      tenantId: candidate.tenantId,
      displayName: candidate.customerDisplayName ?? candidate.tenantId,
      file: null,
      relationships: candidate.relationships.map(refOf),
      reason: "not-assigned",
      missing: CONSENT_ROLE_NAMES,
    });
  }
  return { confirmed, lacking, problems };
}

const DOMAIN = /^(?=.{4,253}$)([a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z]{2,63}$/;

/**
 * Proposals for the confirmed candidates whose default domain is known: file name from the domain,
 * never the name of an existing file (`existingFiles`, lower case, relative to the stacks folder).
 */
export function propose(
  confirmed: readonly ConfirmedCandidate[],
  facts: ReadonlyMap<Guid, TenantFacts>,
  existingFiles: ReadonlySet<string>,
  profiles: readonly string[],
  fleet: Fleet,
): { proposed: ProposedTenant[]; problems: DiscoveryProblem[] } {
  const proposed: ProposedTenant[] = [];
  const problems: DiscoveryProblem[] = [];
  const taken = new Set([...existingFiles].map((f) => f.toLowerCase()));
  const declaredDomains = new Set(fleet.tenants.map((t) => t.defaultDomain.toLowerCase()));
  for (const { candidate, relationship, roles } of [...confirmed].sort((a, b) =>
    a.candidate.tenantId.localeCompare(b.candidate.tenantId),
  )) {
    const subject = `customer ${candidate.tenantId}${candidate.customerDisplayName ? ` (${candidate.customerDisplayName})` : ""}`;
    const fact = facts.get(candidate.tenantId);
    if (!fact?.ok) {
      problems.push({
        subject,
        message: `its default domain could not be read (${fact ? fact.error : "no answer"}); no file is proposed.`,
        severity: "error",
      });
      continue;
    }
    if (!DOMAIN.test(fact.defaultDomain)) {
      problems.push({
        subject,
        message: `Graph gave "${fact.defaultDomain}" as its default domain, which is not a domain name; no file is proposed.`,
        severity: "error",
      });
      continue;
    }
    if (declaredDomains.has(fact.defaultDomain)) {
      problems.push({
        subject,
        message: `its default domain ${fact.defaultDomain} is already declared for another tenant id; check that file's tenantId. No file is proposed.`,
        severity: "error",
      });
      continue;
    }
    const file = tenantFileName(fact.defaultDomain, taken);
    if (file === null) {
      problems.push({
        subject,
        message: `tenants/ already has a file named after ${fact.defaultDomain}; no file is proposed (nothing is overwritten).`,
        severity: "error",
      });
      continue;
    }
    taken.add(file.toLowerCase());
    const displayName = cleanName(fact.displayName ?? candidate.customerDisplayName ?? fact.defaultDomain);
    const ref = refOf(relationship);
    proposed.push({
      tenantId: candidate.tenantId,
      defaultDomain: fact.defaultDomain,
      displayName,
      profiles,
      file,
      content: tenantFileContent({
        tenantId: candidate.tenantId,
        defaultDomain: fact.defaultDomain,
        displayName,
        profiles,
        relationship: ref,
        roles,
      }),
      relationship: ref,
      roles,
    });
  }
  return { proposed, problems };
}
