import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import type { StreamedOutcome } from "../../src/run/engine";
import { planSummaryOf, resultSummaryOf } from "../../src/run/fleet-stream";
import { createOutput } from "../../src/cli/output";
import { ReportStream } from "../../src/cli/report-stream";
import { summariseFleetPlan } from "../../src/plan/summary";
import {
  renderPlanJson,
  renderPlanMarkdown,
  renderPlanText,
  renderResultJson,
  renderResultMarkdown,
  renderResultText,
} from "../../src/report";
import { SECRET_JWT, sampleFleetPlan, sampleRunResult } from "../report/fixtures";

let dir: string;
beforeEach(() => {
  dir = mkdtempSync(path.join(tmpdir(), "cipp-cpv-report-stream-"));
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

function capture(): { output: ReturnType<typeof createOutput>; stdout: () => string } {
  let stdout = "";
  const output = createOutput({ stdout: { write: (text: string) => void (stdout += text) }, stderr: { write: () => undefined } });
  return { output, stdout: () => stdout };
}

const verdict = { rotatedRefreshToken: null, stopped: null, sources: new Map(), resetRecords: { written: [], unfinished: [] } };

describe("the CLI's streamed reports", () => {
  it("print and write each tenant as it arrives, and end byte for byte as the whole-plan renderings", () => {
    const plan = sampleFleetPlan();
    const { tenants } = plan;
    const { output, stdout } = capture();
    const json = path.join(dir, "out", "plan.json");
    const markdown = path.join(dir, "out", "plan.md");
    const stream = new ReportStream(output, { json, markdown, colour: false });
    stream.begin({ mode: "plan", startedAt: "2026-12-01T00:00:00.000Z", tenants: tenants.length, coverage: {} });
    stream.planned(tenants[0] as (typeof tenants)[number]);
    stream.planned(tenants[1] as (typeof tenants)[number]);

    // Two tenants in, the run not over: their text is out, their JSON on disk beside the report.
    const whole = renderPlanText({ tenants });
    expect(whole.startsWith(stdout())).toBe(true);
    expect(stdout()).toContain(tenants[1]?.tenant.tenantId);
    const parts = readdirSync(path.dirname(json)).filter((name) => name.endsWith(".part"));
    expect(parts).toHaveLength(1);
    expect(readFileSync(path.join(path.dirname(json), parts[0] as string), "utf8")).toContain(tenants[1]?.tenant.tenantId);
    expect(existsSync(json)).toBe(false);

    stream.planned(tenants[2] as (typeof tenants)[number]);
    stream.planned(tenants[3] as (typeof tenants)[number]);
    const outcome: StreamedOutcome = {
      ...verdict,
      exitCode: 1,
      plan: { summary: summariseFleetPlan(plan) },
      result: null,
      tenants: tenants.map(planSummaryOf),
    };
    stream.finish(outcome);

    expect(stdout()).toBe(whole);
    expect(readFileSync(json, "utf8")).toBe(renderPlanJson({ tenants }));
    expect(readFileSync(markdown, "utf8")).toBe(renderPlanMarkdown({ tenants }));
    expect(readdirSync(path.dirname(json)).filter((name) => name.endsWith(".part"))).toEqual([]);
  });

  it("holds back a changed-files plan's text, whose first line counts the tenants planned", () => {
    const { tenants } = sampleFleetPlan();
    const { output, stdout } = capture();
    const stream = new ReportStream(output, { colour: false });
    stream.begin({ mode: "plan", startedAt: "2026-12-01T00:00:00.000Z", tenants: 4, coverage: { changedFiles: 3 } });
    stream.planned(tenants[0] as (typeof tenants)[number]);
    stream.planned(tenants[1] as (typeof tenants)[number]);
    expect(stdout()).toBe("");
    const planned = { tenants: tenants.slice(0, 2), changedFiles: 3 };
    stream.finish({
      ...verdict,
      exitCode: 2,
      plan: { summary: summariseFleetPlan(planned), changedFiles: 3 },
      result: null,
      tenants: planned.tenants.map(planSummaryOf),
    });
    expect(stdout()).toBe(renderPlanText(planned));
  });

  it("write an empty plan as the whole-plan renderings do", () => {
    const { output, stdout } = capture();
    const json = path.join(dir, "plan.json");
    const stream = new ReportStream(output, { json, colour: false });
    stream.begin({ mode: "plan", startedAt: "2026-12-01T00:00:00.000Z", tenants: 0, coverage: {} });
    stream.finish({ ...verdict, exitCode: 0, plan: { summary: summariseFleetPlan({ tenants: [] }) }, result: null, tenants: [] });
    expect(stdout()).toBe(renderPlanText({ tenants: [] }));
    expect(readFileSync(json, "utf8")).toBe(renderPlanJson({ tenants: [] }));
  });

  it("write a run's results as they come, masked, and the same as the whole-result renderings", () => {
    const result = sampleRunResult();
    const { output, stdout } = capture();
    const json = path.join(dir, "result.json");
    const markdown = path.join(dir, "result.md");
    const stream = new ReportStream(output, { json, markdown, colour: false });
    stream.begin({ mode: result.mode, startedAt: result.startedAt, tenants: result.tenants.length, coverage: {} });
    for (const tenant of result.tenants) stream.ran(tenant);
    const { tenants, ...totals } = result;
    stream.finish({
      ...verdict,
      exitCode: result.exitCode,
      plan: { summary: summariseFleetPlan({ tenants: [] }) },
      result: totals,
      tenants: tenants.map((t) => resultSummaryOf(t, null)),
    });
    expect(stdout()).toBe(renderResultText(result));
    expect(readFileSync(json, "utf8")).toBe(renderResultJson(result));
    expect(readFileSync(markdown, "utf8")).toBe(renderResultMarkdown(result));
    expect(readFileSync(json, "utf8")).not.toContain(SECRET_JWT);
  });
});
