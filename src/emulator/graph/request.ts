/**
 * Serves one Graph request for an authenticated caller: an outer request or one `$batch` item.
 * Charges the identity throttle, checks permissions, runs the operation, and turns a `GraphError`
 * into Graph's envelope.
 */
import type { EmulatorContext } from "../context";
import { canonicalGuid } from "../ids";
import type { Caller } from "./authorization";
import { authorize } from "./authorization";
import type { GraphCall } from "./call";
import { errorBody, GraphError } from "./errors";
import { type Operation, resolveOperation } from "./routes";

/** A request addressed to Graph, the version prefix split off. */
export interface GraphRequest {
  readonly method: string;
  /** "v1.0" or "beta". */
  readonly version: string;
  /** The path after the version, e.g. "/servicePrincipals(appId='…')". */
  readonly path: string;
  readonly query: URLSearchParams;
  readonly body: unknown;
  readonly requestId: string;
  readonly clientRequestId: string;
  /** The request's `ConsistencyLevel` header, if any (advanced queries need "eventual"). */
  readonly consistencyLevel?: string | undefined;
}

/** Status, headers and body of a Graph answer. */
export interface GraphAnswer {
  readonly status: number;
  readonly headers: Readonly<Record<string, string>>;
  readonly body?: unknown;
}

/** The content type Graph sends with JSON answers. */
export const ODATA_JSON = "application/json;odata.metadata=minimal;odata.streaming=true;IEEE754Compatible=false;charset=utf-8";

/**
 * Runs `request` for `caller`. Never throws for a Graph-level failure: it answers it. GUIDs in the
 * path and in the body's id properties are put in canonical form first, so the operations compare
 * ids exactly.
 */
export function executeRequest(given: GraphRequest, caller: Caller, ctx: EmulatorContext): GraphAnswer {
  const request: GraphRequest = { ...given, path: canonicalPath(given.path), body: canonicalBody(given.body) };
  const now = ctx.clock.now();
  let resourceUnits = 1;
  const headers: Record<string, string> = { "Cache-Control": "no-cache", "OData-Version": "4.0" };
  try {
    let operation: Operation;
    try {
      operation = resolveOperation(request.method, request.path);
    } catch (error) {
      // A request Graph cannot route still costs the caller.
      ctx.throttle.charge(caller.appId, caller.tenant.tenantId, resourceUnits, false);
      throw error;
    }
    resourceUnits = costOf(operation, request.query);
    const decision = ctx.throttle.charge(caller.appId, caller.tenant.tenantId, resourceUnits, operation.isWrite);
    if (!decision.ok) {
      throw new GraphError(429, "TooManyRequests", "Please retry again later.", {
        "Retry-After": String(decision.retryAfterSeconds),
        "x-ms-throttle-scope": decision.scope,
        "x-ms-throttle-information": decision.information,
      });
    }
    if (decision.limitPercentage !== null) headers["x-ms-throttle-limit-percentage"] = String(decision.limitPercentage);
    authorize(caller, operation.requirement, ctx);
    const call: GraphCall = {
      ctx,
      caller,
      tenant: caller.tenant,
      version: request.version,
      path: request.path,
      query: request.query,
      body: request.body,
      eventual: request.consistencyLevel?.trim().toLowerCase() === "eventual",
      now,
    };
    const result = operation.run(call);
    headers["x-ms-resource-unit"] = String(resourceUnits);
    if (result.body === undefined) return { status: result.status, headers };
    // A `$count` segment answers its number as text.
    const contentType = typeof result.body === "string" ? "text/plain" : ODATA_JSON;
    return { status: result.status, headers: { ...headers, "Content-Type": contentType }, body: result.body };
  } catch (error) {
    if (!(error instanceof GraphError)) throw error;
    return {
      status: error.status,
      headers: { ...headers, "x-ms-resource-unit": String(resourceUnits), "Content-Type": "application/json", ...error.headers },
      body: errorBody(error, now, request.requestId, request.clientRequestId),
    };
  }
}

/** A path segment that is a GUID, or the GUID of an `(appId='…')` alternate key. */
const GUID_IN_PATH = /(?<=^|\/|')[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}(?=$|\/|')/gi;

function canonicalPath(path: string): string {
  return path.replace(GUID_IN_PATH, (guid) => guid.toLowerCase());
}

/** Body properties that hold directory object, application or app role ids. */
const GUID_PROPERTIES: readonly string[] = ["appId", "clientId", "resourceId", "principalId", "appRoleId"];

function canonicalBody(body: unknown): unknown {
  if (typeof body !== "object" || body === null || Array.isArray(body)) return body;
  const copy: Record<string, unknown> = { ...(body as Record<string, unknown>) };
  for (const name of GUID_PROPERTIES) {
    const value = copy[name];
    if (typeof value === "string") copy[name] = canonicalGuid(value);
  }
  return copy;
}

/** The identity service's request cost (Graph's "Identity and access service limits"): writes cost 1; reads their base, −1 for `$select`, −1 for `$top` below 20, at least 1. */
function costOf(operation: Operation, query: URLSearchParams): number {
  if (operation.isWrite) return operation.resourceUnits;
  let units = operation.resourceUnits;
  if (query.has("$select")) units -= 1;
  const top = Number(query.get("$top"));
  if (query.has("$top") && Number.isFinite(top) && top < 20) units -= 1;
  return Math.max(1, units);
}
