/**
 * Plans and results as GitHub-flavoured Markdown for job summaries and pull-request comments: a summary table,
 * then a section per tenant with something to say. Blocked permissions and problems are always visible; long
 * lists of changes fold into <details>. The document stays within a byte budget (GitHub refuses job summaries over
 * 1 MiB): sections that do not fit are left out with a note saying how many, and where the full data is.
 */
import type { RunResult, TenantResult } from "../apply/result";
import type { FleetPlan, TenantPlan } from "../plan/model";
import { countTenantPlan, summariseFleetPlan, type FleetPlanSummary } from "../plan/summary";
import { forMarkdown } from "./escape";
import { type ReportLine, type Sign, errorWords, planLines, problemWords, resultLines, scrub } from "./lines";
import {
  coverageSentence,
  planSentence,
  planStatusWords,
  plannedTenantWords,
  resultSentence,
  resultStepWords,
  tenantWords,
} from "./sentences";

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
 * A Markdown report's table rows and tenant sections, taken a tenant at a time and kept only as far
 * as they can still fit the budget: whatever the fleet's size, it holds at most about three budgets'
 * worth of text, and assembles to the same document as if it had kept everything.
 */
class MarkdownParts<T> {
  private readonly rows: string[] = [];
  private rowBytes = 0;
  private rowCount = 0;
  /** Sections by urgency (0 first); each list is cut where it alone would overflow the budget. */
  private readonly sections: { kept: string[]; bytes: number; cut: boolean }[] = [];
  private sectionCount = 0;

  constructor(
    private readonly maxBytes: number,
    private readonly urgency: (item: T) => number,
  ) {}

  add(item: T, cells: readonly string[], section: string | null): void {
    this.rowCount += 1;
    const row = tableRow(cells);
    // A row past the budget can never be shown: only its count matters.
    if (this.rowBytes + bytes(row) + 1 <= this.maxBytes) {
      this.rows.push(row);
      this.rowBytes += bytes(row) + 1;
    } else this.rowBytes = this.maxBytes + 1;
    if (section === null) return;
    this.sectionCount += 1;
    const level = this.urgency(item);
    while (this.sections.length <= level) this.sections.push({ kept: [], bytes: 0, cut: false });
    const bucket = this.sections[level] as { kept: string[]; bytes: number; cut: boolean };
    if (bucket.cut) return;
    if (bucket.bytes + bytes(section) + 1 > this.maxBytes) {
      bucket.cut = true;
      return;
    }
    bucket.kept.push(section);
    bucket.bytes += bytes(section) + 1;
  }

  get tenants(): number {
    return this.rowCount;
  }

  /** The document: head, table, sections in order of urgency (declaration order within one), and the truncation note. */
  assemble(head: readonly string[], table: { header: string[]; align: string[] }, fullDataHint: string): string {
    const sections: string[] = [];
    for (const bucket of this.sections) {
      sections.push(...bucket.kept);
      // What follows a cut section would come after one that does not fit: it is never shown.
      if (bucket.cut) break;
    }
    return assemble(
      head,
      { ...table, rows: this.rows, rowCount: this.rowCount },
      { sections, count: this.sectionCount },
      this.maxBytes,
      fullDataHint,
    );
  }
}

/**
 * Head, table rows and sections assembled within the budget. Rows and sections are added in order until the
 * next one would not fit, leaving room for the closing note. `rows` and `sections` may stop short of
 * their counts where the rest cannot fit anyway.
 */
function assemble(
  head: readonly string[],
  table: { header: string[]; align: string[]; rows: readonly string[]; rowCount: number },
  sections: { readonly sections: readonly string[]; readonly count: number },
  maxBytes: number,
  fullDataHint: string,
): string {
  const noteRoom = 400;
  const out: string[] = [...head];
  let used = bytes(head.join("\n")) + noteRoom;
  const tableLines = [tableRow(table.header), tableRow(table.align)];
  used += bytes(tableLines.join("\n")) + 2;
  let shownRows = 0;
  for (const line of table.rows) {
    if (used + bytes(line) + 1 > maxBytes) break;
    tableLines.push(line);
    used += bytes(line) + 1;
    shownRows += 1;
  }
  out.push(...tableLines, "");
  let shownSections = 0;
  if (shownRows === table.rowCount) {
    for (const section of sections.sections) {
      if (used + bytes(section) + 1 > maxBytes) break;
      out.push(section);
      used += bytes(section) + 1;
      shownSections += 1;
    }
  }
  const omittedRows = table.rowCount - shownRows;
  const omittedSections = sections.count - shownSections;
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

// Sections most in need of a person's attention first (problems, then blocked workloads), keeping declaration order
// otherwise, so that a truncated summary still shows them.

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
  const hasContent = plan.problem !== null || lines.changes.length + lines.blocked.length + lines.warnings.length + lines.kept.length > 0;
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
  const markdown = new PlanMarkdown(options);
  for (const tenant of plan.tenants) markdown.add(tenant);
  return markdown.finish(summariseFleetPlan(plan), plan);
}

/** A plan's Markdown built a tenant at a time, in bounded memory; the same document as {@link renderPlanMarkdown}. */
export class PlanMarkdown {
  private readonly parts: MarkdownParts<TenantPlan>;
  private readonly collapseAfter: number;

  constructor(private readonly options: MarkdownOptions = {}) {
    this.collapseAfter = options.collapseAfter ?? 10;
    this.parts = new MarkdownParts(options.maxBytes ?? DEFAULT_MARKDOWN_BUDGET_BYTES, planUrgency);
  }

  add(tenant: TenantPlan): void {
    const counts = countTenantPlan(tenant);
    const cells = [
      escapeMarkdown(tenantWords(tenant.tenant)),
      planStatusMark(tenant),
      String(counts.add),
      String(counts.remove),
      String(counts.blocked),
    ];
    this.parts.add(tenant, cells, tenantPlanSection(tenant, this.collapseAfter));
  }

  /** The document, once every tenant was added; `coverage` as the fleet plan carries it. */
  finish(summary: FleetPlanSummary, coverage: Pick<FleetPlan, "changedFiles" | "deletedTenantFiles">): string {
    const sentence = coverageSentence({ ...coverage, tenants: { length: this.parts.tenants } });
    const head = [
      `## ${escapeMarkdown(this.options.title ?? "cipp-cpv plan")}`,
      "",
      ...(sentence === null ? [] : [escapeMarkdown(sentence), ""]),
      `**${escapeMarkdown(planSentence(summary))}**`,
      "",
    ];
    // A table with a header and no rows says nothing the sentence above does not.
    if (this.parts.tenants === 0) return head.join("\n");
    return this.parts.assemble(
      head,
      { header: ["Tenant", "Status", "Add", "Remove", "Blocked"], align: ["---", "---", "--:", "--:", "--:"] },
      "The JSON plan has every tenant.",
    );
  }
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
  const markdown = new ResultMarkdown(options);
  for (const tenant of result.tenants) markdown.add(tenant);
  return markdown.finish(result);
}

/** A run result's Markdown built a tenant at a time, in bounded memory; the same document as {@link renderResultMarkdown}. */
export class ResultMarkdown {
  private readonly parts: MarkdownParts<TenantResult>;
  private readonly collapseAfter: number;

  constructor(private readonly options: MarkdownOptions = {}) {
    this.collapseAfter = options.collapseAfter ?? 10;
    this.parts = new MarkdownParts(options.maxBytes ?? DEFAULT_MARKDOWN_BUDGET_BYTES, resultUrgency);
  }

  add(tenant: TenantResult): void {
    const count = (outcome: string): string =>
      String(tenant.permissions.filter((item) => item.type !== "resource" && item.outcome === outcome).length);
    const cells = [
      escapeMarkdown(tenantWords(tenant.tenant)),
      RESULT_MARK[tenant.status],
      count("applied"),
      count("removed"),
      count("blocked"),
      count("failed"),
      `${(tenant.durationMs / 1000).toFixed(1)} s`,
    ];
    this.parts.add(tenant, cells, tenantResultSection(tenant, this.collapseAfter));
  }

  /** The document, once every tenant was added. */
  finish(result: Omit<RunResult, "tenants">): string {
    const head = [
      `## ${escapeMarkdown(this.options.title ?? `cipp-cpv ${result.mode}`)}`,
      "",
      `**${escapeMarkdown(resultSentence(result.mode, result.totals, result.exitCode))}**`,
      "",
      `Started ${result.startedAt}, finished ${result.finishedAt}.`,
      "",
    ];
    return this.parts.assemble(
      head,
      {
        header: ["Tenant", "Status", "Applied", "Removed", "Blocked", "Failed", "Time"],
        align: ["---", "---", "--:", "--:", "--:", "--:", "--:"],
      },
      "The JSON result has every tenant.",
    );
  }
}
