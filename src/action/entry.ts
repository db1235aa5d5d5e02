/**
 * The Action's entry: masks secrets, reads and checks every input, and only then loads the run
 * (main.ts: the engine, the Microsoft clients, the reports), a separate file of the bundle,
 * so that a bad input is refused without loading what the run needs (README, "Start-up").
 */
import * as core from "@actions/core";
import { SecretRedactor } from "../cloud/secrets";
import { annotator, fail, messageOf } from "./annotate";
import { InputError, parseInputs, secretsToMask, type ActionInputs } from "./inputs";

/** Runs the Action. Never throws: every failure ends in {@link fail}. */
export async function run(): Promise<void> {
  const getInput = (name: string): string => core.getInput(name);
  // First of all, so that nothing printed later, by this code or a library, shows a secret.
  const redactor = new SecretRedactor();
  for (const secret of secretsToMask(getInput)) {
    core.setSecret(secret);
    redactor.register(secret);
  }
  const annotate = annotator(redactor);

  let inputs: ActionInputs;
  try {
    inputs = parseInputs(getInput, process.env);
  } catch (error) {
    core.setOutput("exit-code", "1");
    fail(annotate, error instanceof InputError ? error.message : messageOf(error));
    return;
  }

  let runChecked: (inputs: ActionInputs, redactor: SecretRedactor) => Promise<void>;
  try {
    ({ runChecked } = await import("./main.js"));
  } catch (error) {
    core.setOutput("exit-code", "1");
    fail(annotate, `cipp-cpv could not run: ${messageOf(error)}`);
    return;
  }
  await runChecked(inputs, redactor);
}
