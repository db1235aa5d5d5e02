/**
 * Plans and results as versioned JSON documents, the machine-readable run artefacts. Their shapes are described by
 * schema/plan.schema.json and schema/result.schema.json.
 */
import type { RunResult } from "../apply/result";
import type { FleetPlan, TenantPlan } from "../plan/model";
import { scrub } from "./lines";
import { type FleetPlanSummary, type TenantPlanCounts, countTenantPlan, summariseFleetPlan } from "../plan/summary";

/** The version of the plan document's shape; bumped on any incompatible change. */
export const PLAN_SCHEMA_VERSION = 1;

/** A fleet plan as a document: every tenant plan with its counts, and the totals. */
export interface PlanDocument {
  readonly schemaVersion: typeof PLAN_SCHEMA_VERSION;
  readonly kind: "plan";
  readonly summary: FleetPlanSummary;
  readonly tenants: readonly (TenantPlan & { readonly counts: TenantPlanCounts })[];
}

/** The plan document of a fleet plan. */
function planDocument(plan: FleetPlan): PlanDocument {
  return {
    schemaVersion: PLAN_SCHEMA_VERSION,
    kind: "plan",
    summary: summariseFleetPlan(plan),
    tenants: plan.tenants.map(planDocumentTenant),
  };
}

/** One tenant as the plan document lists it. */
export function planDocumentTenant(tenant: TenantPlan): TenantPlan & { readonly counts: TenantPlanCounts } {
  return { ...tenant, counts: countTenantPlan(tenant) };
}

/** A fleet plan as indented JSON. */
export function renderPlanJson(plan: FleetPlan): string {
  const { tenants, ...head } = planDocument(plan);
  return jsonAround(planJsonFrame(head.summary), tenants.map(jsonTenant));
}

/**
 * A run result as indented JSON (it already carries its schemaVersion). Secret shapes are masked inside string
 * values only, so the document stays valid.
 */
export function renderResultJson(result: RunResult): string {
  return jsonAround(resultJsonFrame(result), result.tenants.map(jsonTenant));
}

/**
 * A JSON document split where its tenant list goes, so that the tenants can be written one at a
 * time between `before` and `after` (src/report/stream.ts) with the same bytes as the whole.
 */
export interface JsonFrame {
  /** Up to and including `"tenants": `. */
  readonly before: string;
  /** After the list, with the final line break. */
  readonly after: string;
}

/** The plan document around its tenants. */
export function planJsonFrame(summary: FleetPlanSummary): JsonFrame {
  return frameOf({ schemaVersion: PLAN_SCHEMA_VERSION, kind: "plan", summary, tenants: [] });
}

/** The result document around its tenants, keys in the order of {@link RunResult}. */
export function resultJsonFrame(result: Omit<RunResult, "tenants">): JsonFrame {
  const { schemaVersion, mode, startedAt, finishedAt, totals, exitCode } = result;
  return frameOf({ schemaVersion, mode, startedAt, finishedAt, tenants: [], totals, exitCode });
}

/** One tenant of a plan document (give it {@link planDocumentTenant}) or of a result, as the list holds it. */
export function jsonTenant(tenant: object): string {
  // Split on "\n" alone: a regular expression's line start also follows U+2028 and U+2029, which JSON keeps raw inside strings.
  return `    ${scrub(JSON.stringify(tenant, null, 2))
    .split("\n")
    .join("\n    ")}`;
}

/** How listed tenants are separated, and how the list opens and closes when it holds any. */
export const JSON_LIST = { open: "[\n", separator: ",\n", close: "\n  ]", empty: "[]" } as const;

function jsonAround(frame: JsonFrame, tenants: readonly string[]): string {
  const list = tenants.length === 0 ? JSON_LIST.empty : JSON_LIST.open + tenants.join(JSON_LIST.separator) + JSON_LIST.close;
  return frame.before + list + frame.after;
}

const TENANTS_KEY = '\n  "tenants": ';

/** The document (with an empty tenant list) cut around that list. */
function frameOf(document: object): JsonFrame {
  const text = `${scrub(JSON.stringify(document, null, 2))}\n`;
  const at = text.indexOf(`${TENANTS_KEY}${JSON_LIST.empty}`) + TENANTS_KEY.length;
  return { before: text.slice(0, at), after: text.slice(at + JSON_LIST.empty.length) };
}
