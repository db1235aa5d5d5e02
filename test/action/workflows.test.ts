/** The workflows use the Action as action.yml defines it: known inputs, known outputs, the permissions they need. */
import { readdirSync, readFileSync } from "node:fs";
import * as path from "node:path";
import { parse } from "yaml";
import { ROOT } from "./runner";

interface Step {
  readonly id?: string;
  readonly uses?: string;
  readonly with?: Record<string, unknown>;
}
interface Job {
  readonly if?: string;
  readonly permissions?: Record<string, string>;
  readonly concurrency?: { readonly group: string; readonly "cancel-in-progress"?: boolean };
  readonly steps: readonly Step[];
}
interface Workflow {
  readonly on: Record<string, unknown>;
  readonly permissions?: Record<string, string>;
  readonly jobs: Record<string, Job>;
}

const action = parse(readFileSync(path.join(ROOT, "action.yml"), "utf8")) as {
  inputs: Record<string, unknown>;
  outputs: Record<string, unknown>;
  runs: { using: string; main: string };
};
const workflowDir = path.join(ROOT, ".github", "workflows");
const workflows = readdirSync(workflowDir).map((file) => ({
  file,
  text: readFileSync(path.join(workflowDir, file), "utf8"),
  workflow: parse(readFileSync(path.join(workflowDir, file), "utf8")) as Workflow,
}));
const refresh = workflows.find((w) => w.file === "cpv-refresh.yml")?.workflow;

test("action.yml runs the committed bundle on node24", () => {
  expect(action.runs).toEqual({ using: "node24", main: "dist/index.js" });
});

const usingAction = workflows.filter((w) => /uses: \.\/\s*$/m.test(w.text));

test("the refresh workflow uses the Action from this repository", () => {
  expect(usingAction.map((w) => w.file)).toContain("cpv-refresh.yml");
});

test("ci.yml runs .ci/run, which checks the committed bundle and then runs the tests", () => {
  const ci = workflows.find((w) => w.file === "ci.yml")?.workflow;
  const runs = Object.values(ci?.jobs ?? {}).flatMap((job) => job.steps.map((step) => (step as { run?: string }).run ?? ""));
  expect(runs).toContain(".ci/run");
  const script = readFileSync(path.join(ROOT, ".ci", "run"), "utf8").split("\n");
  const line = (command: string): number => script.findIndex((l) => l.startsWith(command));
  expect(line("npm ci")).toBeGreaterThanOrEqual(0);
  expect(line("npm run bundle -- --check")).toBeGreaterThan(line("npm ci"));
  expect(line("npm test")).toBeGreaterThan(line("npm run bundle -- --check"));
});

test.each(usingAction.map((w) => [w.file, w] as const))("%s: steps using the Action pass only its inputs and read only its outputs", (_file, w) => {
  const actionSteps = Object.values(w.workflow.jobs).flatMap((job) => job.steps.filter((step) => step.uses === "./"));
  for (const step of actionSteps) {
    for (const input of Object.keys(step.with ?? {})) expect(Object.keys(action.inputs)).toContain(input);
  }
  const ids = actionSteps.flatMap((step) => (step.id ? [step.id] : []));
  for (const id of ids) {
    for (const match of w.text.matchAll(new RegExp(`steps\\.${id}\\.outputs\\.([a-z-]+)`, "g"))) {
      expect(Object.keys(action.outputs)).toContain(match[1]);
    }
  }
});

describe("cpv-refresh.yml", () => {
  if (refresh === undefined) throw new Error("cpv-refresh.yml is missing");
  const jobs = Object.values(refresh.jobs);

  test("nightly at 00:00 UTC, by hand for one tenant, and on pull requests that change stacks/", () => {
    expect(refresh.on["schedule"]).toEqual([{ cron: "0 0 * * *" }]);
    const dispatch = refresh.on["workflow_dispatch"] as { inputs: Record<string, { options?: string[] }> };
    expect(Object.keys(dispatch.inputs).sort()).toEqual(["confirm", "mode", "tenant"]);
    expect(dispatch.inputs["mode"]?.options).toEqual(["refresh", "reset"]);
    expect(refresh.on["pull_request"]).toEqual({ paths: ["stacks/**"] });
  });

  test("no permission by default; OIDC for every job; pull-request write only where the plan is posted", () => {
    expect(refresh.permissions).toEqual({});
    for (const job of jobs) expect(job.permissions?.["id-token"]).toBe("write");
    const writers = jobs.filter((job) => job.permissions?.["pull-requests"] === "write");
    expect(writers).toHaveLength(1);
    expect(writers[0]?.if).toBe("github.event_name == 'pull_request'");
    expect(writers[0]?.steps.find((step) => step.uses === "./")?.with?.["mode"]).toBe("plan");
  });

  test("refreshes never overlap, and a running one is never cancelled", () => {
    const appliers = jobs.filter((job) => job.if === "github.event_name != 'pull_request'");
    expect(appliers).toHaveLength(1);
    expect(appliers[0]?.concurrency).toEqual({ group: "cipp-cpv-apply", "cancel-in-progress": false });
  });

  test("secrets come from repository secrets, never as plain text", () => {
    for (const job of jobs) {
      const inputs = job.steps.find((step) => step.uses === "./")?.with ?? {};
      expect(inputs["refresh-token"]).toBe("${{ secrets.CIPP_REFRESH_TOKEN }}");
      expect(inputs["client-secret"]).toBe("${{ secrets.CIPP_SAM_CLIENT_SECRET }}");
    }
  });
});
