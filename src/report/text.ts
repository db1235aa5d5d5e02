/**
 * Plans and results as terminal text, in the manner of `terraform plan`: a header per tenant, one line per
 * change, blocked permission or outcome, and a summary line. Colour is off unless asked for (CI logs and files).
 */
import type { RunResult, TenantResult } from "../apply/result";
import type { FleetPlan, TenantPlan } from "../plan/model";
import { countTenantPlan, summariseFleetPlan, type FleetPlanSummary } from "../plan/summary";
import { type ReportLine, type Sign, errorWords, planLines, problemWords, resultLines, scrub, snapshotSummaryLines } from "./lines";
import { forTerminal as t, lineStartForTerminal } from "./escape";
import {
  coverageSentence,
  planStatusWords,
  planSentence,
  plannedTenantWords,
  resultSentence,
  resultStepWords,
  tenantWords,
} from "./sentences";

export interface TextOptions {
  /** ANSI colours. @default false */
  readonly colour?: boolean;
}

const SIGN_COLOUR: Readonly<Record<Sign, string>> = {
  "+": "32", // green
  "~": "33", // yellow
  "-": "31", // red
  "!": "1;35", // bold magenta: must stand out from removals
  x: "1;31", // bold red
  "=": "2", // dim
  "?": "33",
};

type Paint = (code: string, text: string) => string;

function painter(options: TextOptions): Paint {
  return options.colour === true ? (code, text) => `\u001b[${code}m${text}\u001b[0m` : (_code, text) => text;
}

// Every foreign string (names from files and Graph, Microsoft's messages) passes through the
// terminal escaping before it is painted, so only the painter's own codes reach the terminal.
function formatLine(line: ReportLine, paint: Paint): string {
  const where = line.resource === null ? "" : `${t(line.resource)}: `;
  const note = line.note === null ? "" : ` — ${t(line.note)}`;
  return `  ${paint(SIGN_COLOUR[line.sign], `${line.sign} ${where}${t(line.subject)}`)}${note}`;
}

function problemLines(problem: { message: string; action: string }, paint: Paint): string[] {
  return [`  ${paint(SIGN_COLOUR["!"], `! ${t(problem.message)}`)}`, `    To fix: ${t(problem.action)}`];
}

function tenantPlanText(plan: TenantPlan, paint: Paint): string[] {
  const status = planStatusWords(plan.status, countTenantPlan(plan));
  const lines = [paint("1", `${lineStartForTerminal(plannedTenantWords(plan))} ${t(plan.tenant.tenantId)}: ${status}`)];
  if (plan.problem !== null) lines.push(...problemLines(problemWords(plan.problem), paint));
  const grouped = planLines(plan);
  for (const line of [...grouped.changes, ...grouped.blocked, ...grouped.warnings, ...grouped.kept]) {
    lines.push(formatLine(line, paint));
  }
  return lines;
}

/** One tenant's section of a plan's text. */
export function planTextSection(plan: TenantPlan, options: TextOptions = {}): string {
  return tenantPlanText(plan, painter(options)).join("\n");
}

/** The summary line that ends a plan's text. */
export function planTextSummary(summary: FleetPlanSummary, options: TextOptions = {}): string {
  return painter(options)("1", planSentence(summary));
}

/** A fleet plan as text, ending with the summary line. */
export function renderPlanText(plan: FleetPlan, options: TextOptions = {}): string {
  const coverage = coverageSentence(plan);
  const sections = plan.tenants.map((tenant) => planTextSection(tenant, options));
  return joinTextSections([...(coverage === null ? [] : [coverage]), ...sections, planTextSummary(summariseFleetPlan(plan), options)]);
}

/**
 * How sections make up a text report: a blank line between two, a line break at the end. A
 * report written a section at a time (src/report/stream.ts) comes out the same.
 */
export const TEXT_SECTION_SEPARATOR = "\n\n";

function joinTextSections(sections: readonly string[]): string {
  return sections.join(TEXT_SECTION_SEPARATOR) + "\n";
}

function tenantResultText(result: TenantResult, paint: Paint): string[] {
  const header = `${lineStartForTerminal(tenantWords(result.tenant))} ${t(result.tenant.tenantId)}: ${result.status}`;
  const lines = [paint("1", result.status === "skipped" ? header : `${header} (${resultStepWords(result)})`)];
  if (result.skippedReason !== null) lines.push(`  ${t(scrub(result.skippedReason))}`);
  if (result.problem !== null) lines.push(...problemLines(problemWords(result.problem), paint));
  if (result.error !== null) lines.push(`  ${paint(SIGN_COLOUR.x, "x Stopped:")} ${t(errorWords(result.error))}`);
  const grouped = resultLines(result);
  for (const line of [...grouped.changes, ...grouped.failed, ...grouped.blocked]) lines.push(formatLine(line, paint));
  const snapshot = result.steps.reset?.snapshot ?? null;
  if (snapshot !== null) {
    lines.push(`  CIPP-SAM's service principal ${t(snapshot.servicePrincipalId)} was removed; it held:`);
    for (const line of snapshotSummaryLines(snapshot)) lines.push(formatLine(line, paint));
  }
  if (grouped.alreadyPresent.length > 0) {
    lines.push(`  ${paint(SIGN_COLOUR["="], `= ${grouped.alreadyPresent.length} already present`)}`);
  }
  if (result.verification !== null) {
    lines.push(
      result.verification.converged
        ? "  Verified: the read-back matches the declaration."
        : `  ${paint(SIGN_COLOUR.x, `x Verification: the read-back still differs (${result.verification.actions.length} action(s) left)`)}`,
    );
  }
  return lines;
}

/** One tenant's section of a run result's text. */
export function resultTextSection(result: TenantResult, options: TextOptions = {}): string {
  return tenantResultText(result, painter(options)).join("\n");
}

/** The summary line that ends a run result's text. */
export function resultTextSummary(result: Pick<RunResult, "mode" | "totals" | "exitCode">, options: TextOptions = {}): string {
  return painter(options)("1", resultSentence(result.mode, result.totals, result.exitCode));
}

/** A run result as text, ending with the summary line. */
export function renderResultText(result: RunResult, options: TextOptions = {}): string {
  return joinTextSections([...result.tenants.map((tenant) => resultTextSection(tenant, options)), resultTextSummary(result, options)]);
}
