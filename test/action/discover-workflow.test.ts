/**
 * cpv-discover.yml follows the trust rules: the credentialed job runs only the default branch's
 * code and cannot write to the repository; the job that can write holds no CIPP credential; actions
 * are pinned by commit SHA; every job is bounded in time and holds only the permissions it needs.
 */
import { readFileSync } from "node:fs";
import * as path from "node:path";
import { parse } from "yaml";
import { ROOT } from "./runner";

interface Step {
  readonly uses?: string;
  readonly run?: string;
  readonly with?: Record<string, unknown>;
  readonly env?: Record<string, string>;
}
interface Job {
  readonly if?: string;
  readonly needs?: string;
  readonly environment?: string;
  readonly "timeout-minutes"?: number;
  readonly permissions?: Record<string, string>;
  readonly env?: Record<string, string>;
  readonly steps: readonly Step[];
}

const text = readFileSync(path.join(ROOT, ".github", "workflows", "cpv-discover.yml"), "utf8");
const workflow = parse(text) as { on: Record<string, unknown>; permissions?: Record<string, string>; jobs: Record<string, Job> };
const jobs = Object.entries(workflow.jobs);
const discover = workflow.jobs["discover"];
const pullRequest = workflow.jobs["pull-request"];

test("runs on a schedule and by hand only, never on pull request events", () => {
  expect(Object.keys(workflow.on).sort()).toEqual(["schedule", "workflow_dispatch"]);
  expect(workflow.permissions).toEqual({});
});

test("every job has a time limit", () => {
  for (const [, job] of jobs) expect(job["timeout-minutes"]).toBeGreaterThan(0);
});

test("third-party actions are pinned by full commit SHA with their tag in a comment", () => {
  const uses = [...text.matchAll(/uses:\s*(\S+)(.*)$/gm)];
  expect(uses.length).toBeGreaterThan(0);
  for (const [, ref, rest] of uses) {
    expect(ref).toMatch(/^[\w.-]+\/[\w.-]+@[0-9a-f]{40}$/);
    expect(rest).toMatch(/# v\d+\.\d+\.\d+/);
  }
});

test("checkouts keep no credentials", () => {
  for (const [, job] of jobs) {
    for (const step of job.steps.filter((s) => s.uses?.startsWith("actions/checkout@"))) {
      expect(step.with?.["persist-credentials"]).toBe(false);
    }
  }
});

test("the credentialed job runs only on the default branch and cannot write to the repository", () => {
  if (discover === undefined) throw new Error("job discover is missing");
  // A schedule's event carries no repository: the default branch is known from the event name there.
  expect(discover.if).toBe(
    "github.event_name == 'schedule' || github.ref == format('refs/heads/{0}', github.event.repository.default_branch)",
  );
  expect(discover.permissions).toEqual({ contents: "read", "id-token": "write" });
  expect(discover.environment).toBe("cipp-cpv");
  expect(discover.steps.some((s) => (s.run ?? "").includes("discover --write"))).toBe(true);
  // The files leave it only as an artifact.
  expect(discover.steps.some((s) => s.uses?.startsWith("actions/upload-artifact@"))).toBe(true);
});

test("the job that opens the pull request holds no CIPP credential and builds on the default branch", () => {
  if (pullRequest === undefined) throw new Error("job pull-request is missing");
  expect(pullRequest.needs).toBe("discover");
  expect(pullRequest.permissions).toEqual({ contents: "write", "pull-requests": "write" });
  expect(pullRequest.environment).toBeUndefined();
  const own = JSON.stringify(pullRequest);
  expect(own).not.toMatch(/CIPP_REFRESH_TOKEN|CIPP_SAM_CLIENT_SECRET|id-token/);
  const checkout = pullRequest.steps.find((s) => s.uses?.startsWith("actions/checkout@"));
  expect(checkout?.with?.["ref"]).toBe("${{ github.event.repository.default_branch || github.ref_name }}");
  // It runs no code of the repository (no npm, no node): only git and gh on files the artifact holds.
  expect(own).not.toMatch(/npm |node /);
});

test("one pull request from one branch: an open one is updated, never a second", () => {
  const script = pullRequest?.steps.map((s) => s.run ?? "").join("\n") ?? "";
  expect(script).toContain('gh pr list --head "$BRANCH" --state open');
  expect(script).toContain('gh pr edit "$PR_NUMBER"');
  expect(script).toMatch(/if \[ -n "\$PR_NUMBER" \][\s\S]*gh pr edit[\s\S]*else[\s\S]*gh pr create/);
  expect(pullRequest?.env?.["BRANCH"]).toBe("cipp-cpv/discovery");
});
