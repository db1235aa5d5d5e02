/**
 * Names that forge output: a corpus of hostile names (control characters, ESC sequences, CR/LF,
 * bidi overrides, workflow-command prefixes, Markdown and HTML, @ mentions, 10,000 characters) put
 * into every name and message of a plan and a run result, then through every renderer: text,
 * Markdown, JSON, the Action's log and annotations. Each medium's rules are asserted.
 */
import { annotationText, logText } from "../../src/action/log-text";
import { progressLine, verdictOf } from "../../src/action/outcome";
import type { RunResult } from "../../src/apply/result";
import type { FleetPlan } from "../../src/plan/model";
import {
  renderPlanJson,
  renderPlanMarkdown,
  renderPlanText,
  renderResultJson,
  renderResultMarkdown,
  renderResultText,
} from "../../src/report";
import { forActionLog, forMarkdown, forTerminal } from "../../src/report/escape";
import { sampleFleetPlan, sampleRunResult } from "../report/fixtures";

const FORGED_SUMMARY = "Plan: 0 tenants to change, 6 converged, 0 inaccessible; 0 permissions to add, 0 to remove, 0 blocked";

const CORPUS: readonly (readonly [string, string])[] = [
  ["ANSI colour and OSC 8 hyperlink", "\u001b[31mRED\u001b[0m \u001b]8;;https://evil.example\u0007click\u001b]8;;\u0007 \u001b[2Khidden"],
  ["CR/LF and a forged summary line", `Contoso\r\n${FORGED_SUMMARY}\rPlan: overwritten`],
  ["a name that reads as the summary", FORGED_SUMMARY],
  ["bidi override", "Invoice \u202Egnp.exe\u202C and \u2066isolate\u2069"],
  ["workflow commands", "::error file=.github/x.yml,line=1::forged\n::set-output name=changes::false\n##[error]forged too"],
  ["workflow command at the start", "::add-mask::nothing"],
  [
    "Markdown and HTML",
    "<img src=x onerror=alert(1)> **bold** [link](https://evil.example) ![i](https://evil.example/i.png) <!-- | --- | `code` # h <details>",
  ],
  ["mentions and autolinks", "@github/security-team and @octocat see www.evil.example and https://evil.example/path"],
  ["10,000 characters", "A".repeat(10_000)],
  ["other controls", "tab\tnul\u0000del\u007fc1\u0085\u009bzero\u200bwidth\u2028sep\ufeffbom"],
];

const NAME_KEYS = new Set(["displayName", "message", "action", "detail", "reason", "permission", "skippedReason", "description"]);

/** `value` with every name and message replaced by `hostile`. */
function poisoned<T>(value: T, hostile: string): T {
  if (Array.isArray(value)) return value.map((item: unknown) => poisoned(item, hostile)) as T;
  if (typeof value !== "object" || value === null) return value;
  const out: Record<string, unknown> = {};
  for (const [key, item] of Object.entries(value))
    out[key] = NAME_KEYS.has(key) && typeof item === "string" ? hostile : poisoned(item, hostile);
  return out as T;
}

/** Characters no rendering for a terminal, log or Markdown may carry raw (line feeds aside, which the renderers place themselves). */
// eslint-disable-next-line no-control-regex -- matching raw control characters is the pattern's purpose.
const RAW_UNSAFE = /[\u0000-\u0009\u000b-\u001f\u007f-\u009f\u061c\u200b-\u200f\u2028-\u202e\u2060-\u2069\ufeff]/;
// eslint-disable-next-line no-control-regex -- an ANSI colour sequence starts with ESC.
const OWN_COLOUR = /\u001b\[[0-9;]*m/g;

describe.each(CORPUS)("a name with %s", (_what, hostile) => {
  const plan: FleetPlan = poisoned(sampleFleetPlan(), hostile);
  const result: RunResult = poisoned(sampleRunResult(), hostile);

  it("is inert in the text report: no control or format character, one summary line, colour codes only the painter's", () => {
    for (const text of [renderPlanText(plan), renderResultText(result)]) {
      expect(text).not.toMatch(RAW_UNSAFE);
    }
    for (const text of [renderPlanText(plan, { colour: true }), renderResultText(result, { colour: true })]) {
      expect(text.replace(OWN_COLOUR, "")).not.toMatch(RAW_UNSAFE);
    }
    const planLines = renderPlanText(plan).split("\n");
    expect(planLines.filter((line) => line.startsWith("Plan:"))).toHaveLength(1);
    expect(planLines.at(-2)).toMatch(/^Plan: \d+ tenants? to change/);
    expect(
      renderResultText(result)
        .split("\n")
        .filter((line) => /^(Refresh|Plan|Reset):/.test(line)),
    ).toHaveLength(1);
  });

  it("is inert in Markdown: escaped, no HTML of its own, no mention, no link", () => {
    for (const markdown of [renderPlanMarkdown(plan), renderResultMarkdown(result)]) {
      expect(markdown).not.toMatch(RAW_UNSAFE);
      // The only tags are the report's own.
      for (const tag of markdown.match(/<[^>]*>/g) ?? []) expect(tag).toMatch(/^<\/?(details|summary|b)>$/);
      expect(markdown).not.toContain("@");
      expect(markdown).not.toContain("://");
      expect(markdown).not.toMatch(/www\./i);
      expect(markdown).not.toMatch(/(^|[^\\])\]\(/);
      expect(markdown.split("\n").filter((line) => line.includes(FORGED_SUMMARY))).toEqual(
        markdown.split("\n").filter((line) => line.includes(FORGED_SUMMARY) && !line.startsWith("**Plan:")),
      );
      expect(markdown.split("\n").filter((line) => line.startsWith("**Plan:") || line.startsWith("**Refresh:"))).toHaveLength(1);
    }
  });

  it("stays exact in JSON, which stays valid JSON", () => {
    for (const json of [renderPlanJson(plan), renderResultJson(result)]) {
      // eslint-disable-next-line no-control-regex -- the test looks for raw control characters.
      expect(json).not.toMatch(/[\u0000-\u0009\u000b-\u001f]/);
      const parsed = JSON.parse(json) as unknown;
      expect(JSON.stringify(parsed)).toContain(JSON.stringify(hostile).slice(1, -1));
    }
  });

  it("cannot start a workflow command or hide in the Action's log and annotations", () => {
    const verdicts = [verdictOf(plan, null), verdictOf(plan, result)];
    const annotations = verdicts.flatMap((verdict) => verdict.annotations);
    expect(annotations.length).toBeGreaterThan(0);
    const progress = logText(progressLine({ done: 1, total: 2, failed: 0, etaMs: null, last: { tenant: hostile, outcome: "changed" } }));
    const texts = [...annotations.map(annotationText).flatMap((a) => [a.title, a.message]), progress, logText(hostile)];
    for (const text of texts) {
      expect(text).not.toMatch(RAW_UNSAFE);
      for (const line of text.split("\n")) expect(line.trimStart()).not.toMatch(/^(::|##\[)/);
    }
    for (const title of annotations.map(annotationText).map((a) => a.title)) expect(title).not.toContain("\n");
  });
});

describe("the escaping module", () => {
  it("shows control characters visibly in a terminal", () => {
    expect(forTerminal("a\u001b[31mb\r\nc\u202Ed")).toBe("a\\x1B[31mb\\r\\nc\\u202Ed");
  });

  it("neutralises mentions, links and HTML in Markdown", () => {
    expect(forMarkdown("@team <b>x</b> https://e.example [a](b)")).toBe("&#64;team &lt;b&gt;x&lt;/b&gt; https&#58;//e.example \\[a\\](b)");
  });

  it("keeps a log line from starting a workflow command", () => {
    expect(forActionLog("::error::x")).toBe("(log) ::error::x");
    expect(forActionLog("  ##[group]x")).toBe("(log)   ##[group]x");
    expect(forActionLog("a::b")).toBe("a::b");
  });
});
