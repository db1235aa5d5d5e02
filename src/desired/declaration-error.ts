/**
 * Problems found in the declarations under stacks/, each pointing at a file, a line and a field,
 * reported all at once so that one run shows everything to fix.
 */

/** One problem in a declaration file. */
export interface DeclarationProblem {
  /** The file, as the loader was given it (e.g. "stacks/tenants/contoso.yaml"). */
  readonly file: string;
  /** 1-based line of the offending field (1 when the file as a whole is at fault). */
  readonly line: number;
  /** The field's path, e.g. "add[0].scopes[2]"; empty when the file as a whole is at fault. */
  readonly field: string;
  readonly message: string;
}

/** `file:line: field: message`, as compilers print them, so editors can jump to the spot. */
export function formatProblem(problem: DeclarationProblem): string {
  const field = problem.field === "" ? "" : `${problem.field}: `;
  return `${problem.file}:${problem.line}: ${field}${problem.message}`;
}

/** Problems by file, then line, then field (list indexes as numbers, so [2] comes before [10]). */
function inFileOrder(problems: readonly DeclarationProblem[]): DeclarationProblem[] {
  const byField = new Intl.Collator("en", { numeric: true });
  return [...problems].sort((a, b) =>
    a.file !== b.file ? (a.file < b.file ? -1 : 1) : a.line - b.line || byField.compare(a.field, b.field),
  );
}

/** The message lists this many problems at most; `problems` holds them all. */
const MAX_LISTED = 100;

/** Thrown by the loader when any declaration is wrong; carries every problem found, by file and line. */
export class DeclarationError extends Error {
  readonly problems: readonly DeclarationProblem[];

  constructor(problems: readonly DeclarationProblem[]) {
    const ordered = inFileOrder(problems);
    const count = ordered.length === 1 ? "1 problem" : `${ordered.length} problems`;
    const listed = ordered.slice(0, MAX_LISTED).map((p) => `  ${formatProblem(p)}`);
    if (ordered.length > MAX_LISTED) listed.push(`  … and ${ordered.length - MAX_LISTED} more`);
    super(`The declarations have ${count}:\n${listed.join("\n")}`);
    this.name = "DeclarationError";
    this.problems = ordered;
  }
}

/** A field path as the problems print it: ["add", 0, "scopes"] → "add[0].scopes". */
export function fieldPath(path: readonly (string | number)[]): string {
  return path.reduce<string>((text, part) => (typeof part === "number" ? `${text}[${part}]` : text === "" ? part : `${text}.${part}`), "");
}
