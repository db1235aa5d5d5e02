/**
 * Comparing the shape of two JSON answers (property names and JSON types, not values), reading
 * `@odata.context` URLs, and decoding Entra ID's id formats (src/emulator/ids.ts).
 */

export type JsonKind = "null" | "boolean" | "number" | "string" | "array" | "object";

export function kindOf(value: unknown): JsonKind {
  if (value === null) return "null";
  if (Array.isArray(value)) return "array";
  const kind = typeof value;
  if (kind === "boolean" || kind === "number" || kind === "string" || kind === "object") return kind;
  throw new Error(`not a JSON value: ${kind}`);
}

/**
 * How an answer differs in shape from a documented one. Paths read like "$.value[].id":
 * `missing` are documented properties the answer lacks, `undocumented` are properties of the
 * answer the example does not show and `optional` does not allow, `types` are properties whose
 * JSON type differs (null matches any type: the documented value may be an unset nullable).
 */
export interface ShapeDifferences {
  readonly missing: readonly string[];
  readonly undocumented: readonly string[];
  readonly types: readonly string[];
}

/**
 * Compares `actual` with `documented` recursively. Every element of an actual array is compared
 * with the first documented element; an empty documented array says nothing about its elements.
 * @param optional paths of properties the answer may carry although the example does not show them.
 */
export function shapeDifferences(documented: unknown, actual: unknown, optional: Iterable<string> = []): ShapeDifferences {
  const allowed = new Set(optional);
  const missing = new Set<string>();
  const undocumented = new Set<string>();
  const types = new Set<string>();
  const walk = (doc: unknown, act: unknown, path: string): void => {
    if (doc === null || act === null) return;
    const docKind = kindOf(doc);
    const actKind = kindOf(act);
    if (docKind !== actKind) {
      types.add(`${path}: documented ${docKind}, emulator ${actKind}`);
      return;
    }
    if (docKind === "array") {
      const [first] = doc as unknown[];
      if (first !== undefined) for (const element of act as unknown[]) walk(first, element, `${path}[]`);
      return;
    }
    if (docKind !== "object") return;
    const docObject = doc as Record<string, unknown>;
    const actObject = act as Record<string, unknown>;
    for (const key of Object.keys(docObject)) {
      if (key in actObject) walk(docObject[key], actObject[key], `${path}.${key}`);
      else missing.add(`${path}.${key}`);
    }
    for (const key of Object.keys(actObject)) {
      if (!(key in docObject) && !allowed.has(`${path}.${key}`)) undocumented.add(`${path}.${key}`);
    }
  };
  walk(documented, actual, "$");
  const sorted = (s: Set<string>) => [...s].sort();
  return { missing: sorted(missing), undocumented: sorted(undocumented), types: sorted(types) };
}

/** `prefix` joined to each name: the optional paths of one object. */
export function pathsOf(prefix: string, names: Iterable<string>): string[] {
  return [...names].map((n) => `${prefix}.${n}`);
}

/** An `@odata.context` URL split into its service root and metadata fragment. */
export interface ODataContext {
  /** e.g. "https://graph.microsoft.com/v1.0" */
  readonly serviceRoot: string;
  /** The fragment with quoted ids replaced by {id}, e.g. "servicePrincipals('{id}')/appRoleAssignedTo". */
  readonly form: string;
  /** The property list of a `$select` fragment, e.g. ["id", "appId"], or null. */
  readonly selected: readonly string[] | null;
}

export function parseContext(url: string): ODataContext {
  const match = /^(https:\/\/[^/]+\/(?:v1\.0|beta))\/\$metadata#(.+)$/.exec(url);
  if (!match) throw new Error(`not an @odata.context URL: ${url}`);
  const fragment = (match[2] ?? "").replace(/'[^']*'/g, "'{id}'");
  const select = /^[A-Za-z0-9]+\(([^)']+)\)/.exec(fragment);
  return {
    serviceRoot: match[1] ?? "",
    form: select ? fragment.replace(/\([^)']+\)/, "(…)") : fragment,
    selected: select ? (select[1] ?? "").split(",") : null,
  };
}

const GUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
const BASE64URL = /^[A-Za-z0-9_-]+$/;

/** How Entra ID writes an id: a GUID, or the base64url of GUIDs laid end to end (a composite key). */
export type IdFormat = "guid" | "composite-key" | "other";

export function idFormat(id: string): IdFormat {
  if (GUID.test(id)) return "guid";
  if (BASE64URL.test(id) && Buffer.from(id, "base64url").length % 16 === 0) return "composite-key";
  return "other";
}

/** A GUID from its 16 bytes in .NET `Guid.ToByteArray()` order (first three groups little-endian). */
function guidFromDotNetBytes(bytes: Buffer): string {
  const le = (from: number, to: number) => Buffer.from(bytes.subarray(from, to)).reverse().toString("hex");
  const be = (from: number, to: number) => bytes.subarray(from, to).toString("hex");
  return `${le(0, 4)}-${le(4, 6)}-${le(6, 8)}-${be(8, 10)}-${be(10, 16)}`;
}

/** The GUIDs a composite key is made of, in order. */
export function compositeKeyGuids(id: string): string[] {
  const bytes = Buffer.from(id, "base64url");
  if (idFormat(id) !== "composite-key") throw new Error(`not a composite key: ${id}`);
  const guids: string[] = [];
  for (let at = 0; at < bytes.length; at += 16) guids.push(guidFromDotNetBytes(bytes.subarray(at, at + 16)));
  return guids;
}
