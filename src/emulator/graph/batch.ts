/**
 * JSON batching (`POST /$batch`, Graph's "Combine multiple HTTP requests using JSON batching"): up to 20 relative requests, `dependsOn`
 * sequencing with 424 for dependents of a failed request, each item faulted and throttled on its
 * own, answers in shuffled order, and 200 for the batch even when every item failed. Each item
 * is also reported for the request log, in the order the items ran. An item's injected stall
 * holds the whole batch's answer, as one slow item holds a real batch.
 */
import type { EmulatorContext, EmuResponse, Fault, InnerRequestRecord } from "../context";
import type { Caller } from "./authorization";
import { errorBody, GraphError } from "./errors";
import { executeRequest, type GraphAnswer } from "./request";

const MAX_BATCH_REQUESTS = 20;

interface BatchItem {
  readonly id: string;
  readonly method: string;
  readonly url: string;
  readonly headers: Readonly<Record<string, string>> | undefined;
  readonly body: unknown;
  readonly dependsOn: readonly string[];
}

interface BatchItemAnswer {
  readonly id: string;
  readonly status: number;
  readonly headers?: Readonly<Record<string, string>>;
  readonly body?: unknown;
}

/** Where an item's relative URL points: the path without the version, percent-decoded, and the raw query. */
interface ItemTarget {
  readonly path: string;
  readonly rawQuery: string;
}

function malformed(message: string): GraphError {
  return new GraphError(400, "BadRequest", message);
}

/**
 * Runs a `$batch` body for `caller`.
 * @throws GraphError 400 when the batch itself is malformed (the items are not run).
 */
export function executeBatch(
  payload: unknown,
  version: string,
  caller: Caller,
  ctx: EmulatorContext,
  clientRequestId: string,
): {
  readonly status: 200;
  readonly body: { readonly responses: readonly BatchItemAnswer[] };
  readonly innerRequests: readonly InnerRequestRecord[];
  readonly lost?: EmuResponse["lost"];
} {
  const items = parseBatch(payload);
  let lost: EmuResponse["lost"];
  const byId = new Map(items.map((item) => [item.id, item]));
  const answers = new Map<string, BatchItemAnswer>();
  const innerRequests: InnerRequestRecord[] = [];

  const run = (item: BatchItem): BatchItemAnswer => {
    const done = answers.get(item.id);
    if (done) return done;
    const failedDependency = item.dependsOn.map((dep) => run(byId.get(dep) as BatchItem)).some((a) => a.status < 200 || a.status > 299);
    const target = targetOf(item);
    const { answer, fault } = failedDependency
      ? { answer: { id: item.id, status: 424, body: { error: { code: "BadRequest", message: "Failed dependency" } } }, fault: null }
      : runItem(item, target, version, caller, ctx, clientRequestId);
    answers.set(item.id, answer);
    if (fault?.kind === "stall" || fault?.kind === "stall-after-apply") lost ??= { kind: "stall", stallMs: fault.stallMs };
    innerRequests.push({
      id: item.id,
      method: item.method,
      path: target instanceof GraphError ? item.url : `/${version}${target.path}`,
      query: target instanceof GraphError ? "" : target.rawQuery,
      status: answer.status,
      fault: fault?.kind ?? null,
    });
    return answer;
  };
  for (const item of items) run(item);
  const body = {
    responses: shuffle(
      items.map((i) => answers.get(i.id) as BatchItemAnswer),
      ctx,
    ),
  };
  return lost === undefined ? { status: 200, body, innerRequests } : { status: 200, body, innerRequests, lost };
}

/** The item's target, or why its URL is refused. */
function targetOf(item: BatchItem): ItemTarget | GraphError {
  if (/^[a-z][a-z0-9+.-]*:/i.test(item.url)) return malformed(`Invalid request URI '${item.url}': a batch request URL must be relative.`);
  const [rawPath = "", rawQuery = ""] = item.url.replace(/^\/+/, "").split(/\?(.*)/s, 2);
  try {
    return { path: "/" + rawPath.split("/").map(decodeURIComponent).join("/"), rawQuery };
  } catch {
    return malformed(`Invalid request URI '${item.url}'.`);
  }
}

/** Runs one item; answers it and names the injected fault, if one was decided for it. */
function runItem(
  item: BatchItem,
  target: ItemTarget | GraphError,
  version: string,
  caller: Caller,
  ctx: EmulatorContext,
  outerClientRequestId: string,
): { readonly answer: BatchItemAnswer; readonly fault: Exclude<Fault, { kind: "none" }> | null } {
  const requestId = ctx.ids.guid();
  const clientRequestId = headerValue(item.headers, "client-request-id") ?? outerClientRequestId;
  const now = ctx.clock.now();
  const fail = (error: GraphError, fault: Exclude<Fault, { kind: "none" }> | null = null) => ({
    answer: {
      id: item.id,
      status: error.status,
      headers: { "Content-Type": "application/json", ...error.headers },
      body: errorBody(error, now, requestId, clientRequestId),
    },
    fault,
  });

  if (target instanceof GraphError) return fail(target);
  const { path, rawQuery } = target;
  if (/^\/\$batch\/?$/i.test(path)) return fail(malformed("Nested batch requests are not supported."));

  const fault = ctx.faults.decide({
    service: "graph",
    method: item.method,
    path: `/${version}${path}`,
    inner: true,
    tenantId: caller.tenant.tenantId,
    body: item.body,
  });
  const unavailable = (retry: Record<string, string>): GraphError =>
    new GraphError(503, "serviceNotAvailable", "The service is temporarily unavailable. Please retry later.", retry);
  switch (fault.kind) {
    case "none":
    case "drop-after-apply":
    case "stall-after-apply":
      break;
    case "throttle":
      return fail(new GraphError(429, "TooManyRequests", "Please retry again later.", retryAfter(fault.retryAfterSeconds)), fault);
    case "unavailable":
      return fail(unavailable(retryAfter(fault.retryAfterSeconds)), fault);
    // An inner request cannot lose its socket: a dropped one surfaces as unavailable, not run;
    // a stalled one holds the batch (the server sees `lost`) and is not run either.
    case "drop":
    case "stall":
      return fail(unavailable({}), fault);
  }

  const answer: GraphAnswer = executeRequest(
    {
      method: item.method,
      version,
      path,
      query: new URLSearchParams(rawQuery),
      body: item.body,
      requestId,
      clientRequestId,
      consistencyLevel: headerValue(item.headers, "consistencylevel"),
    },
    caller,
    ctx,
  );
  if (fault.kind === "drop-after-apply") {
    // Run, but the workload's answer never reached the batch front door. Graph does not document
    // the item status for that; 504 is what a gateway answers for an upstream that did not answer.
    return fail(new GraphError(504, "GatewayTimeout", "The operation timed out before the service answered."), fault);
  }
  return {
    answer:
      answer.body === undefined
        ? { id: item.id, status: answer.status, headers: answer.headers }
        : { id: item.id, status: answer.status, headers: answer.headers, body: answer.body },
    fault: fault.kind === "none" ? null : fault,
  };
}

function retryAfter(seconds: number | null): Record<string, string> {
  return seconds === null ? {} : { "Retry-After": String(seconds) };
}

function headerValue(headers: Readonly<Record<string, string>> | undefined, name: string): string | undefined {
  if (!headers) return undefined;
  for (const [key, value] of Object.entries(headers)) if (key.toLowerCase() === name) return value;
  return undefined;
}

function parseBatch(payload: unknown): BatchItem[] {
  const requests = typeof payload === "object" && payload !== null ? (payload as Record<string, unknown>)["requests"] : undefined;
  if (!Array.isArray(requests)) throw malformed("Invalid batch payload format.");
  if (requests.length > MAX_BATCH_REQUESTS) {
    // Graph's exact wording for an oversized batch is not documented.
    throw malformed(`The batch contains ${requests.length} requests; a batch can contain at most ${MAX_BATCH_REQUESTS} requests.`);
  }
  const items = requests.map((raw: unknown): BatchItem => {
    if (typeof raw !== "object" || raw === null) throw malformed("Invalid batch payload format.");
    const r = raw as Record<string, unknown>;
    if (typeof r["id"] !== "string" || r["id"] === "") throw malformed("Request Id cannot be null or empty.");
    if (typeof r["method"] !== "string" || typeof r["url"] !== "string" || r["url"] === "") {
      throw malformed(`Request id ${r["id"]}: method and url are required.`);
    }
    const headers = r["headers"];
    if (
      headers !== undefined &&
      (typeof headers !== "object" || headers === null || Object.values(headers).some((v) => typeof v !== "string"))
    ) {
      throw malformed(`Request id ${r["id"]}: headers must be an object of strings.`);
    }
    const dependsOn = r["dependsOn"] ?? [];
    if (!Array.isArray(dependsOn) || dependsOn.some((d) => typeof d !== "string")) {
      throw malformed(`Request id ${r["id"]}: dependsOn must be an array of request ids.`);
    }
    return {
      id: r["id"],
      method: r["method"].toUpperCase(),
      url: r["url"],
      headers: headers as Readonly<Record<string, string>> | undefined,
      body: r["body"],
      dependsOn: dependsOn as string[],
    };
  });
  // "headers is required whenever body is present and must include Content-Type": Graph refuses the
  // whole batch and runs none of it (Combine multiple HTTP requests using JSON batching).
  for (const item of items) {
    if (item.body !== undefined && headerValue(item.headers, "content-type") === undefined) {
      throw malformed(`Write request id : ${item.id} does not contain Content-Type header or body.`);
    }
  }
  const ids = new Set<string>();
  for (const item of items) {
    if (ids.has(item.id)) throw malformed(`Batch request contains duplicate Id '${item.id}'.`);
    ids.add(item.id);
  }
  for (const item of items) {
    for (const dep of item.dependsOn)
      if (!ids.has(dep) || dep === item.id) throw malformed(`Request id ${item.id} depends on unknown request '${dep}'.`);
  }
  rejectCycles(items);
  return items;
}

function rejectCycles(items: readonly BatchItem[]): void {
  const byId = new Map(items.map((i) => [i.id, i]));
  const state = new Map<string, "visiting" | "done">();
  const visit = (item: BatchItem): void => {
    if (state.get(item.id) === "done") return;
    if (state.get(item.id) === "visiting") throw malformed(`The dependsOn of request id ${item.id} forms a cycle.`);
    state.set(item.id, "visiting");
    for (const dep of item.dependsOn) visit(byId.get(dep) as BatchItem);
    state.set(item.id, "done");
  };
  items.forEach(visit);
}

/** Graph answers batch items in no particular order; clients must correlate by id. */
function shuffle<T>(items: T[], ctx: EmulatorContext): T[] {
  const out = [...items];
  const random = ctx.ids.randomBytes(out.length);
  for (let i = out.length - 1; i > 0; i--) {
    const j = (random[i] ?? 0) % (i + 1);
    [out[i], out[j]] = [out[j] as T, out[i] as T];
  }
  return out;
}
