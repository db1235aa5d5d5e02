/**
 * One Graph request as the resource handlers see it (an outer request or a `$batch` item), and
 * the helpers every collection shares: replication-lag visibility and paged collection answers.
 */
import type { EmulatorContext } from "../context";
import type { TenantState } from "../world";
import type { Caller } from "./authorization";
import { applySelect, type CollectionQuery, type EntityShape, nextLink, parseCollectionQuery, takePage } from "./odata";

export interface GraphCall {
  readonly ctx: EmulatorContext;
  readonly caller: Caller;
  /** The tenant the token reaches; the only directory the request can see or change. */
  readonly tenant: TenantState;
  /** "v1.0" or "beta". */
  readonly version: string;
  /** The path without the version, e.g. "/servicePrincipals". */
  readonly path: string;
  readonly query: URLSearchParams;
  readonly body: unknown;
  /** The request carried `ConsistencyLevel: eventual`. */
  readonly eventual: boolean;
  /** Virtual ms when the request arrived. */
  readonly now: number;
}

/** What a resource handler answers before the pipeline adds headers. */
export interface GraphResult {
  readonly status: number;
  readonly body?: unknown;
}

/** Whether an object has replicated far enough for reads to see it. */
export function isVisible(object: { readonly visibleAt: number }, now: number): boolean {
  return now >= object.visibleAt;
}

/** The `@odata.context` URL for a metadata fragment such as "servicePrincipals/$entity". */
export function contextUrl(call: GraphCall, fragment: string): string {
  return `${call.ctx.baseUrl}/${call.version}/$metadata#${fragment}`;
}

/**
 * Answers a collection read: filters the visible `items` by the request's `$filter`, pages them by
 * `$top`/`$skiptoken`, applies `$select` and adds `@odata.context` and `@odata.nextLink`.
 */
export function collectionResult<T>(
  call: GraphCall,
  items: Iterable<T>,
  shape: EntityShape<T>,
  toJson: (item: T) => Record<string, unknown>,
  contextFragment: string,
): GraphResult {
  const query: CollectionQuery<T> = parseCollectionQuery(call.query, shape, call.eventual);
  const matching = [...items].filter(query.matches);
  const { page, nextSkipToken } = takePage(matching, query);
  const fragment = query.select === null ? contextFragment : `${contextFragment}(${query.select.join(",")})`;
  const body: Record<string, unknown> = { "@odata.context": contextUrl(call, fragment) };
  // Paging: "@odata.count" is on the first page only.
  if (query.count && query.skip === 0) body["@odata.count"] = matching.length;
  if (nextSkipToken !== null) {
    body["@odata.nextLink"] = nextLink(call.ctx.baseUrl, `/${call.version}${call.path}`, call.query, nextSkipToken);
  }
  body["value"] = page.map((item) => applySelect(toJson(item), query.select));
  return { status: 200, body };
}

/** Reads a string property of a JSON body, or undefined when the body or the property is not one. */
export function bodyString(body: unknown, property: string): string | undefined {
  if (typeof body !== "object" || body === null) return undefined;
  const value = (body as Record<string, unknown>)[property];
  return typeof value === "string" ? value : undefined;
}
