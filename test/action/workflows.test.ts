/** The workflows use the Action as action.yml defines it: known inputs, known outputs, the permissions they need. */
import { readdirSync, readFileSync } from "node:fs";
import * as path from "node:path";
import { parse } from "yaml";
import { ROOT } from "./runner";

interface Step {
  readonly id?: string;
  readonly if?: string;
  readonly run?: string;
  readonly uses?: string;
  readonly with?: Record<string, unknown>;
}
interface Job {
  readonly if?: string;
  readonly environment?: string;
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

test.each(usingAction.map((w) => [w.file, w] as const))(
  "%s: steps using the Action pass only its inputs and read only its outputs",
  (_file, w) => {
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
  },
);

const plan = workflows.find((w) => w.file === "cpv-plan.yml")?.workflow;
const allJobs = workflows.flatMap((w) => Object.entries(w.workflow.jobs).map(([name, job]) => ({ file: w.file, name, job })));
const where = (predicate: (job: Job) => boolean): string[] =>
  allJobs
    .filter((j) => predicate(j.job))
    .map((j) => `${j.file}:${j.name}`)
    .sort();
const actionStep = (job: Job | undefined): Step | undefined => job?.steps.find((step) => step.uses === "./");
const secretNames = (job: Job): string[] =>
  [...new Set([...JSON.stringify(job).matchAll(/secrets\.([A-Z_]+)/g)].map((m) => m[1] ?? ""))].sort();

describe("cpv-refresh.yml: the apply workflow", () => {
  if (refresh === undefined) throw new Error("cpv-refresh.yml is missing");
  const apply = refresh.jobs["apply"];

  test("nightly at 00:00 UTC, on a push to the default branch that changes stacks/, and by hand", () => {
    expect(Object.keys(refresh.on).sort()).toEqual(["push", "schedule", "workflow_dispatch"]);
    expect(refresh.on["schedule"]).toEqual([{ cron: "0 0 * * *" }]);
    expect(refresh.on["push"]).toEqual({ branches: ["main"], paths: ["stacks/**"] });
    const dispatch = refresh.on["workflow_dispatch"] as { inputs: Record<string, { required?: boolean; options?: string[] }> };
    expect(Object.keys(dispatch.inputs).sort()).toEqual(["confirm", "mode", "tenant"]);
    expect(dispatch.inputs["mode"]?.options).toEqual(["refresh", "reset"]);
    // An empty tenant refreshes the fleet; a reset without one is refused by the Action (test/action/inputs.test.ts).
    expect(dispatch.inputs["tenant"]?.required).toBe(false);
  });

  test("one credentialed job, in the cipp-cpv environment, on the default branch, with OIDC and read-only contents", () => {
    expect(refresh.permissions).toEqual({});
    expect(apply?.environment).toBe("cipp-cpv");
    expect(apply?.if).toBe(
      "!cancelled() && (needs.since.result == 'success' || needs.since.result == 'skipped') && " +
        "(github.event_name == 'schedule' || github.ref == format('refs/heads/{0}', github.event.repository.default_branch))",
    );
    expect(apply?.permissions).toEqual({ contents: "read", "id-token": "write" });
  });

  test("a push refreshes exactly the tenants it changed: its diff is the Action's changed-files", () => {
    const diff = apply?.steps.find((step) => step.id === "changes");
    expect(diff?.if).toBe("github.event_name == 'push'");
    expect(diff?.run).toContain('diff --no-renames --name-only "$BEFORE" "$AFTER" -- stacks/');
    expect(actionStep(apply)?.with?.["changed-files"]).toBe("${{ steps.changes.outputs.files }}");
    expect(actionStep(apply)?.with?.["mode"]).toBe("${{ github.event_name == 'workflow_dispatch' && inputs.mode || 'refresh' }}");
  });

  test("the rotated refresh token is written back to the environment secret it came from", () => {
    const inputs = actionStep(apply)?.with ?? {};
    expect(inputs["refresh-token"]).toBe("${{ secrets.CIPP_REFRESH_TOKEN }}");
    expect(inputs["refresh-token-secret"]).toBe("CIPP_REFRESH_TOKEN");
    expect(inputs["refresh-token-secret-environment"]).toBe(apply?.environment);
    expect(inputs["secrets-token"]).toBe("${{ secrets.CIPP_SECRETS_TOKEN }}");
  });

  test("the nightly consents the tenants whose GDAP access changed since the last successful nightly, found by a job without credential", () => {
    const since = refresh.jobs["since"] as (Job & { outputs?: Record<string, string>; "timeout-minutes"?: number }) | undefined;
    expect(since?.if).toBe("github.event_name == 'schedule'");
    // No secret, no OIDC token, no environment, no checkout: it only reads this workflow's run history.
    expect(since?.permissions).toEqual({ actions: "read" });
    expect(since?.environment).toBeUndefined();
    expect(secretNames(since as Job)).toEqual([]);
    expect(JSON.stringify(since)).not.toMatch(/id-token|secrets\./);
    expect(since?.steps.some((step) => step.uses !== undefined)).toBe(false);
    expect(typeof since?.["timeout-minutes"]).toBe("number");
    const script = since?.steps.map((step) => step.run ?? "").join("\n") ?? "";
    expect(script).toMatch(/gh run list --workflow cpv-refresh\.yml --branch "\$BRANCH" --event schedule --status success --limit 1/);
    expect(script).toContain("--json createdAt --jq '.[0].createdAt // empty'");
    expect(script).toContain("date -u -d '25 hours ago'");
    expect(since?.outputs).toEqual({ since: "${{ steps.last.outputs.since }}" });
    expect((apply as Job & { needs?: string }).needs).toBe("since");
    expect(actionStep(apply)?.with?.["gdap-changed-since"]).toBe("${{ needs.since.outputs.since }}");
  });

  test("writes never overlap and a running one is never cancelled; a cancelled one fails the run", () => {
    expect(apply?.concurrency).toEqual({ group: "cipp-cpv-write", "cancel-in-progress": false });
    const notApplied = refresh.jobs["not-applied"] as (Job & { needs?: string }) | undefined;
    expect(notApplied?.needs).toBe("apply");
    expect(notApplied?.if).toBe("always() && needs.apply.result == 'cancelled'");
    expect(notApplied?.permissions).toEqual({});
    expect(notApplied?.steps.map((step) => (step as { run?: string }).run ?? "").join("\n")).toMatch(
      /::error title=Not applied::[\s\S]*exit 1/,
    );
  });
});

describe("cpv-plan.yml: pull requests", () => {
  if (plan === undefined) throw new Error("cpv-plan.yml is missing");
  const planJob = plan.jobs["plan"];
  const validate = plan.jobs["validate"];
  const comment = plan.jobs["comment"];

  test("pull_request_target only: the default branch's workflow and Action, never the pull request's", () => {
    expect(plan.on).toEqual({ pull_request_target: { types: ["opened", "synchronize", "reopened"], paths: ["stacks/**"] } });
    expect(plan.permissions).toEqual({});
  });

  test("the plan job runs the Action from the default branch's checkout on the head's stacks/, fetched sparse into a folder", () => {
    const [base, head] = planJob?.steps ?? [];
    expect(base?.with).toEqual({ "persist-credentials": false });
    expect(head?.with).toMatchObject({
      ref: "${{ github.event.pull_request.head.sha }}",
      path: "pull-request",
      "sparse-checkout": "/stacks/",
      "sparse-checkout-cone-mode": false,
      "persist-credentials": false,
    });
    const inputs = actionStep(planJob)?.with ?? {};
    expect(inputs["mode"]).toBe("plan");
    expect(inputs["stacks"]).toBe("pull-request/stacks");
    expect(inputs["changed-files"]).toBe("${{ steps.changes.outputs.files }}");
    // The diff's paths are mapped into the folder the head was fetched into, as changed-files resolves them.
    expect(planJob?.steps.find((step) => step.id === "changes")?.run).toContain("| sed 's|^|pull-request/|'");
    expect(inputs["refresh-token-secret"]).toBeUndefined();
  });

  test("same-repository pull requests are planned with credentials; forks are validated offline with none", () => {
    expect(planJob?.if).toBe("github.event.pull_request.head.repo.full_name == github.repository");
    expect(planJob?.environment).toBe("cipp-cpv");
    expect(planJob?.permissions).toEqual({ contents: "read", "id-token": "write" });
    expect(validate?.if).toBe("github.event.pull_request.head.repo.full_name != github.repository");
    expect(validate?.permissions).toEqual({ contents: "read" });
    expect(validate?.environment).toBeUndefined();
    expect(secretNames(validate ?? { steps: [] })).toEqual([]);
    expect(JSON.stringify(validate)).toContain("node lib/src/cli.js validate --stacks pull-request/stacks");
  });

  test("the comment is posted by its own job, holding only pull-requests: write, from the artifact the others left", () => {
    expect(comment?.permissions).toEqual({ "pull-requests": "write" });
    expect(comment?.steps.map((step) => step.uses?.split("@")[0])).toEqual(["actions/download-artifact", "actions/github-script"]);
    expect(secretNames(comment ?? { steps: [] })).toEqual([]);
  });
});

describe("where credentials flow, across every workflow", () => {
  test("id-token: write and an environment only in the jobs that run the default branch's Action or CLI", () => {
    const credentialed = ["cpv-discover.yml:discover", "cpv-plan.yml:plan", "cpv-refresh.yml:apply"];
    expect(where((job) => job.permissions?.["id-token"] === "write")).toEqual(credentialed);
    expect(where((job) => job.environment !== undefined)).toEqual(credentialed);
  });

  test("each secret is named only in those jobs; the secrets token only where the token is written back", () => {
    const uses = new Map<string, string[]>();
    for (const j of allJobs)
      for (const name of secretNames(j.job)) uses.set(name, [...(uses.get(name) ?? []), `${j.file}:${j.name}`].sort());
    expect(Object.fromEntries(uses)).toEqual({
      // Opens the discovery pull request: writes to this repository only, in the job with no CIPP credential.
      CIPP_DISCOVERY_PR_TOKEN: ["cpv-discover.yml:pull-request"],
      CIPP_REFRESH_TOKEN: ["cpv-discover.yml:discover", "cpv-plan.yml:plan", "cpv-refresh.yml:apply"],
      CIPP_SAM_CLIENT_SECRET: ["cpv-discover.yml:discover", "cpv-plan.yml:plan", "cpv-refresh.yml:apply"],
      CIPP_SECRETS_TOKEN: ["cpv-refresh.yml:apply"],
    });
  });

  test("every job has a timeout and every checkout drops its token", () => {
    for (const j of allJobs) {
      expect([j.name, typeof (j.job as { "timeout-minutes"?: unknown })["timeout-minutes"]]).toEqual([j.name, "number"]);
      for (const step of j.job.steps.filter((s) => s.uses?.startsWith("actions/checkout@")))
        expect(step.with?.["persist-credentials"]).toBe(false);
    }
  });
});
