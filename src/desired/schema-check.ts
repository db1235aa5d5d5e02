/**
 * Checks declaration files against the JSON Schemas in schema/ (the same ones editors use while
 * typing) and turns ajv's findings into problems that name the file, line and field.
 */
import Ajv2020, { type ErrorObject, type ValidateFunction } from "ajv/dist/2020";
import profileSchema from "../../schema/profile.schema.json";
import settingsSchema from "../../schema/settings.schema.json";
import tenantSchema from "../../schema/tenant.schema.json";
import type { DeclarationProblem } from "./declaration-error";
import { didYouMean, quoted } from "./suggest";
import type { FieldPath, YamlSource } from "./yaml-source";

/** The kinds of declaration file. */
export type DeclarationKind = "settings" | "profile" | "tenant";

// The schemas word their own messages for the checks ajv would otherwise describe by regex.
const ajv = new Ajv2020({ allErrors: true, verbose: true, strict: true });
ajv.addVocabulary(["x-error"]);
const validators: Record<DeclarationKind, ValidateFunction> = {
  settings: ajv.compile(settingsSchema),
  profile: ajv.compile(profileSchema),
  tenant: ajv.compile(tenantSchema),
};

function pathOf(instancePath: string): (string | number)[] {
  if (instancePath === "") return [];
  return instancePath
    .slice(1)
    .split("/")
    .map((part) => part.replace(/~1/g, "/").replace(/~0/g, "~"))
    .map((part) => (/^\d+$/.test(part) ? Number(part) : part));
}

/** A short list or mapping is quoted whole; a longer one by its kind only, so a message never carries a file's bulk. */
const LONGEST_SHOWN = 80;

/** A value as a problem quotes it: a string quoted and cut short, a list or mapping whole only when short. */
function shown(value: unknown): string {
  if (typeof value === "string") return quoted(value);
  if (typeof value !== "object" || value === null) return String(value);
  const json = JSON.stringify(value);
  return json.length <= LONGEST_SHOWN ? json : Array.isArray(value) ? "a list" : "a mapping";
}

function customMessage(error: ErrorObject): string | undefined {
  const messages = (error.parentSchema as { "x-error"?: Record<string, string> } | undefined)?.["x-error"];
  return messages?.[error.keyword];
}

/** A finding: the path of the value at fault, and the problem as it is reported. */
interface Finding {
  readonly path: FieldPath;
  readonly problem: DeclarationProblem;
}

function findingFor(source: YamlSource, error: ErrorObject): Finding {
  const path: FieldPath = pathOf(error.instancePath);
  const at = (faulty: FieldPath, message: string, key = false): Finding => ({
    path: faulty,
    problem: source.problemAt(faulty, message, key),
  });
  const custom = customMessage(error);
  switch (error.keyword) {
    case "required": {
      const missing = (error.params as { missingProperty: string }).missingProperty;
      return at([...path, missing], "is required");
    }
    case "additionalProperties": {
      const extra = (error.params as { additionalProperty: string }).additionalProperty;
      const known = Object.keys((error.parentSchema as { properties?: object } | undefined)?.properties ?? {});
      return at([...path, extra], `is not a known field${didYouMean(extra, known)}`, true);
    }
    case "enum": {
      const allowed = (error.params as { allowedValues: unknown[] }).allowedValues.map(String);
      const suggestion = typeof error.data === "string" ? didYouMean(error.data, allowed) : "";
      return at(path, `${shown(error.data)} must be one of ${allowed.join(", ")}${suggestion}`);
    }
    case "pattern":
      return at(path, `${shown(error.data)} ${custom ?? `does not match ${error.schema as string}`}`);
    case "type": {
      const expected = (error.params as { type: string | string[] }).type;
      const wanted = (Array.isArray(expected) ? expected : [expected]).map((type) =>
        type === "object" ? "a mapping" : type === "array" ? "a list" : `a ${type}`,
      );
      return at(path, `${shown(error.data)} must be ${wanted.join(" or ")}`);
    }
    case "uniqueItems": {
      const { i, j } = error.params as { i: number; j: number };
      return at([...path, i], `${shown((error.data as unknown[])[i])} is listed twice (also at index ${j})`);
    }
    default:
      return at(path, custom ?? error.message ?? `fails ${error.keyword}`);
  }
}

const startsWith = (path: FieldPath, prefix: FieldPath): boolean =>
  prefix.length <= path.length && prefix.every((part, i) => path[i] === part);

/**
 * What a file's schema check found, and which of its values the checks that come after it may
 * rely on: those checks skip a value that broke the schema, so that one mistake is reported once
 * (not also as the unknown name or the missing GUID it leads to).
 */
export interface SchemaFindings {
  readonly problems: readonly DeclarationProblem[];
  /** Whether the value at `path` itself broke the schema: wrong type or format, missing, unknown or repeated. */
  faultAt(path: FieldPath): boolean;
  /** Whether the value at `path` and everything inside it passed the schema. */
  whole(path: FieldPath): boolean;
  /** Whether everything outside the given top-level fields passed the schema (the file itself included). */
  wholeExcept(fields: readonly string[]): boolean;
}

/**
 * Validates a parsed file against its schema. Findings under an `anyOf` that has its own
 * message are folded into that one message, since each branch's complaint alone misleads.
 */
export function checkSchema(kind: DeclarationKind, source: YamlSource): SchemaFindings {
  const findings = schemaFindings(kind, source);
  const faults = findings.map((f) => f.path);
  return {
    problems: findings.map((f) => f.problem),
    faultAt: (path) => faults.some((fault) => fault.length === path.length && startsWith(fault, path)),
    whole: (path) => !faults.some((fault) => startsWith(fault, path)),
    wholeExcept: (fields) => faults.every((fault) => typeof fault[0] === "string" && fields.includes(fault[0])),
  };
}

/**
 * No list in a declaration can hold more: Microsoft Graph, the largest resource, publishes fewer
 * than 1,000 permissions. Checked before the schema, whose uniqueness check grows with the square
 * of a list's length.
 */
export const MAX_LIST_ENTRIES = 1000;

/** The lists longer than {@link MAX_LIST_ENTRIES}, with their paths. */
function overlongLists(value: unknown, path: FieldPath = []): { path: FieldPath; length: number }[] {
  if (Array.isArray(value)) {
    if (value.length > MAX_LIST_ENTRIES) return [{ path, length: value.length }];
    return value.flatMap((item: unknown, i) => overlongLists(item, [...path, i]));
  }
  if (typeof value === "object" && value !== null)
    return Object.entries(value).flatMap(([key, item]) => overlongLists(item, [...path, key]));
  return [];
}

function schemaFindings(kind: DeclarationKind, source: YamlSource): Finding[] {
  const overlong = overlongLists(source.value);
  if (overlong.length > 0) {
    return overlong.map(({ path, length }) => ({
      path,
      problem: source.problemAt(path, `lists ${length} entries; a declaration's lists hold at most ${MAX_LIST_ENTRIES}`),
    }));
  }
  const validate = validators[kind];
  if (validate(source.value)) return [];
  const errors = validate.errors ?? [];
  const folded = errors.filter((e) => e.keyword === "anyOf" && customMessage(e) !== undefined);
  // An `if` failing only says that its `then` did; the `then`'s own findings say what is wrong.
  const kept = errors.filter(
    (e) =>
      e.keyword !== "if" &&
      (folded.includes(e) || !folded.some((f) => e.schemaPath.startsWith(`${f.schemaPath}/`) && e.instancePath.startsWith(f.instancePath))),
  );
  const findings = kept.map((e) => findingFor(source, e));
  // The same finding can be reached twice (e.g. through two $refs): report it once.
  const seen = new Set<string>();
  return findings.filter(({ problem: p }) => {
    const key = `${p.line}|${p.field}|${p.message}`;
    if (seen.has(key)) return false;
    seen.add(key);
    return true;
  });
}
