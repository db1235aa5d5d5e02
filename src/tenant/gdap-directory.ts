/**
 * Reads the partner's GDAP directory for discovery: every delegated admin relationship (all pages),
 * the access assignments of the relationships that need checking, and the public facts of customer
 * tenants (`findTenantInformationByTenantId`), the documented way to learn a customer's default
 * domain, which a relationship does not carry, without a token in the customer tenant (a customer
 * not consented yet has none to give).
 *
 * Graph documents `$top` up to 300 for both lists; every page is followed by its `@odata.nextLink`.
 * Per-customer reads go in `$batch`es of 20, whose throttled or unavailable items are retried.
 */
import type {
  BatchRequest,
  GraphClient,
  GraphCollection,
  GraphDelegatedAdminAccessAssignment,
  GraphDelegatedAdminRelationship,
  GraphTenantInformation,
} from "../cloud/graph";
import { GraphError } from "../cloud/graph";
import type { Guid } from "../desired/model";
import { isGuid } from "../guid";

/** A relationship as discovery uses it. */
export interface GdapRelationship {
  readonly id: string;
  readonly displayName: string;
  readonly status: string;
  readonly customerTenantId: Guid;
  readonly customerDisplayName: string | null;
  /** Role template ids the relationship grants (its accessDetails), lower case. */
  readonly roles: readonly Guid[];
  /** ISO end date, or null when Graph gave none. */
  readonly endDateTime: string | null;
  /** Whether Graph extends it automatically at its end (autoExtendDuration other than PT0S / P0D). */
  readonly autoExtend: boolean;
  /** ISO times Graph gave for its activation and last change, or null (what a nightly compares with the last run). */
  readonly activatedDateTime: string | null;
  readonly lastModifiedDateTime: string | null;
}

/** A relationship Graph answered that cannot be attributed to a customer: reported, never used. */
export interface GdapAnomaly {
  readonly relationshipId: string;
  readonly displayName: string | null;
  readonly problem: string;
}

export interface GdapListing {
  readonly relationships: readonly GdapRelationship[];
  readonly anomalies: readonly GdapAnomaly[];
  /** Pages read (HTTP requests, retries aside). */
  readonly pages: number;
}

const RELATIONSHIPS = "/tenantRelationships/delegatedAdminRelationships";
const PAGE = 300;
const NO_EXTENSION = new Set(["PT0S", "P0D", ""]);

/** Every relationship of the partner, any status, in as many pages as Graph needs. */
export async function listGdapRelationships(partnerGraph: GraphClient): Promise<GdapListing> {
  const relationships: GdapRelationship[] = [];
  const anomalies: GdapAnomaly[] = [];
  let pages = 0;
  for (let next: string | undefined = `${RELATIONSHIPS}?$top=${PAGE}`; next !== undefined;) {
    const page: GraphCollection<unknown> = await partnerGraph.get<GraphCollection<unknown>>(next);
    pages += 1;
    if (!Array.isArray(page.value))
      throw new Error(`Graph GET ${RELATIONSHIPS} answered a page without a value array; nothing was concluded from it.`);
    for (const item of page.value) {
      const read = relationshipOf(item);
      if ("problem" in read) anomalies.push(read);
      else relationships.push(read);
    }
    next = page["@odata.nextLink"];
  }
  return { relationships, anomalies, pages };
}

function relationshipOf(item: unknown): GdapRelationship | GdapAnomaly {
  const r = (typeof item === "object" && item !== null ? item : {}) as Partial<GraphDelegatedAdminRelationship>;
  const id = typeof r.id === "string" ? r.id : "(no id)";
  const displayName = typeof r.displayName === "string" ? r.displayName : null;
  const customerId = r.customer?.tenantId;
  if (typeof customerId !== "string" || !isGuid(customerId)) {
    return { relationshipId: id, displayName, problem: "Graph gave no customer tenant id for this relationship" };
  }
  if (typeof r.status !== "string") return { relationshipId: id, displayName, problem: "Graph gave no status for this relationship" };
  const unified = r.accessDetails?.unifiedRoles;
  return {
    id,
    displayName: displayName ?? id,
    status: r.status,
    customerTenantId: customerId.toLowerCase(),
    customerDisplayName: typeof r.customer?.displayName === "string" ? r.customer.displayName : null,
    roles: Array.isArray(unified) ? unified.map((u: { readonly roleDefinitionId?: unknown }) => roleIdOf(u.roleDefinitionId)) : [],
    endDateTime: typeof r.endDateTime === "string" ? r.endDateTime : null,
    autoExtend: typeof r.autoExtendDuration === "string" && !NO_EXTENSION.has(r.autoExtendDuration.toUpperCase()),
    activatedDateTime: typeof r.activatedDateTime === "string" ? r.activatedDateTime : null,
    lastModifiedDateTime: typeof r.lastModifiedDateTime === "string" ? r.lastModifiedDateTime : null,
  };
}

/** When one access assignment was created and last changed, as Graph gave them (null when it gave none). */
export interface AssignmentTimes {
  readonly createdDateTime: string | null;
  readonly lastModifiedDateTime: string | null;
}

/**
 * The roles of one relationship that an active access assignment gives a partner security group,
 * and the times of every assignment (any status: one removed recently changed the access too), or
 * the error reading them.
 */
export type AssignedRoles =
  | { readonly ok: true; readonly roles: readonly Guid[]; readonly times?: readonly AssignmentTimes[] }
  | { readonly ok: false; readonly error: string };

/** Reads the access assignments of `relationshipIds` ($batch, 20 a request); by relationship id. */
export async function readAssignedRoles(
  partnerGraph: GraphClient,
  relationshipIds: readonly string[],
): Promise<Map<string, AssignedRoles>> {
  const requests: BatchRequest[] = relationshipIds.map((id, i) => ({
    id: String(i),
    method: "GET",
    url: `${RELATIONSHIPS}/${encodeURIComponent(id)}/accessAssignments?$top=${PAGE}`,
  }));
  const answers = await partnerGraph.batch(requests);
  const out = new Map<string, AssignedRoles>();
  for (const [i, answer] of answers.entries()) {
    const id = relationshipIds[i] as string;
    if (answer.status !== 200) {
      out.set(id, { ok: false, error: `HTTP ${answer.status} reading its access assignments${errorMessageOf(answer.body)}` });
      continue;
    }
    try {
      const page = answer.body as GraphCollection<GraphDelegatedAdminAccessAssignment>;
      const items = [...(Array.isArray(page.value) ? page.value : [])];
      // Beyond 300 assignments the rest is on further pages, outside the batch.
      if (page["@odata.nextLink"] !== undefined)
        items.push(...(await partnerGraph.list<GraphDelegatedAdminAccessAssignment>(page["@odata.nextLink"])));
      const roles = new Set<Guid>();
      for (const a of items) {
        if (a.status !== "active") continue;
        for (const u of a.accessDetails?.unifiedRoles ?? []) roles.add(roleIdOf(u.roleDefinitionId));
      }
      const times = items.map((a) => ({
        createdDateTime: typeof a.createdDateTime === "string" ? a.createdDateTime : null,
        lastModifiedDateTime: typeof a.lastModifiedDateTime === "string" ? a.lastModifiedDateTime : null,
      }));
      out.set(id, { ok: true, roles: [...roles].sort(), times });
    } catch (error) {
      out.set(id, { ok: false, error: error instanceof GraphError ? error.message : String(error) });
    }
  }
  return out;
}

/** A customer's public facts, or the error reading them. */
export type TenantFacts =
  | { readonly ok: true; readonly tenantId: Guid; readonly defaultDomain: string; readonly displayName: string | null }
  | { readonly ok: false; readonly error: string };

/**
 * Reads `findTenantInformationByTenantId` for each tenant ($batch, 20 a request) with CIPP-SAM's
 * app-only token in the partner tenant (application permission CrossTenantInformation.ReadBasic.All,
 * part of CIPP's set; Graph offers no higher delegated permission for it).
 */
export async function readTenantFacts(partnerAppGraph: GraphClient, tenantIds: readonly Guid[]): Promise<Map<Guid, TenantFacts>> {
  const requests: BatchRequest[] = tenantIds.map((id, i) => ({
    id: String(i),
    method: "GET",
    url: `/tenantRelationships/findTenantInformationByTenantId(tenantId='${id}')`,
  }));
  const answers = await partnerAppGraph.batch(requests);
  const out = new Map<Guid, TenantFacts>();
  for (const [i, answer] of answers.entries()) {
    const id = tenantIds[i] as Guid;
    if (answer.status !== 200) {
      out.set(id, { ok: false, error: `HTTP ${answer.status} from findTenantInformationByTenantId${errorMessageOf(answer.body)}` });
      continue;
    }
    const info = (answer.body ?? {}) as Partial<GraphTenantInformation>;
    if (typeof info.tenantId !== "string" || info.tenantId.toLowerCase() !== id) {
      out.set(id, { ok: false, error: `findTenantInformationByTenantId answered for tenant "${String(info.tenantId)}", not ${id}` });
    } else if (typeof info.defaultDomainName !== "string" || info.defaultDomainName.trim() === "") {
      out.set(id, { ok: false, error: "findTenantInformationByTenantId gave no defaultDomainName" });
    } else {
      out.set(id, {
        ok: true,
        tenantId: id,
        defaultDomain: info.defaultDomainName.trim().toLowerCase(),
        displayName: typeof info.displayName === "string" ? info.displayName : null,
      });
    }
  }
  return out;
}

function errorMessageOf(body: unknown): string {
  const e = (body as { error?: { code?: unknown; message?: unknown } } | null)?.error;
  return e && typeof e.message === "string" ? `: ${typeof e.code === "string" ? `${e.code}: ` : ""}${e.message}` : "";
}

/** A role definition id as Graph sent it, lower-cased; not trusted to be a string. */
function roleIdOf(value: unknown): Guid {
  return String(value).toLowerCase();
}
