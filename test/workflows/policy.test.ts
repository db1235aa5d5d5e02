/**
 * Every workflow keeps the trust rules (test/workflows/policy.ts) and passes actionlint; and the
 * checker catches each way of breaking them, planted into copies of the real workflows.
 */
// The global expect types asymmetric matchers (expect.stringContaining…) as `any`; @jest/globals types them.
import { expect } from "@jest/globals";
import { readdirSync, readFileSync } from "node:fs";
import * as path from "node:path";
import { actionlint as runLint } from "./actionlint";
import { isMap, isSeq, parseDocument, type Document, type YAMLMap, type YAMLSeq } from "yaml";
import { checkWorkflow, type Finding } from "./policy";

const ROOT = path.resolve(__dirname, "..", "..");
const DIR = path.join(ROOT, ".github", "workflows");
const files = readdirSync(DIR).filter((file) => /\.ya?ml$/.test(file));
const read = (file: string): string => readFileSync(path.join(DIR, file), "utf8");

test("the workflows folder holds the refresh, plan and CI workflows (and is checked whole)", () => {
  expect(files).toEqual(expect.arrayContaining(["ci.yml", "cpv-plan.yml", "cpv-refresh.yml"]));
});

test.each(files)("%s keeps every trust rule", (file) => {
  expect(checkWorkflow(file, read(file))).toEqual([]);
});

test.each(files)("%s passes actionlint", async (file) => {
  expect(await runLint(read(file), `.github/workflows/${file}`)).toEqual([]);
});

/** A copy of a workflow with `change` applied to its YAML document (comments kept). */
function mutate(file: string, change: (doc: Document) => void): string {
  const doc = parseDocument(read(file));
  change(doc);
  return doc.toString({ lineWidth: 0 });
}
function steps(doc: Document, job: string): YAMLSeq {
  const seq = doc.getIn(["jobs", job, "steps"]);
  if (!isSeq(seq)) throw new Error(`no steps in job ${job}`);
  return seq;
}
/** Inserts steps after the job's first step (the default branch's checkout). */
function plantAfterCheckout(doc: Document, job: string, ...planted: object[]): void {
  const seq = steps(doc, job);
  seq.items.splice(1, 0, ...planted.map((step) => doc.createNode(step)));
}
const CHECKOUT = "actions/checkout@3d3c42e5aac5ba805825da76410c181273ba90b1";
const HEAD = "${{ github.event.pull_request.head.sha }}";
const rules = (findings: readonly Finding[], job: string): string[] =>
  [...new Set(findings.filter((f) => f.job === job).map((f) => f.rule))].sort();

describe("planted into cpv-plan.yml's credentialed plan job", () => {
  test("`uses: ./` after a checkout of the pull request's head over the workspace is flagged", async () => {
    const text = mutate("cpv-plan.yml", (doc) =>
      plantAfterCheckout(
        doc,
        "plan",
        { uses: CHECKOUT, with: { ref: HEAD, "persist-credentials": false } },
        { uses: "./", with: { mode: "plan" } },
      ),
    );
    const findings = checkWorkflow("cpv-plan.yml", text);
    expect(findings).toContainEqual(
      expect.objectContaining({
        job: "plan",
        rule: "untrusted-code",
        message: expect.stringContaining("step uses ./ after the pull request's head was checked out over the workspace"),
      }),
    );
    expect(rules(findings, "plan")).toEqual(["checkout", "untrusted-code"]);
    // Still a valid workflow: actionlint alone would not catch it.
    expect(await runLint(text, "cpv-plan.yml")).toEqual([]);
  });

  test("the pull request's own action in its folder, or a script run there, is flagged", () => {
    const inFolder = checkWorkflow(
      "cpv-plan.yml",
      mutate("cpv-plan.yml", (doc) =>
        plantAfterCheckout(
          doc,
          "plan",
          { uses: CHECKOUT, with: { ref: HEAD, path: "head", "sparse-checkout": "/stacks/", "persist-credentials": false } },
          { uses: "./head/", with: { mode: "plan" } },
          { run: "cd head && npm ci" },
          { run: "make", "working-directory": "head" },
        ),
      ),
    );
    expect(inFolder.filter((f) => f.rule === "untrusted-code").map((f) => f.message)).toEqual([
      "step uses ./head/ after the pull request's head was checked out into head/: it would run the pull request's action",
      '"cd head && npm ci" may execute the pull request\'s files',
      "a step runs in head, which holds the pull request's files",
    ]);
  });

  test("a whole (not sparse) checkout of the head, or a fork's, is flagged", () => {
    const findings = checkWorkflow(
      "cpv-plan.yml",
      mutate("cpv-plan.yml", (doc) =>
        plantAfterCheckout(doc, "plan", {
          uses: CHECKOUT,
          with: { ref: HEAD, path: "head", "persist-credentials": false, "allow-unsafe-pr-checkout": true },
        }),
      ),
    );
    expect(findings.filter((f) => f.job === "plan").map((f) => f.message)).toEqual([
      "a credentialed job checks out a fork's code (allow-unsafe-pr-checkout)",
      "the pull request's head is checked out whole; fetch only the data it needs (sparse-checkout)",
    ]);
  });

  test("a third-party action, a cache, or a write permission beside the credentials is flagged", () => {
    const findings = checkWorkflow(
      "cpv-plan.yml",
      mutate("cpv-plan.yml", (doc) => {
        plantAfterCheckout(doc, "plan", {
          uses: "actions/github-script@ed597411d8f924073f98dfc5c65a23a2325f34cd # v8.0.0",
          with: { script: "1" },
        });
        plantAfterCheckout(doc, "plan", { uses: "actions/setup-node@820762786026740c76f36085b0efc47a31fe5020", with: { cache: "npm" } });
        doc.setIn(["jobs", "plan", "permissions", "pull-requests"], "write");
      }),
    );
    expect(findings.filter((f) => f.job === "plan").map((f) => f.message)).toEqual(
      expect.arrayContaining([
        "a credentialed job holds pull-requests: write; give it to a job without credentials",
        "a credentialed job uses actions/github-script; only actions/checkout, actions/upload-artifact, actions/setup-node and this repository's Action may run there",
        "a credentialed job restores a cache, which another branch's run may have written",
      ]),
    );
  });

  test("running the credentialed job on pull_request (the pull request's own workflow) is flagged", () => {
    const findings = checkWorkflow(
      "cpv-plan.yml",
      mutate("cpv-plan.yml", (doc) => {
        const on = doc.get("on") as YAMLMap;
        on.set("pull_request", on.get("pull_request_target"));
        on.delete("pull_request_target");
      }),
    );
    expect(findings).toContainEqual(expect.objectContaining({ job: "plan", rule: "trigger" }));
  });
});

describe("planted into cpv-refresh.yml", () => {
  test("a tag pin, a missing tag comment, a kept token and a missing timeout are flagged", () => {
    const text = read("cpv-refresh.yml")
      .replace("actions/checkout@3d3c42e5aac5ba805825da76410c181273ba90b1 # v7.0.1", "actions/checkout@v7")
      .replace(
        "actions/upload-artifact@bbbca2ddaa5d8feaa63e36b76fdaad77386f024f # v7.0.0",
        "actions/upload-artifact@bbbca2ddaa5d8feaa63e36b76fdaad77386f024f",
      )
      .replace("          persist-credentials: false\n", "")
      .replace("    timeout-minutes: 5\n", "");
    const findings = checkWorkflow("cpv-refresh.yml", text);
    expect(findings.map((f) => f.rule).sort()).toEqual(["persist-credentials", "pin", "pin", "timeout"]);
    expect(findings.find((f) => f.rule === "timeout")?.job).toBe("not-applied");
  });

  test("credentials outside the environment, on a push from any branch, or inherited are flagged", () => {
    const findings = checkWorkflow(
      "cpv-refresh.yml",
      mutate("cpv-refresh.yml", (doc) => {
        doc.deleteIn(["jobs", "apply", "environment"]);
        doc.deleteIn(["on", "push", "branches"]);
        doc.setIn(
          ["jobs", "caller"],
          doc.createNode({ uses: "./.github/workflows/other.yml", secrets: "inherit", permissions: { "id-token": "write" } }),
        );
      }),
    );
    expect(rules(findings, "apply")).toEqual(["environment", "trigger"]);
    expect(rules(findings, "caller")).toEqual(["environment", "secrets", "trigger", "uses"]);
  });

  test("a condition on the default branch that a schedule's event cannot meet is flagged", () => {
    const findings = checkWorkflow(
      "cpv-refresh.yml",
      mutate("cpv-refresh.yml", (doc) => {
        doc.setIn(["jobs", "apply", "if"], "github.ref == format('refs/heads/{0}', github.event.repository.default_branch)");
      }),
    );
    expect(rules(findings, "apply")).toEqual(["schedule"]);
  });

  test("a pull request's title interpolated into a script is flagged in any job", () => {
    const findings = checkWorkflow(
      "cpv-refresh.yml",
      mutate("cpv-refresh.yml", (doc) => {
        const seq = steps(doc, "not-applied");
        seq.items.push(doc.createNode({ name: "Greet", run: 'echo "${{ github.event.pull_request.title }}"' }));
      }),
    );
    expect(findings).toEqual([expect.objectContaining({ job: "not-applied", rule: "injection" })]);
  });

  test("a workflow granting write to every job is flagged", () => {
    const findings = checkWorkflow(
      "cpv-refresh.yml",
      mutate("cpv-refresh.yml", (doc) => doc.set("permissions", doc.createNode({ contents: "write" }))),
    );
    expect(findings.map((f) => f.rule)).toEqual(["permissions"]);
    expect(isMap(parseDocument(read("cpv-refresh.yml")).get("permissions"))).toBe(true);
  });
});
