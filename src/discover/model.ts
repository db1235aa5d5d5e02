/**
 * What `cipp-cpv discover` finds when it compares the partner's GDAP relationships with the tenants
 * declared in stacks/tenants/. Pure data; the report (text, Markdown, JSON) and the tenant files
 * are made from it.
 */
import type { Guid } from "../desired/model";

/** The relationship a finding rests on, as a reviewer needs to see it. */
export interface RelationshipRef {
  readonly id: string;
  readonly displayName: string;
  readonly status: string;
  readonly endDateTime: string | null;
  readonly autoExtend: boolean;
}

/** A customer GDAP gives the partner, with the roles CIPP needs, and no tenant file: a file to add. */
export interface ProposedTenant {
  readonly tenantId: Guid;
  readonly defaultDomain: string;
  readonly displayName: string;
  readonly profiles: readonly string[];
  /** The new file, relative to the stacks folder, e.g. "tenants/litware.yaml". */
  readonly file: string;
  readonly content: string;
  /** The relationship whose active access assignment grants a consent-capable role. */
  readonly relationship: RelationshipRef;
  /** The consent-capable roles it grants, by name. */
  readonly roles: readonly string[];
}

/** A customer whose active relationships do not give CIPP a role that can consent CIPP-SAM. */
export interface LackingRoles {
  readonly tenantId: Guid;
  readonly displayName: string;
  /** The declaring file (relative to the stacks folder) for a declared tenant; null for a customer without one. */
  readonly file: string | null;
  readonly relationships: readonly RelationshipRef[];
  /** "not-in-relationship": no relationship holds one; "not-assigned": held, but no active access assignment gives it to a group. */
  readonly reason: "not-in-relationship" | "not-assigned";
  /** Any one of these would do. */
  readonly missing: readonly string[];
}

/** A declared tenant whose GDAP access has ended or ends within the warning window without auto-extend. */
export interface EndingAccess {
  readonly tenantId: Guid;
  readonly defaultDomain: string;
  readonly file: string;
  readonly state: "ended" | "expiring";
  /** When access ends or ended (the latest end among its relationships); null when Graph gave no date. */
  readonly endDateTime: string | null;
  /** Whole days from now to the end (negative once ended); null without a date. */
  readonly daysLeft: number | null;
  readonly relationships: readonly RelationshipRef[];
}

/** A declared tenant the partner has no GDAP relationship with at all. */
export interface UnknownTenant {
  readonly tenantId: Guid;
  readonly defaultDomain: string;
  readonly file: string;
}

/** Something that could not be read or concluded; such a customer gets no file. */
export interface DiscoveryProblem {
  /** A tenant id, relationship id or file. */
  readonly subject: string;
  readonly message: string;
  /** Warnings (a relationship without a customer) are reported; errors also fail the run (exit 1). */
  readonly severity: "error" | "warning";
}

/** HTTP requests a discovery cost (retries aside), by kind. */
export interface DiscoveryCost {
  /** Pages of the relationship list. */
  readonly relationshipPages: number;
  /** Relationships whose access assignments were read. */
  readonly assignmentChecks: number;
  /** Customers whose default domain was looked up. */
  readonly tenantLookups: number;
  /** Graph HTTP requests in all ($batch counted once), retries included; tokens not included. */
  readonly graphRequests: number;
}

export interface DiscoveryReport {
  readonly schemaVersion: 1;
  readonly kind: "discovery";
  readonly generatedAt: string;
  readonly expiringWithinDays: number;
  /** Relationships read, customers among them. */
  readonly relationships: number;
  readonly customers: number;
  readonly proposed: readonly ProposedTenant[];
  /** Whether the proposed files were written (--write). */
  readonly written: boolean;
  readonly lackingRoles: readonly LackingRoles[];
  readonly ending: readonly EndingAccess[];
  readonly unknown: readonly UnknownTenant[];
  readonly problems: readonly DiscoveryProblem[];
  readonly cost: DiscoveryCost;
}

/** 1 when an error was found, else 2 when files are proposed, else 0 (like `plan`). */
export function discoveryExitCode(report: DiscoveryReport): 0 | 1 | 2 {
  if (report.problems.some((p) => p.severity === "error")) return 1;
  return report.proposed.length > 0 ? 2 : 0;
}
