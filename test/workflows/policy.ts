/**
 * The trust rules every workflow in .github/workflows must keep (README: "Threat model"), checked
 * from the files themselves so that a new workflow, or a change to one, is held to them too.
 *
 * A job is *credentialed* when it can reach something able to write to a customer tenant or to
 * the secrets that can: it names a secret other than GITHUB_TOKEN (and the repository-only tokens
 * below), may request an OIDC token
 * (`id-token: write`), or runs in an environment (whose secrets it then reads).
 */
import { parse } from "yaml";

export interface Finding {
  readonly file: string;
  readonly job: string | null;
  readonly rule: string;
  readonly message: string;
}

interface Step {
  readonly name?: string;
  readonly uses?: string;
  readonly run?: string;
  // An empty `key:` parses as null: YAML gives null wherever a mapping or scalar may be left blank.
  readonly with?: Record<string, unknown> | null;
  readonly "working-directory"?: string;
}
interface Job {
  readonly if?: string;
  readonly permissions?: Record<string, string> | string | null;
  readonly environment?: unknown;
  readonly "timeout-minutes"?: unknown;
  readonly uses?: string;
  readonly secrets?: unknown;
  readonly steps?: readonly Step[];
}
interface Workflow {
  readonly on?: unknown;
  readonly permissions?: Record<string, string> | string | null;
  readonly jobs?: Record<string, Job> | null;
}

/** Triggers whose runs execute the workflow file and code of the pull request itself. */
const PULL_REQUEST_CODE = ["pull_request", "pull_request_review", "pull_request_review_comment"];
/** Triggers that run the default branch's file with its secrets, for an event a pull request causes. */
const PRIVILEGED_FOR_PULL_REQUESTS = ["pull_request_target", "workflow_run"];
/**
 * What a credentialed job may use: checking out (data), keeping artifacts, installing Node (GitHub's
 * own build, pinned; its cache is refused on its own, below) for the CLI, and this repository's Action.
 */
const CREDENTIALED_ACTIONS = ["actions/checkout", "actions/upload-artifact", "actions/setup-node"];
/**
 * Secrets that can write to this repository alone (a GitHub App or fine-grained token scoped to
 * contents and pull requests), never to a tenant or to another secret: naming one does not make a
 * job credentialed. The README's setup says to give such a token no other permission.
 */
const REPOSITORY_ONLY_SECRETS = ["CIPP_DISCOVERY_PR_TOKEN"];
const SHA_PIN = /^[\w.-]+\/[\w./-]+@[0-9a-f]{40}$/;
const TAG_COMMENT = /^v\d+(\.\d+){0,2}$/;
/** Expressions that name the pull request's head: a checkout of it fetches code the pull request controls. */
const PULL_REQUEST_HEAD = /github\.event\.pull_request\.head|github\.head_ref|github\.event\.workflow_run\.head|refs\/pull\//;
/** Text an author of a pull request chooses; interpolated into a script it becomes code. */
const INJECTABLE =
  /\$\{\{[^}]*(github\.event\.pull_request\.(title|body|head\.ref|head\.label)|github\.head_ref|github\.event\.(issue|comment|review)\.(title|body)|github\.event\.workflow_run\.head_branch)[^}]*\}\}/;
/** Commands that execute what they are given. */
const EXECUTES = /(^|[\s;&|(])(bash|sh|source|\.|node|npm|npx|yarn|pnpm|python3?|make|exec|eval|chmod)\s/;

/** The events a workflow's `on:` names. */
export function triggersOf(workflow: { readonly on?: unknown }): string[] {
  const on = workflow.on;
  if (typeof on === "string") return [on];
  if (Array.isArray(on)) return on.map(String);
  return on !== null && typeof on === "object" ? Object.keys(on) : [];
}

/** Every `secrets.NAME` a job names, GITHUB_TOKEN aside. */
export function secretsOf(job: unknown): string[] {
  const names = [...JSON.stringify(job).matchAll(/secrets\.([A-Za-z_][A-Za-z0-9_]*)/g)].map((m) => m[1] ?? "");
  return [...new Set(names)].filter((name) => name !== "GITHUB_TOKEN").sort();
}

function permissionsOf(job: Job): Record<string, string> {
  return typeof job.permissions === "object" && job.permissions !== null ? job.permissions : {};
}

export function isCredentialed(job: Job): boolean {
  return (
    secretsOf(job).some((name) => !REPOSITORY_ONLY_SECRETS.includes(name)) ||
    permissionsOf(job)["id-token"] === "write" ||
    job.environment !== undefined
  );
}

function actionOf(uses: string): string {
  return uses.split("@")[0] ?? uses;
}

/** The folder a checkout writes to, relative to the workspace ("" for the workspace itself). */
function checkoutPath(step: Step): string {
  const folder = step.with?.["path"];
  // A YAML scalar may parse as a number or boolean; a mapping or list is no path.
  return (typeof folder === "string" || typeof folder === "number" || typeof folder === "boolean" ? String(folder) : "")
    .replace(/^\.\/?/, "")
    .replace(/\/+$/, "");
}

/** Checks one workflow file; returns every rule it breaks. */
export function checkWorkflow(file: string, text: string): Finding[] {
  const findings: Finding[] = [];
  const flag = (job: string | null, rule: string, message: string): void => {
    findings.push({ file, job, rule, message });
  };
  const workflow = parse(text) as Workflow;
  const triggers = triggersOf(workflow);
  const runsPullRequestCode = triggers.some((t) => PULL_REQUEST_CODE.includes(t));
  const privileged = triggers.some((t) => PRIVILEGED_FOR_PULL_REQUESTS.includes(t));

  // Pins: every line that uses an action, wherever it is, so that a comment keeps its tag.
  for (const [index, line] of text.split("\n").entries()) {
    const match = /^\s*(?:-\s+)?uses:\s*(['"]?)([^'"\s#]+)\1\s*(?:#\s*(\S+))?/.exec(line);
    if (!match) continue;
    const uses = match[2] ?? "";
    if (uses.startsWith("./")) continue;
    if (uses.startsWith("docker://")) {
      if (!/@sha256:[0-9a-f]{64}$/.test(uses)) flag(null, "pin", `line ${index + 1}: ${uses} is not pinned by digest`);
      continue;
    }
    if (!SHA_PIN.test(uses)) flag(null, "pin", `line ${index + 1}: ${uses} is not pinned by a full commit SHA`);
    else if (!TAG_COMMENT.test(match[3] ?? "")) flag(null, "pin", `line ${index + 1}: ${uses} has no "# vX.Y.Z" comment naming its tag`);
  }

  const top = workflow.permissions;
  // An empty `permissions:` parses as null: it declares nothing, so it is refused as an absent one is.
  if (top === undefined || top === null)
    flag(null, "permissions", "no workflow-level permissions: the token would get the repository's default");
  else if (typeof top === "string" ? top !== "read-all" && top !== "{}" : Object.values(top).some((access) => access === "write")) {
    flag(null, "permissions", "workflow-level permissions grant write; grant it per job");
  }

  for (const [name, job] of Object.entries(workflow.jobs ?? {})) {
    const steps = job.steps ?? [];
    if (
      job.uses === undefined &&
      typeof job["timeout-minutes"] !== "number" &&
      !(typeof job["timeout-minutes"] === "string" && job["timeout-minutes"].includes("${{"))
    ) {
      flag(name, "timeout", "no timeout-minutes: a hung job would hold its runner and concurrency group for 6 hours");
    }
    if (job.secrets === "inherit") flag(name, "secrets", "secrets: inherit hands every secret to the called workflow");
    // A schedule's event carries no repository object: a condition on its default branch is false there,
    // and the nightly would be skipped without a word.
    if (
      triggers.includes("schedule") &&
      typeof job.if === "string" &&
      job.if.includes("github.event.repository.default_branch") &&
      !job.if.includes("github.event_name == 'schedule'")
    ) {
      flag(
        name,
        "schedule",
        "a condition on github.event.repository.default_branch, which a schedule's event lacks: the job never runs on the schedule",
      );
    }
    for (const step of steps) {
      if (step.uses !== undefined && actionOf(step.uses) === "actions/checkout" && step.with?.["persist-credentials"] !== false) {
        flag(name, "persist-credentials", "a checkout without persist-credentials: false leaves the token in .git/config");
      }
      if (step.run !== undefined && INJECTABLE.test(step.run)) {
        flag(
          name,
          "injection",
          `step "${step.name ?? step.run.split("\n")[0]}" interpolates text a pull request's author chooses into a script`,
        );
      }
    }

    if (!isCredentialed(job)) continue;
    const permissions = permissionsOf(job);
    if (job.permissions === undefined) flag(name, "permissions", "a credentialed job must declare its permissions");
    for (const [scope, access] of Object.entries(permissions)) {
      if (access === "write" && scope !== "id-token")
        flag(name, "permissions", `a credentialed job holds ${scope}: write; give it to a job without credentials`);
    }
    if (job.environment === undefined) {
      flag(name, "environment", "a credentialed job outside an environment: its secrets and OIDC subject are open to every branch");
    }
    if (runsPullRequestCode) {
      flag(
        name,
        "trigger",
        `a credentialed job in a workflow run on ${triggers.filter((t) => PULL_REQUEST_CODE.includes(t)).join(", ")}, which runs the pull request's own workflow and code`,
      );
    }
    const push = (
      workflow.on as Record<string, { branches?: unknown; tags?: unknown; "branches-ignore"?: unknown } | null> | null | undefined
    )?.["push"];
    if (
      triggers.includes("push") &&
      (push === undefined ||
        push === null ||
        JSON.stringify(push.branches) !== JSON.stringify(["main"]) ||
        push.tags !== undefined ||
        push["branches-ignore"] !== undefined)
    ) {
      flag(name, "trigger", "a credentialed job run on push to branches other than the default branch");
    }
    if (job.uses !== undefined) flag(name, "uses", "a credentialed job calls a reusable workflow; run its steps here instead");

    // Folders holding a pull request's files in this job: data, never code.
    const untrusted: string[] = [];
    for (const step of steps) {
      const uses = step.uses === undefined ? undefined : actionOf(step.uses);
      if (uses !== undefined && uses !== "." && !uses.startsWith("./") && !CREDENTIALED_ACTIONS.includes(uses)) {
        flag(
          name,
          "action",
          `a credentialed job uses ${uses}; only ${CREDENTIALED_ACTIONS.join(", ")} and this repository's Action may run there`,
        );
      }
      if (
        uses === "actions/cache" ||
        uses === "actions/cache/restore" ||
        Object.entries(step.with ?? {}).some(([key, value]) => key === "cache" && value !== "" && value !== false)
      ) {
        flag(name, "cache", "a credentialed job restores a cache, which another branch's run may have written");
      }
      if (uses === "actions/checkout") {
        const fetchesHead = PULL_REQUEST_HEAD.test(JSON.stringify(step.with ?? {}));
        if (step.with?.["allow-unsafe-pr-checkout"] === true || step.with?.["allow-unsafe-pr-checkout"] === "true") {
          flag(name, "checkout", "a credentialed job checks out a fork's code (allow-unsafe-pr-checkout)");
        }
        if (fetchesHead) {
          const folder = checkoutPath(step);
          if (folder === "")
            flag(
              name,
              "checkout",
              "a credentialed job checks the pull request's head out over the workspace, where its own code runs from",
            );
          if (step.with?.["sparse-checkout"] === undefined)
            flag(name, "checkout", "the pull request's head is checked out whole; fetch only the data it needs (sparse-checkout)");
          untrusted.push(folder);
        } else if (!privileged && step.with?.["ref"] !== undefined && step.with["repository"] !== undefined) {
          flag(name, "checkout", "a credentialed job checks out another repository's ref");
        }
        continue;
      }
      for (const folder of untrusted) {
        const inside = (target: string): boolean => {
          const clean = target.replace(/^\.\//, "").replace(/\/+$/, "");
          return folder === "" || clean === folder || clean.startsWith(`${folder}/`);
        };
        if (step.uses !== undefined && step.uses.startsWith("./") && inside(step.uses)) {
          flag(
            name,
            "untrusted-code",
            `step uses ${step.uses} after the pull request's head was checked out ${folder === "" ? "over the workspace" : `into ${folder}/`}: it would run the pull request's action`,
          );
        }
        if (step["working-directory"] !== undefined && inside(step["working-directory"])) {
          flag(name, "untrusted-code", `a step runs in ${step["working-directory"]}, which holds the pull request's files`);
        }
        if (step.run !== undefined) {
          for (const line of step.run.split("\n")) {
            if (folder === "" ? EXECUTES.test(line) : EXECUTES.test(line) && line.includes(folder)) {
              flag(name, "untrusted-code", `"${line.trim()}" may execute the pull request's files`);
            }
          }
        }
      }
    }
  }
  return findings;
}
