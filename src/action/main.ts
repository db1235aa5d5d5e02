/**
 * The Action: masks secrets, reads inputs, runs the engine, and reports to GitHub (outputs, job
 * summary, annotations, exit status). The only module that speaks to the runner.
 */
import * as core from "@actions/core";
import { mkdtemp, writeFile } from "node:fs/promises";
import * as path from "node:path";
import { runEngine, type RunOutcome } from "../apply/engine";
import { SecretRedactor } from "../cloud/secrets";
import { DeclarationError } from "../desired/declaration-error";
import { renderPlanJson, renderPlanMarkdown, renderResultJson, renderResultMarkdown } from "../report";
import { annotationText, logText } from "./log-text";
import { InputError, parseInputs, secretsToMask, type ActionInputs } from "./inputs";
import { declarationAnnotations, progressLine, verdictOf, type Annotation } from "./outcome";
import { runRequestOf } from "./request";

/** Runs the Action. Never throws: every failure ends in `core.setFailed`. */
export async function run(): Promise<void> {
  const getInput = (name: string): string => core.getInput(name);
  // First of all, so that nothing printed later, by this code or a library, shows a secret.
  const redactor = new SecretRedactor();
  for (const secret of secretsToMask(getInput)) {
    core.setSecret(secret);
    redactor.register(secret);
  }

  let inputs: ActionInputs;
  try {
    inputs = parseInputs(getInput, process.env);
  } catch (error) {
    core.setOutput("exit-code", "1");
    core.setFailed(logText(error instanceof InputError ? error.message : redactor.redact(messageOf(error))));
    return;
  }

  try {
    const outcome = await runEngine(
      runRequestOf(inputs, {
        getIdToken: (audience) => core.getIDToken(audience),
        onProgress: (progress) => core.info(logText(redactor.redact(progressLine(progress)))),
      }),
    );
    await report(inputs, outcome, redactor);
  } catch (error) {
    core.setOutput("exit-code", "1");
    if (error instanceof DeclarationError) {
      const workspace = process.env["GITHUB_WORKSPACE"] ?? process.cwd();
      for (const annotation of declarationAnnotations(error.problems, workspace)) annotate(annotation, redactor);
    }
    core.setFailed(logText(`cipp-cpv could not run: ${redactor.redact(messageOf(error))}`));
  }
}

function annotate(annotation: Annotation, redactor: SecretRedactor): void {
  const safe = annotationText(annotation);
  const message = redactor.redact(safe.message);
  const properties = {
    title: redactor.redact(safe.title),
    ...(annotation.file !== undefined ? { file: annotation.file } : {}),
    ...(annotation.line !== undefined ? { startLine: annotation.line } : {}),
  };
  if (annotation.level === "error") core.error(message, properties);
  else core.warning(message, properties);
}

async function report(inputs: ActionInputs, outcome: RunOutcome, redactor: SecretRedactor): Promise<void> {
  if (outcome.rotatedRefreshToken !== null) {
    core.setSecret(outcome.rotatedRefreshToken);
    redactor.register(outcome.rotatedRefreshToken);
    // A step output or log is readable by anyone with access to the run; a secret never goes there.
    // Entra ID rotates the token on every use and keeps the earlier one valid, so this is a
    // notice, not a warning: the stored secret goes on working until its own lifetime ends.
    core.notice(
      "Entra ID issued a new refresh token for the CIPP service account, as it does on every use. The Action never " +
        "outputs secrets, so it was masked and discarded; the stored refresh-token secret keeps working until Entra ID " +
        "expires or revokes it. Renew the stored secret on your usual schedule (e.g. `cipp-cpv refresh --refresh-token-out FILE`).",
    );
  }

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

  const verdict = verdictOf(plan, result);
  core.setOutput("exit-code", String(outcome.exitCode));
  core.setOutput("changes", String(verdict.changes));
  core.setOutput("failed-tenants", JSON.stringify(verdict.failedTenants));
  core.setOutput("plan-json", files.planJson);
  core.setOutput("plan-markdown", files.planMarkdown);
  core.setOutput("result-json", result === null ? "" : files.resultJson);

  for (const annotation of verdict.annotations) annotate(annotation, redactor);

  if (inputs.summary) {
    const markdown = result === null ? planMarkdown : redactor.redact(renderResultMarkdown(result));
    await core.summary.addRaw(markdown, true).write();
  }

  // Plan mode with changes is a success: a pull request's plan must not fail its check.
  if (outcome.exitCode === 1) {
    const failed = verdict.failedTenants;
    core.setFailed(
      failed.length > 0
        ? logText(`${failed.length} tenant(s) failed: ${failed.join(", ")}. See the annotations and the job summary.`)
        : "The run failed; see the job summary.",
    );
  }
}

function messageOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
