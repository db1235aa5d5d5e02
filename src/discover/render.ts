/**
 * The discovery report as text (terminal), Markdown (the discovery pull request's body) and JSON
 * (schemaVersion 1, kind "discovery", schema/discovery.schema.json). All three show the same findings in the same order.
 */
import { forTerminal } from "../report/escape";
import { escapeMarkdown } from "../report/markdown";
import { scrub } from "../report/lines";
import type { DiscoveryReport, EndingAccess, LackingRoles, ProposedTenant, RelationshipRef } from "./model";
import { cleanName } from "./tenant-file";

function day(iso: string | null): string {
  return iso === null ? "no end date" : iso.slice(0, 10);
}

function relationshipWords(r: RelationshipRef): string {
  return `"${cleanName(r.displayName)}" (${r.status}, ${r.endDateTime === null ? "no end date" : `ends ${day(r.endDateTime)}`}${r.autoExtend ? ", auto-extend" : ""})`;
}

function proposedWords(p: ProposedTenant, written: boolean): string {
  return (
    `${p.file}${written ? " (written)" : ""}: ${cleanName(p.displayName)} (${p.defaultDomain}) ${p.tenantId} — ${p.roles.join(", ")} through ${relationshipWords(p.relationship)}` +
    (p.profiles.length > 0 ? `; profiles: ${p.profiles.join(", ")}` : "")
  );
}

function lackingWords(l: LackingRoles): string {
  const why = l.reason === "not-assigned" ? "no active access assignment gives a security group" : "no active relationship holds";
  return `${cleanName(l.displayName)} ${l.tenantId}${l.file ? ` (${l.file})` : ""}: ${why} any of ${l.missing.join(", ")}; relationships: ${l.relationships.map(relationshipWords).join(", ") || "none"}`;
}

function endingWords(e: EndingAccess): string {
  const when =
    e.state === "ended"
      ? `GDAP access ended${e.endDateTime ? ` on ${day(e.endDateTime)}` : ""}`
      : `GDAP access ends on ${day(e.endDateTime)} (in ${e.daysLeft} ${e.daysLeft === 1 ? "day" : "days"}), without auto-extend`;
  return `${e.defaultDomain} ${e.tenantId} (${e.file}): ${when}; relationships: ${e.relationships.map(relationshipWords).join(", ")}`;
}

function summary(report: DiscoveryReport): string {
  const n = (count: number, one: string, many: string): string => `${count} ${count === 1 ? one : many}`;
  return (
    `Discovery: ${n(report.relationships, "GDAP relationship", "GDAP relationships")}, ${n(report.customers, "customer", "customers")}; ` +
    `${n(report.proposed.length, "new tenant file", "new tenant files")} ${report.written ? "written" : "proposed"}, ` +
    `${report.lackingRoles.length} lacking roles, ${report.ending.filter((e) => e.state === "expiring").length} expiring, ` +
    `${report.ending.filter((e) => e.state === "ended").length} ended, ${report.unknown.length} unknown to GDAP, ` +
    n(report.problems.filter((p) => p.severity === "error").length, "error", "errors")
  );
}

export function renderDiscoveryText(report: DiscoveryReport): string {
  const out: string[] = [];
  const section = (title: string, sign: string, lines: readonly string[]): void => {
    if (lines.length === 0) return;
    out.push(`${title}:`, ...lines.map((l) => `  ${sign} ${l}`), "");
  };
  section(
    report.written ? "New tenant files written" : "New tenant files to add (run with --write to write them)",
    "+",
    report.proposed.map((p) => proposedWords(p, report.written)),
  );
  section("Customers lacking the roles CIPP needs (no file)", "!", report.lackingRoles.map(lackingWords));
  section(
    `Declared tenants whose GDAP access has ended or ends within ${report.expiringWithinDays} days (never deleted)`,
    "!",
    report.ending.map(endingWords),
  );
  section(
    "Declared tenants unknown to GDAP",
    "?",
    report.unknown.map((u) => `${u.defaultDomain} ${u.tenantId} (${u.file})`),
  );
  section(
    "Problems",
    "x",
    report.problems.map((p) => `${p.severity}: ${p.subject}: ${p.message}`),
  );
  out.push(summary(report));
  // Names and messages come from GDAP and Graph, where a customer chooses them: escaped line by line for the terminal.
  return `${scrub(out.map(forTerminal).join("\n"))}\n`;
}

export function renderDiscoveryMarkdown(report: DiscoveryReport): string {
  const e = (text: string): string => escapeMarkdown(text);
  const out: string[] = ["## GDAP discovery", ""];
  const section = (title: string, lines: readonly string[]): void => {
    if (lines.length === 0) return;
    out.push(`### ${title}`, "", ...lines.map((l) => `- ${l}`), "");
  };
  section(
    report.written ? "New tenant files in this pull request" : "New tenant files to add",
    report.proposed.map(
      (p) =>
        `\`${e(p.file)}\` — **${e(cleanName(p.displayName))}** (${e(p.defaultDomain)}, \`${p.tenantId}\`): ${e(p.roles.join(", "))} through ${e(relationshipWords(p.relationship))}` +
        (p.profiles.length > 0 ? `; profiles: ${e(p.profiles.join(", "))}` : ""),
    ),
  );
  if (report.proposed.length > 0) {
    out.push("Merging applies these tenants: the plan on this pull request shows each one's Partner Center consent and permissions.", "");
  }
  section(
    "Customers lacking the roles CIPP needs (no file)",
    report.lackingRoles.map((l) => e(lackingWords(l))),
  );
  section(
    `GDAP access ended or ending within ${report.expiringWithinDays} days (files kept)`,
    report.ending.map((x) => e(endingWords(x))),
  );
  section(
    "Declared tenants unknown to GDAP",
    report.unknown.map((u) => e(`${u.defaultDomain} ${u.tenantId} (${u.file})`)),
  );
  section(
    "Problems",
    report.problems.map((p) => `${p.severity === "error" ? "❌" : "⚠️"} ${e(`${p.subject}: ${p.message}`)}`),
  );
  out.push(e(summary(report)), "");
  return scrub(out.join("\n"));
}

export function renderDiscoveryJson(report: DiscoveryReport): string {
  return `${scrub(JSON.stringify(report, null, 2))}\n`;
}
