/**
 * A parsed YAML declaration that remembers where each value was written, so that problems can
 * name the line of the offending field.
 */
import { isMap, isScalar, isSeq, LineCounter, parseDocument, type Document, type Node } from "yaml";
import type { DeclarationProblem } from "./declaration-error";
import { fieldPath } from "./declaration-error";

/** The most alias expansions a declaration may make (yaml's own default, stated so the limit is visible). */
const MAX_ALIAS_COUNT = 100;

/** A path into a declaration: keys and array indexes. */
export type FieldPath = readonly (string | number)[];

/** A declaration file parsed without syntax errors. */
export interface YamlSource {
  readonly file: string;
  /** The plain JavaScript value (null for an empty file). */
  readonly value: unknown;
  /** 1-based line where the value at `path` is written; `key` asks for the key's line instead. */
  lineOf(path: FieldPath, key?: boolean): number;
  /** A problem located at `path`. */
  problemAt(path: FieldPath, message: string, key?: boolean): DeclarationProblem;
}

/** Whether a parsed value is a YAML mapping (a plain object, as opposed to a list, a scalar or null). */
export function isMapping(value: unknown): value is Readonly<Record<string, unknown>> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

function startOf(node: unknown): number | undefined {
  return (node as Node | null | undefined)?.range?.[0];
}

function locate(doc: Document, path: FieldPath, key: boolean): number {
  let node: unknown = doc.contents;
  let offset = startOf(node) ?? 0;
  for (const [index, part] of path.entries()) {
    const last = index === path.length - 1;
    if (isMap(node)) {
      const pair = node.items.find((p) => (isScalar(p.key) ? p.key.value : p.key) === part);
      if (!pair) break;
      offset = (last && key ? startOf(pair.key) : (startOf(pair.value) ?? startOf(pair.key))) ?? offset;
      node = pair.value;
    } else if (isSeq(node) && typeof part === "number") {
      const item = node.items[part];
      if (item === undefined) break;
      offset = startOf(item) ?? offset;
      node = item;
    } else break;
  }
  return offset;
}

/**
 * Parses one declaration file. YAML syntax errors (duplicate keys included) come back as
 * problems with their line; the source is absent when there were any.
 */
export function parseYamlSource(file: string, text: string): { source?: YamlSource; problems: DeclarationProblem[] } {
  const lineCounter = new LineCounter();
  const doc = parseDocument(text, { lineCounter, prettyErrors: false });
  const problems = [...doc.errors, ...doc.warnings].map((e): DeclarationProblem => ({
    file,
    line: lineCounter.linePos(e.pos[0]).line,
    field: "",
    message: `YAML: ${e.message.split("\n")[0] ?? e.code}`,
  }));
  if (doc.errors.length > 0) return { problems };
  let value: unknown;
  try {
    // Aliases are expanded here; yaml refuses a document whose aliases would multiply it (an alias bomb).
    value = doc.toJS({ maxAliasCount: MAX_ALIAS_COUNT });
  } catch (error) {
    const why =
      error instanceof ReferenceError && /alias/i.test(error.message)
        ? "its aliases expand too far (more than a declaration needs)"
        : "it cannot be read as data";
    return { problems: [...problems, { file, line: 1, field: "", message: `YAML: ${why}` }] };
  }
  const lineOf = (path: FieldPath, key = false): number => lineCounter.linePos(locate(doc, path, key)).line;
  const source: YamlSource = {
    file,
    value,
    lineOf,
    problemAt: (path, message, key = false) => ({ file, line: lineOf(path, key), field: fieldPath(path), message }),
  };
  return { source, problems };
}
