/**
 * The OData query options Graph's directory collections accept here: `$filter` (eq, in, and, or),
 * `$select`, `$top` and `$skiptoken`. Anything else is refused the way Graph refuses it, so a
 * client that relies on an unsupported query learns it in tests rather than in production.
 */
import { GraphError } from "./errors";

/** How an entity type looks to the query options. */
export interface EntityShape<T> {
  /** The OData type, e.g. "microsoft.graph.servicePrincipal" (in `$select` errors). */
  readonly typeName: string;
  /** The directory resource name, e.g. "ServicePrincipal" (in `$filter` errors). */
  readonly resourceName: string;
  /** Every property `$select` may name. */
  readonly properties: readonly string[];
  /** Property paths `$filter` supports (with eq and in), and how to read them from an item. */
  readonly filterable: Readonly<Record<string, (item: T) => string | null>>;
}

/** The part of a shape that names properties. */
type PropertyNames = Pick<EntityShape<never>, "typeName" | "properties">;

/** The parsed options of a collection read. */
export interface CollectionQuery<T> {
  readonly matches: (item: T) => boolean;
  readonly select: readonly string[] | null;
  readonly top: number;
  readonly skip: number;
}

const DEFAULT_PAGE_SIZE = 100;
const MAX_PAGE_SIZE = 999;
/** The directory refuses more than this many alternatives in one `in` list or `or` chain. */
const MAX_OR_CLAUSES = 15;
const SUPPORTED_OPTIONS = new Set(["$filter", "$select", "$top", "$skiptoken"]);

/** Refuses system query options this emulator does not implement. */
export function rejectUnsupportedOptions(query: URLSearchParams, allowed: ReadonlySet<string> = SUPPORTED_OPTIONS): void {
  for (const key of query.keys()) {
    if (key.startsWith("$") && !allowed.has(key.toLowerCase())) {
      throw new GraphError(
        400,
        "BadRequest",
        `The query specified in the URI is not valid. Query option '${key}' is not allowed. To allow it, set the 'AllowedQueryOptions' property on EnableQueryAttribute or QueryValidationSettings.`,
      );
    }
  }
}

/** Parses the options of a collection read against `shape`. */
export function parseCollectionQuery<T>(query: URLSearchParams, shape: EntityShape<T>): CollectionQuery<T> {
  rejectUnsupportedOptions(query);
  const filter = query.get("$filter");
  return {
    matches: filter === null || filter.trim() === "" ? () => true : compileFilter(filter, shape),
    select: parseSelect(query, shape),
    top: parseTop(query.get("$top")),
    skip: parseSkipToken(query.get("$skiptoken")),
  };
}

/** Parses `$select` (null when absent) and checks every name against the entity type. */
export function parseSelect(query: URLSearchParams, shape: PropertyNames): readonly string[] | null {
  const raw = query.get("$select");
  if (raw === null || raw.trim() === "") return null;
  const known = new Map(shape.properties.map((p) => [p.toLowerCase(), p]));
  return raw.split(",").map((name) => {
    const property = known.get(name.trim().toLowerCase());
    if (property === undefined) throw unknownProperty(name.trim(), shape);
    return property;
  });
}

/** Keeps only the selected properties (all of them when `select` is null). */
export function applySelect(entity: Readonly<Record<string, unknown>>, select: readonly string[] | null): Record<string, unknown> {
  if (select === null) return { ...entity };
  const out: Record<string, unknown> = {};
  for (const p of select) if (p in entity) out[p] = entity[p];
  return out;
}

/** One page of a collection and the `$skiptoken` of the next one, if any. */
export function takePage<T>(items: readonly T[], query: CollectionQuery<T>): { readonly page: readonly T[]; readonly nextSkipToken: string | null } {
  const page = items.slice(query.skip, query.skip + query.top);
  const next = query.skip + page.length;
  return { page, nextSkipToken: next < items.length ? encodeSkipToken(next) : null };
}

/**
 * The `@odata.nextLink`: the full URL of the request with every original option kept and the
 * `$skiptoken` replaced, so that a client can follow it verbatim.
 */
export function nextLink(baseUrl: string, versionedPath: string, query: URLSearchParams, skipToken: string): string {
  const parts: string[] = [];
  for (const [key, value] of query) {
    if (key.toLowerCase() !== "$skiptoken") parts.push(`${key}=${encodeQueryValue(value)}`);
  }
  parts.push(`$skiptoken=${skipToken}`);
  return `${baseUrl}${versionedPath}?${parts.join("&")}`;
}

function encodeQueryValue(value: string): string {
  return encodeURIComponent(value).replace(/%2C/gi, ",");
}

function parseTop(raw: string | null): number {
  if (raw === null) return DEFAULT_PAGE_SIZE;
  const top = /^\d+$/.test(raw.trim()) ? Number(raw.trim()) : NaN;
  if (!Number.isInteger(top) || top < 1 || top > MAX_PAGE_SIZE) {
    throw new GraphError(400, "Request_UnsupportedQuery", `Invalid page size specified: '${raw}'. Must be between 1 and ${MAX_PAGE_SIZE} inclusive.`);
  }
  return top;
}

// Real skiptokens are opaque; an offset is enough because collections keep insertion order.
const SKIP_TOKEN_PREFIX = "offset:";

function encodeSkipToken(offset: number): string {
  return Buffer.from(`${SKIP_TOKEN_PREFIX}${offset}`).toString("base64url");
}

function parseSkipToken(raw: string | null): number {
  if (raw === null) return 0;
  const decoded = Buffer.from(raw, "base64url").toString("utf8");
  const offset = decoded.startsWith(SKIP_TOKEN_PREFIX) ? Number(decoded.slice(SKIP_TOKEN_PREFIX.length)) : NaN;
  if (!Number.isInteger(offset) || offset < 0) {
    throw new GraphError(400, "Request_BadRequest", "Invalid paging token specified in $skiptoken.");
  }
  return offset;
}

function unknownProperty(name: string, shape: PropertyNames): GraphError {
  return new GraphError(400, "BadRequest", `Could not find a property named '${name}' on type '${shape.typeName}'.`);
}

function unsupportedQuery(): GraphError {
  return new GraphError(400, "Request_UnsupportedQuery", "Unsupported Query.");
}

// ---------------------------------------------------------------------------------------------
// $filter
// ---------------------------------------------------------------------------------------------

type Token =
  | { readonly kind: "word"; readonly text: string; readonly pos: number }
  | { readonly kind: "value"; readonly value: string | null; readonly pos: number }
  | { readonly kind: "(" | ")" | ","; readonly pos: number };

type FilterNode =
  | { readonly kind: "eq"; readonly read: (item: never) => string | null; readonly values: readonly (string | null)[] }
  | { readonly kind: "and" | "or"; readonly nodes: readonly FilterNode[] };

const UNSUPPORTED_OPERATORS = new Set(["ne", "gt", "ge", "lt", "le", "has"]);

function compileFilter<T>(filter: string, shape: EntityShape<T>): (item: T) => boolean {
  const tokens = tokenize(filter);
  let i = 0;
  const syntaxError = (pos: number) =>
    new GraphError(400, "BadRequest", `Invalid filter clause: Syntax error at position ${pos} in '${filter}'.`);
  const peek = (): Token | undefined => tokens[i];
  const isWord = (t: Token | undefined, w: string): boolean => t?.kind === "word" && t.text.toLowerCase() === w;
  const expect = (kind: "(" | ")" | ","): void => {
    const t = peek();
    if (t?.kind !== kind) throw syntaxError(t?.pos ?? filter.length);
    i++;
  };
  const literal = (): string | null => {
    const t = peek();
    if (t?.kind !== "value") throw syntaxError(t?.pos ?? filter.length);
    i++;
    return t.value;
  };
  const property = (text: string): ((item: T) => string | null) => {
    const readers = new Map(Object.entries(shape.filterable).map(([k, v]) => [k.toLowerCase(), v]));
    const read = readers.get(text.toLowerCase());
    if (read) return read;
    const head = text.split("/")[0] ?? text;
    if (!shape.properties.some((p) => p.toLowerCase() === head.toLowerCase())) throw unknownProperty(head, shape);
    throw new GraphError(
      400,
      "Request_UnsupportedQuery",
      `Unsupported or invalid query filter clause specified for property '${text}' of resource '${shape.resourceName}'.`,
    );
  };
  const checkOrCount = (count: number): void => {
    if (count > MAX_OR_CLAUSES) {
      throw new GraphError(
        400,
        "Request_UnsupportedQuery",
        `Too many child clauses specified in search filter expression containing 'OR' operators: ${count}. Max allowed: ${MAX_OR_CLAUSES}.`,
      );
    }
  };

  const primary = (): FilterNode => {
    const t = peek();
    if (t === undefined) throw syntaxError(filter.length);
    if (t.kind === "(") {
      i++;
      const node = orExpr();
      expect(")");
      return node;
    }
    if (t.kind !== "word") throw syntaxError(t.pos);
    i++;
    // Functions (startswith, any, ...) and `not` are advanced queries the directory gates.
    if (t.text.toLowerCase() === "not" || peek()?.kind === "(") throw unsupportedQuery();
    const read = property(t.text);
    const op = peek();
    if (isWord(op, "eq")) {
      i++;
      return { kind: "eq", read, values: [literal()] };
    }
    if (isWord(op, "in")) {
      i++;
      expect("(");
      const values = [literal()];
      while (peek()?.kind === ",") {
        i++;
        values.push(literal());
      }
      expect(")");
      checkOrCount(values.length);
      return { kind: "eq", read, values };
    }
    if (op?.kind === "word" && UNSUPPORTED_OPERATORS.has(op.text.toLowerCase())) throw unsupportedQuery();
    throw syntaxError(op?.pos ?? filter.length);
  };
  const andExpr = (): FilterNode => {
    const nodes = [primary()];
    while (isWord(peek(), "and")) {
      i++;
      nodes.push(primary());
    }
    return nodes.length === 1 && nodes[0] ? nodes[0] : { kind: "and", nodes };
  };
  function orExpr(): FilterNode {
    const nodes = [andExpr()];
    while (isWord(peek(), "or")) {
      i++;
      nodes.push(andExpr());
    }
    checkOrCount(nodes.length);
    return nodes.length === 1 && nodes[0] ? nodes[0] : { kind: "or", nodes };
  }

  const root = orExpr();
  const rest = peek();
  if (rest !== undefined) throw syntaxError(rest.pos);
  return (item: T) => evaluate(root, item);
}

function evaluate<T>(node: FilterNode, item: T): boolean {
  switch (node.kind) {
    case "eq": {
      const actual = (node.read as (item: T) => string | null)(item);
      // Directory string and GUID comparisons ignore case.
      return node.values.some((v) => (v === null ? actual === null : actual !== null && actual.toLowerCase() === v.toLowerCase()));
    }
    case "and":
      return node.nodes.every((n) => evaluate(n, item));
    case "or":
      return node.nodes.some((n) => evaluate(n, item));
  }
}

const GUID_LITERAL = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}/i;

function tokenize(filter: string): Token[] {
  const tokens: Token[] = [];
  let pos = 0;
  while (pos < filter.length) {
    const ch = filter.charAt(pos);
    if (/\s/.test(ch)) {
      pos++;
    } else if (ch === "(" || ch === ")" || ch === ",") {
      tokens.push({ kind: ch, pos });
      pos++;
    } else if (ch === "'") {
      // OData doubles a quote inside a string literal.
      let value = "";
      let end = pos + 1;
      for (;;) {
        if (end >= filter.length) {
          throw new GraphError(400, "BadRequest", `Invalid filter clause: There is an unterminated string literal at position ${pos} in '${filter}'.`);
        }
        if (filter.charAt(end) === "'") {
          if (filter.charAt(end + 1) === "'") {
            value += "'";
            end += 2;
            continue;
          }
          break;
        }
        value += filter.charAt(end);
        end++;
      }
      tokens.push({ kind: "value", value, pos });
      pos = end + 1;
    } else {
      const guid = GUID_LITERAL.exec(filter.slice(pos));
      if (guid) {
        tokens.push({ kind: "value", value: guid[0], pos });
        pos += guid[0].length;
        continue;
      }
      const word = /^[A-Za-z0-9_$.:/-]+/.exec(filter.slice(pos));
      if (!word) throw new GraphError(400, "BadRequest", `Invalid filter clause: Syntax error at position ${pos} in '${filter}'.`);
      const text = word[0];
      const lower = text.toLowerCase();
      if (lower === "null") tokens.push({ kind: "value", value: null, pos });
      else if (lower === "true" || lower === "false" || /^-?\d+(\.\d+)?$/.test(text)) tokens.push({ kind: "value", value: lower, pos });
      else tokens.push({ kind: "word", text, pos });
      pos += text.length;
    }
  }
  return tokens;
}
