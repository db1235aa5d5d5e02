/**
 * The Action's run, once every input has been checked (entry.ts): runs the engine, writes the
 * rotated refresh token back to its secret, and reports to GitHub (outputs, job summary,
 * annotations, log, exit status). Loaded only then, with everything the run needs.
 */
import * as core from "@actions/core";
import { mkdtemp, writeFile } from "node:fs/promises";
import * as path from "node:path";
import { runEngine, type RunOutcome } from "../run/engine";
import type { SecretRedactor } from "../cloud/secrets";
import { DeclarationError } from "../desired/declaration-error";
import { gdapChangedSinceLine, refreshOnGdapChangesSince } from "../discover/gdap-refresh";
import {
  renderPlanJson,
  renderPlanMarkdown,
  renderPlanText,
  renderResultJson,
  renderResultMarkdown,
  renderResultText,
  stopSentence,
} from "../report";
import { annotator, fail, messageOf, type Annotate } from "./annotate";
import { GitHubSecrets, GitHubSecretsError } from "./github-secrets";
import { logText } from "./log-text";
import type { ActionInputs } from "./inputs";
import { declarationAnnotations, progressLine, verdictOf, withinLimits, type Annotation } from "./outcome";
import { runRequestOf } from "./request";

/**
 * Entra ID ends a refresh token unused for 90 days. A stored token older than this has not been
 * renewed for two months: warn while there is a month left to fix the write-back or sign in again.
 */
export const TOKEN_AGE_WARNING_DAYS = 60;
const TOKEN_LIFETIME_DAYS = 90;
const DAY_MS = 86_400_000;

/**
 * Runs the engine with the checked inputs and reports. Never throws: every failure ends in
 * {@link fail}. `redactor` holds every secret input, already masked.
 */
export async function runChecked(inputs: ActionInputs, redactor: SecretRedactor): Promise<void> {
  const annotate = annotator(redactor);
  const secrets = inputs.refreshTokenSecret === undefined ? null : new GitHubSecrets(inputs.refreshTokenSecret);
  try {
    if (secrets !== null) await warnOfTokenAge(secrets, annotate);
    const request = runRequestOf(inputs, {
      getIdToken: (audience) => core.getIDToken(audience),
      onProgress: (progress) => core.info(logText(redactor.redact(progressLine(progress)))),
    });
    let outcome: RunOutcome;
    if (inputs.gdapChangedSince !== undefined) {
      const gdap = await refreshOnGdapChangesSince(request, inputs.gdapChangedSince, { redactor });
      core.info(logText(redactor.redact(gdapChangedSinceLine(inputs.gdapChangedSince, gdap.changed, gdap.unread))));
      outcome = gdap.outcome;
    } else {
      outcome = await runEngine(request, { redactor });
    }
    // The token first: whatever reporting does, the new token must not be lost.
    const written = await persistRotatedToken(outcome.rotatedRefreshToken, secrets, redactor, annotate);
    await report(inputs, outcome, redactor, annotate);
    if (!written) fail(annotate, null);
  } catch (error) {
    core.setOutput("exit-code", "1");
    if (error instanceof DeclarationError) {
      const workspace = process.env["GITHUB_WORKSPACE"] ?? process.cwd();
      for (const annotation of withinLimits(declarationAnnotations(error.problems, workspace)).shown) annotate(annotation);
    }
    fail(annotate, `cipp-cpv could not run: ${messageOf(error)}`);
  }
}

/** Warns when the stored refresh token has not been renewed for long enough that it may soon expire. */
async function warnOfTokenAge(secrets: GitHubSecrets, annotate: Annotate): Promise<void> {
  let updated: Date | null;
  try {
    updated = await secrets.updatedAt();
  } catch (error) {
    annotate({ level: "warning", title: "Refresh token age unknown", message: messageOf(error) });
    return;
  }
  if (updated === null) {
    annotate({
      level: "warning",
      title: "Refresh token secret not found",
      message:
        `The ${secrets.describe()} does not exist, or the secrets-token may not read it. It is created when Entra ID rotates the ` +
        "refresh token during this run, if the secrets-token may write it.",
    });
    return;
  }
  const days = Math.floor((Date.now() - updated.getTime()) / DAY_MS);
  if (days < TOKEN_AGE_WARNING_DAYS) {
    core.info(`The ${secrets.describe()} was last renewed ${days} day(s) ago.`);
    return;
  }
  annotate({
    level: "warning",
    title: "Refresh token about to expire",
    message:
      `The ${secrets.describe()} was last renewed ${days} days ago (${updated.toISOString().slice(0, 10)}); Entra ID refuses a refresh ` +
      `token unused for ${TOKEN_LIFETIME_DAYS} days. The runs that should renew it have not: check that they run and that their ` +
      'write-back succeeds, or sign the CIPP service account in again (README, "Getting and renewing the refresh token").',
  });
}

/**
 * Writes the refresh token Entra ID rotated in during the run back to its secret, so that the
 * stored one never ages out. Returns false when a configured write-back failed (the step fails).
 */
async function persistRotatedToken(
  rotated: string | null,
  secrets: GitHubSecrets | null,
  redactor: SecretRedactor,
  annotate: Annotate,
): Promise<boolean> {
  if (rotated !== null) {
    core.setSecret(rotated);
    redactor.register(rotated);
  }
  if (secrets === null) {
    // Once per run: a stored token nobody renews expires after 90 days without use.
    annotate({
      level: "notice",
      title: "Refresh token not renewed",
      message:
        (rotated !== null
          ? "Entra ID issued a new refresh token for the CIPP service account, as it does on every use; it was masked and discarded, "
          : "This run did not renew the stored refresh token, ") +
        "because refresh-token-secret is not set. Set refresh-token-secret and secrets-token on the scheduled run so that the stored " +
        `token is renewed on every run; otherwise Entra ID refuses it once it is ${TOKEN_LIFETIME_DAYS} days old.`,
    });
    return true;
  }
  if (rotated === null) {
    core.info(`Entra ID did not rotate the refresh token in this run; the ${secrets.describe()} is unchanged.`);
    return true;
  }
  try {
    await secrets.write(rotated);
    core.info(`Wrote the rotated refresh token to the ${secrets.describe()}.`);
    return true;
  } catch (error) {
    annotate({
      level: "error",
      title: "Refresh token not written back",
      message:
        `${error instanceof GitHubSecretsError ? error.message : messageOf(error)} The stored token still works, but is not renewed: ` +
        "fix the permission before it ages out.",
    });
    return false;
  }
}

async function report(inputs: ActionInputs, outcome: RunOutcome, redactor: SecretRedactor, annotate: Annotate): Promise<void> {
  const { plan, result } = outcome;
  const dir = await mkdtemp(path.join(inputs.outputDir, "cipp-cpv-"));
  const planMarkdown = redactor.redact(renderPlanMarkdown(plan));
  const files = {
    planJson: path.join(dir, "plan.json"),
    planMarkdown: path.join(dir, "plan.md"),
    resultJson: path.join(dir, "result.json"),
  };
  await writeFile(files.planJson, redactor.redact(renderPlanJson(plan)));
  await writeFile(files.planMarkdown, planMarkdown);
  if (result !== null) await writeFile(files.resultJson, redactor.redact(renderResultJson(result)));

  // The plan (and results) in the log too, folded: the job summary is not where everyone looks.
  core.startGroup("Plan");
  core.info(logText(redactor.redact(renderPlanText(plan))));
  core.endGroup();
  if (result !== null) {
    core.startGroup(result.mode === "reset" ? "Reset results" : "Refresh results");
    core.info(logText(redactor.redact(renderResultText(result))));
    core.endGroup();
  }

  const workspace = process.env["GITHUB_WORKSPACE"] ?? process.cwd();
  const verdict = verdictOf(plan, result, { sources: outcome.sources, workspace });
  core.setOutput("exit-code", String(outcome.exitCode));
  core.setOutput("changes", String(verdict.changes));
  core.setOutput("failed-tenants", JSON.stringify(verdict.failedTenants));
  core.setOutput("plan-json", files.planJson);
  core.setOutput("plan-markdown", files.planMarkdown);
  core.setOutput("result-json", result === null ? "" : files.resultJson);

  // A stopped run has one cause; a per-tenant error would only repeat it.
  const perTenant = outcome.stopped === null ? verdict.annotations : verdict.annotations.filter((a) => a.level !== "error");
  const { shown, dropped } = withinLimits(perTenant);
  for (const annotation of shown) annotate(annotation);
  const notShown = droppedWords(dropped);
  // A deleted tenant file stops the tenant being managed; say so, since nothing is done to the tenant.
  for (const file of plan.deletedTenantFiles ?? []) {
    core.notice(
      redactor.redact(
        `${file} was deleted: its tenant is no longer managed. CIPP-SAM is left as it is there; nothing is reset or removed.`,
      ),
      {
        title: "Tenant file deleted",
      },
    );
  }

  if (inputs.summary) {
    // A refresh or reset shows the plan it applied above what came of it.
    const markdown = result === null ? planMarkdown : `${planMarkdown}\n\n${redactor.redact(renderResultMarkdown(result))}`;
    const stop = outcome.stopped === null ? "" : `> [!CAUTION]\n> ${escapeLine(redactor.redact(stopSentence(outcome.stopped)))}\n\n`;
    await core.summary.addRaw(stop + markdown + redactor.redact(annotationList(perTenant, notShown)), true).write();
  }

  // Plan mode with changes is a success: a pull request's plan must not fail its check.
  if (outcome.stopped !== null) {
    fail(annotate, stopSentence(outcome.stopped));
  } else if (outcome.exitCode === 1) {
    const failed = verdict.failedTenants;
    fail(
      annotate,
      (failed.length > 0 ? `${failed.length} tenant(s) failed: ${failed.join(", ")}.` : "The run failed.") +
        (notShown === "" ? " See the annotations and the job summary." : ` ${notShown}: every one is listed in the job summary.`),
    );
  } else if (shown.length > 0) {
    annotate({
      level: "notice",
      title: "cipp-cpv",
      message: `${verdict.annotations.length} workload(s) blocked in the tenants covered; see the job summary${notShown === "" ? "" : ` (${notShown})`}.`,
    });
  }
}

function droppedWords(dropped: { error: number; warning: number }): string {
  const parts = [
    dropped.error > 0 ? `${dropped.error} more error(s)` : null,
    dropped.warning > 0 ? `${dropped.warning} more warning(s)` : null,
  ].filter((part): part is string => part !== null);
  return parts.length === 0 ? "" : `${parts.join(" and ")} not shown as annotations (GitHub shows 10 of each per step)`;
}

/** Every annotation of the run, for the job summary, when GitHub could not show them all. */
function annotationList(annotations: readonly Annotation[], notShown: string): string {
  if (notShown === "") return "";
  const lines = annotations.map(
    (a) =>
      `- ${a.level === "error" ? "❌" : "⚠️"} ${a.file !== undefined ? `\`${a.file}${a.line !== undefined ? `:${a.line}` : ""}\` ` : ""}${escapeLine(a.message)}`,
  );
  return `\n\n### Every error and warning (${annotations.length})\n\n${lines.join("\n")}\n`;
}

/** One line of Markdown from text that may hold line breaks or HTML. */
function escapeLine(text: string): string {
  return text.replace(/\r?\n/g, " ").replace(/[<>]/g, (c) => (c === "<" ? "&lt;" : "&gt;"));
}
