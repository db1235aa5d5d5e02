/**
 * The write queue cpv-refresh.yml sets up, played through GitHub's documented concurrency rules: in
 * one group at most one run is in progress and one pending; a newly queued run cancels the pending
 * one; with cancel-in-progress false a running one is never cancelled. The groups and the job that
 * reports a cancelled write are read from the workflow file.
 */
import { readFileSync } from "node:fs";
import * as path from "node:path";
import { parse } from "yaml";

interface Job {
  readonly if?: string;
  readonly needs?: string;
  readonly concurrency?: { readonly group: string; readonly "cancel-in-progress": boolean };
  readonly steps: readonly { readonly run?: string }[];
}
const workflow = parse(readFileSync(path.resolve(__dirname, "..", "..", ".github", "workflows", "cpv-refresh.yml"), "utf8")) as {
  jobs: Record<string, Job>;
};

interface Write {
  readonly name: string;
  /** The tenants it writes to; "*" for every tenant. */
  readonly tenants: readonly string[];
  /** The values `${{ … }}` in the group takes for this run. */
  readonly context: Readonly<Record<string, string>>;
}
type Outcome = "succeeded" | "failed" | "cancelled, unreported";

/** GitHub's rules for one job's concurrency, over a timeline of queued runs and completions. */
function play(job: Job, reporter: Job | undefined, timeline: readonly (Write | "finish")[]) {
  const groupOf = (write: Write): string =>
    (job.concurrency?.group ?? write.name).replace(/\$\{\{\s*([^}]+?)\s*\}\}/g, (_m, key: string) => write.context[key] ?? "");
  const running = new Map<string, Write>();
  const pending = new Map<string, Write>();
  const outcomes = new Map<string, Outcome>();
  const overlaps: string[] = [];
  const start = (group: string, write: Write): void => {
    for (const other of running.values()) {
      if (write.tenants.some((t) => t === "*" || other.tenants.includes("*") || other.tenants.includes(t)))
        overlaps.push(`${other.name} + ${write.name}`);
    }
    running.set(group, write);
  };
  // The job GitHub runs after a cancelled write: it fails the run when its condition holds for a cancelled apply.
  const cancelled = (write: Write): void => {
    const reports =
      reporter?.needs === "apply" &&
      reporter.if === "always() && needs.apply.result == 'cancelled'" &&
      reporter.steps.some((s) => /exit 1\s*$/.test(s.run ?? ""));
    outcomes.set(write.name, reports ? "failed" : "cancelled, unreported");
  };
  for (const event of timeline) {
    if (event === "finish") {
      const [group, write] = [...running.entries()][0] ?? [];
      if (group === undefined || write === undefined) continue;
      running.delete(group);
      outcomes.set(write.name, "succeeded");
      const next = pending.get(group);
      if (next !== undefined) {
        pending.delete(group);
        start(group, next);
      }
      continue;
    }
    const group = groupOf(event);
    if (!running.has(group)) start(group, event);
    else {
      const replaced = pending.get(group);
      if (replaced !== undefined) cancelled(replaced);
      pending.set(group, event);
    }
  }
  return { outcomes, overlaps };
}

const nightly: Write = { name: "nightly", tenants: ["*"], context: { "inputs.tenant": "" } };
const reset: Write = { name: "reset contoso", tenants: ["contoso"], context: { "inputs.tenant": "contoso" } };
const merge: Write = { name: "merge adding fabrikam", tenants: ["fabrikam"], context: { "inputs.tenant": "" } };
const refreshContoso: Write = { name: "refresh contoso", tenants: ["contoso"], context: { "inputs.tenant": "contoso" } };
const apply = workflow.jobs["apply"];
const reporter = workflow.jobs["not-applied"];
if (apply === undefined) throw new Error("cpv-refresh.yml has no apply job");

test("a reset queued behind the nightly, then displaced by a merge, fails its run instead of vanishing", () => {
  const { outcomes, overlaps } = play(apply, reporter, [nightly, reset, merge, "finish", "finish"]);
  expect(Object.fromEntries(outcomes)).toEqual({ nightly: "succeeded", "reset contoso": "failed", "merge adding fabrikam": "succeeded" });
  expect(overlaps).toEqual([]);
});

test("writes on the same tenant never run at once, whatever their order", () => {
  for (const timeline of [
    [nightly, reset, "finish", refreshContoso, "finish", "finish"],
    [reset, nightly, "finish", "finish"],
    [refreshContoso, merge, reset, "finish", "finish", "finish"],
  ] as const) {
    expect(play(apply, reporter, timeline).overlaps).toEqual([]);
  }
});

test("the alternatives fail the same plays: per-tenant groups overlap the nightly, and no reporter drops the reset silently", () => {
  const perTenant: Job = { ...apply, concurrency: { group: "cipp-cpv-${{ inputs.tenant }}", "cancel-in-progress": false } };
  expect(play(perTenant, reporter, [nightly, reset]).overlaps).toEqual(["nightly + reset contoso"]);
  expect(play(apply, undefined, [nightly, reset, merge]).outcomes.get("reset contoso")).toBe("cancelled, unreported");
});
