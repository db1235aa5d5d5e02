/**
 * Plans and results as GitHub-flavoured Markdown for job summaries and pull-request comments: a summary table,
 * then a section per tenant with something to say. Blocked permissions and problems are always visible; long
 * lists of changes fold into <details>. The document stays within a byte budget (GitHub refuses job summaries over
 * 1 MiB): sections that do not fit are left out with a note saying how many, and where the full data is.
 */
import type { RunResult, TenantResult } from "../apply/result";
import type { FleetPlan, TenantPlan } from "../plan/model";
import { countTenantPlan, summariseFleetPlan } from "../plan/summary";
import { forMarkdown } from "./escape";
import { type ReportLine, type Sign, errorWords, planLines, problemWords, resultLines, scrub } from "./lines";
import { coverageSentence, planSentence, planStatusWords, plannedTenantWords, resultSentence, resultStepWords, tenantWords } from "./sentences";

/** GitHub's limit for one step's job summary is 1 MiB; stay clearly below it. */
export const DEFAULT_MARKDOWN_BUDGET_BYTES = 1_000_000;

export interface MarkdownOptions {
  /** The most bytes (UTF-8) the document may take. @default DEFAULT_MARKDOWN_BUDGET_BYTES */
  readonly maxBytes?: number;
  /** Lists longer than this fold into <details>. @default 10 */
  readonly collapseAfter?: number;
  /** The document's heading. @default "cipp-cpv plan" or "cipp-cpv <mode>" */
  readonly title?: string;
}

const SIGN_MARK: Readonly<Record<Sign, string>> = {
  "+": "➕",
  "~": "✏️",
  "-": "➖",
  "!": "⛔",
  x: "❌",
  "=": "▫️",
  "?": "⚠️",
};

/** Escapes text from declarations and from Microsoft so it renders as written: see {@link forMarkdown}. */
export function escapeMarkdown(text: string): string {
  return forMarkdown(text);
}

function bytes(text: string): number {
  return Buffer.byteLength(text, "utf8");
}

function bullet(line: ReportLine): string {
  const where = line.resource === null ? "" : `**${escapeMarkdown(line.resource)}**: `;
  const note = line.note === null ? "" : ` — ${escapeMarkdown(line.note)}`;
  return `- ${SIGN_MARK[line.sign]} ${where}${escapeMarkdown(line.subject)}${note}`;
}

/** A titled list, folded into <details> when longer than `collapseAfter` unless it must stay visible. */
function list(title: string, lines: readonly ReportLine[], collapseAfter: number, alwaysOpen = false): string[] {
  if (lines.length === 0) return [];
  const bullets = lines.map(bullet);
  if (alwaysOpen || lines.length <= collapseAfter) return [`**${title}** (${lines.length})`, "", ...bullets, ""];
  return [`<details><summary><b>${title}</b> (${lines.length})</summary>`, "", ...bullets, "", "</details>", ""];
}

function problemBlock(problem: { message: string; action: string }): string[] {
  return [`> ⛔ **${escapeMarkdown(problem.message)}**`, `> **To fix:** ${escapeMarkdown(problem.action)}`, ""];
}

function tableRow(cells: readonly string[]): string {
  return `| ${cells.join(" | ")} |`;
}

/**
 * Head, table rows and sections assembled within the budget. Rows and sections are added in order until the
 * next one would not fit, leaving room for the closing note.
 */
function assemble(
  head: readonly string[],
  rows: { header: string[]; align: string[]; cells: string[][] },
  sections: readonly string[],
  maxBytes: number,
  fullDataHint: string,
): string {
  const noteRoom = 400;
  const out: string[] = [...head];
  let used = bytes(head.join("\n")) + noteRoom;
  const tableLines = [tableRow(rows.header), tableRow(rows.align)];
  used += bytes(tableLines.join("\n")) + 2;
  let shownRows = 0;
  for (const cells of rows.cells) {
    const line = tableRow(cells);
    if (used + bytes(line) + 1 > maxBytes) break;
    tableLines.push(line);
    used += bytes(line) + 1;
    shownRows += 1;
  }
  out.push(...tableLines, "");
  let shownSections = 0;
  if (shownRows === rows.cells.length) {
    for (const section of sections) {
      if (used + bytes(section) + 1 > maxBytes) break;
      out.push(section);
      used += bytes(section) + 1;
      shownSections += 1;
    }
  }
  const omittedRows = rows.cells.length - shownRows;
  const omittedSections = sections.length - shownSections;
  if (omittedRows > 0 || omittedSections > 0) {
    const what = [
      omittedRows > 0 ? `${omittedRows} tenant row(s)` : null,
      omittedSections > 0 ? `${omittedSections} tenant section(s)` : null,
    ].filter((part): part is string => part !== null);
    out.push(`> ✂️ **Truncated:** ${what.join(" and ")} left out to stay under GitHub's 1 MiB summary limit. ${fullDataHint}`, "");
  }
  return out.join("\n");
}

const PLAN_MARK: Readonly<Record<TenantPlan["status"], string>> = { changes: "✏️", converged: "✅", inaccessible: "⛔" };

/**
 * Sections most in need of a person's attention first (problems, then blocked workloads), keeping declaration order
 * otherwise, so that a truncated summary still shows them.
 */
function byUrgency<T>(items: readonly T[], urgency: (item: T) => number): T[] {
  return items
    .map((item, index) => ({ item, index, urgency: urgency(item) }))
    .sort((a, b) => a.urgency - b.urgency || a.index - b.index)
    .map(({ item }) => item);
}

function planUrgency(plan: TenantPlan): number {
  if (plan.problem !== null) return 0;
  return plan.blocked.length > 0 || plan.warnings.length > 0 ? 1 : 2;
}

function resultUrgency(result: TenantResult): number {
  if (result.status === "failed") return 0;
  return result.permissions.some((item) => item.outcome === "blocked") ? 1 : 2;
}

function planStatusMark(plan: TenantPlan): string {
  return `${PLAN_MARK[plan.status]} ${plan.status}${plan.status === "converged" && plan.blocked.length > 0 ? " (some blocked)" : ""}`;
}

function tenantPlanSection(plan: TenantPlan, collapseAfter: number): string | null {
  const lines = planLines(plan);
  const hasContent =
    plan.problem !== null || lines.changes.length + lines.blocked.length + lines.warnings.length + lines.kept.length > 0;
  if (!hasContent) return null;
  const out = [
    `### ${escapeMarkdown(plannedTenantWords(plan))}`,
    "",
    `${PLAN_MARK[plan.status]} ${escapeMarkdown(planStatusWords(plan.status, countTenantPlan(plan)))} · tenant id ${plan.tenant.tenantId}`,
    "",
  ];
  if (plan.problem !== null) out.push(...problemBlock(problemWords(plan.problem)));
  out.push(...list("Blocked, not applied in this tenant", lines.blocked, collapseAfter, true));
  out.push(...list("Warnings", lines.warnings, collapseAfter, true));
  out.push(...list("Changes", lines.changes, collapseAfter));
  out.push(...list("Kept extras (not declared, policy keep)", lines.kept, collapseAfter));
  return out.join("\n");
}

/** A fleet plan as Markdown. */
export function renderPlanMarkdown(plan: FleetPlan, options: MarkdownOptions = {}): string {
  const collapseAfter = options.collapseAfter ?? 10;
  const coverage = coverageSentence(plan);
  const head = [
    `## ${escapeMarkdown(options.title ?? "cipp-cpv plan")}`,
    "",
    ...(coverage === null ? [] : [escapeMarkdown(coverage), ""]),
    `**${escapeMarkdown(planSentence(summariseFleetPlan(plan)))}**`,
    "",
  ];
  // A table with a header and no rows says nothing the sentence above does not.
  if (plan.tenants.length === 0) return head.join("\n");
  const cells = plan.tenants.map((tenant) => {
    const counts = countTenantPlan(tenant);
    return [escapeMarkdown(tenantWords(tenant.tenant)), planStatusMark(tenant), String(counts.add), String(counts.remove), String(counts.blocked)];
  });
  const sections = byUrgency(plan.tenants, planUrgency)
    .map((tenant) => tenantPlanSection(tenant, collapseAfter))
    .filter((section): section is string => section !== null);
  return assemble(
    head,
    { header: ["Tenant", "Status", "Add", "Remove", "Blocked"], align: ["---", "---", "--:", "--:", "--:"], cells },
    sections,
    options.maxBytes ?? DEFAULT_MARKDOWN_BUDGET_BYTES,
    "The JSON plan has every tenant.",
  );
}

const RESULT_MARK: Readonly<Record<TenantResult["status"], string>> = {
  converged: "✅ converged",
  changed: "✏️ changed",
  failed: "❌ failed",
  skipped: "⏭️ skipped",
};

function snapshotLines(result: TenantResult): ReportLine[] {
  const snapshot = result.steps.reset?.snapshot ?? null;
  if (snapshot === null) return [];
  return [
    ...snapshot.appRoles.map((role): ReportLine => ({
      sign: "=",
      resource: role.resource.displayName,
      subject: `app role ${role.permission}`,
      note: role.appRoleId,
    })),
    ...snapshot.grants.map((grant): ReportLine => ({
      sign: "=",
      resource: grant.resource.displayName,
      subject: grant.consentType === "AllPrincipals" ? "delegated grant (all users)" : `delegated grant (user ${grant.principalId ?? "?"})`,
      note: grant.scopes.join(" "),
    })),
  ];
}

function tenantResultSection(result: TenantResult, collapseAfter: number): string | null {
  const lines = resultLines(result);
  if (result.status === "converged" && lines.blocked.length === 0 && lines.changes.length === 0) return null;
  const out = [`### ${escapeMarkdown(tenantWords(result.tenant))}`, ""];
  const steps = result.status === "skipped" ? escapeMarkdown(scrub(result.skippedReason ?? "")) : escapeMarkdown(resultStepWords(result));
  out.push(`${RESULT_MARK[result.status]} · ${steps} · tenant id ${result.tenant.tenantId}`, "");
  if (result.problem !== null) out.push(...problemBlock(problemWords(result.problem)));
  if (result.error !== null) out.push(`> ❌ **Stopped:** ${escapeMarkdown(errorWords(result.error))}`, "");
  out.push(...list("Failed", lines.failed, collapseAfter, true));
  out.push(...list("Blocked, not applied in this tenant", lines.blocked, collapseAfter, true));
  out.push(...list("Changed", lines.changes, collapseAfter));
  out.push(...list("Already present", lines.alreadyPresent, 0));
  out.push(...list("Held before the reset (snapshot for restoring)", snapshotLines(result), 0));
  if (result.verification !== null) {
    out.push(
      result.verification.converged
        ? "Verified: the read-back matches the declaration."
        : `❌ **Verification:** the read-back still differs (${result.verification.actions.length} action(s) left).`,
      "",
    );
  }
  return out.join("\n");
}

/** A run result as Markdown. */
export function renderResultMarkdown(result: RunResult, options: MarkdownOptions = {}): string {
  const collapseAfter = options.collapseAfter ?? 10;
  const head = [
    `## ${escapeMarkdown(options.title ?? `cipp-cpv ${result.mode}`)}`,
    "",
    `**${escapeMarkdown(resultSentence(result.mode, result.totals, result.exitCode))}**`,
    "",
    `Started ${result.startedAt}, finished ${result.finishedAt}.`,
    "",
  ];
  const cells = result.tenants.map((tenant) => {
    const count = (outcome: string): string =>
      String(tenant.permissions.filter((item) => item.type !== "resource" && item.outcome === outcome).length);
    return [
      escapeMarkdown(tenantWords(tenant.tenant)),
      RESULT_MARK[tenant.status],
      count("applied"),
      count("removed"),
      count("blocked"),
      count("failed"),
      `${(tenant.durationMs / 1000).toFixed(1)} s`,
    ];
  });
  const sections = byUrgency(result.tenants, resultUrgency)
    .map((tenant) => tenantResultSection(tenant, collapseAfter))
    .filter((section): section is string => section !== null);
  return assemble(
    head,
    {
      header: ["Tenant", "Status", "Applied", "Removed", "Blocked", "Failed", "Time"],
      align: ["---", "---", "--:", "--:", "--:", "--:", "--:"],
      cells,
    },
    sections,
    options.maxBytes ?? DEFAULT_MARKDOWN_BUDGET_BYTES,
    "The JSON result has every tenant.",
  );
}
