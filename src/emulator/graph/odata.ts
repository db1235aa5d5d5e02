/**
 * The OData query options Graph's directory collections accept here: `$filter` (eq, in, and, or,
 * startswith where Graph supports it by default), `$select`, `$top` and `$skiptoken`; and, on
 * directory objects, the advanced queries Graph answers only with `ConsistencyLevel: eventual` and
 * `$count=true` (ne, not, endswith, `$search`, `$orderby` with `$filter`). Literals are typed as
 * OData types them: a quoted GUID is an Edm.String, a bare one an Edm.Guid, and comparing either
 * with a property of the other type is refused as Graph refuses it. Anything else is refused the
 * way Graph refuses it, so a client that relies on an unsupported query learns it in tests rather
 * than in production.
 */
import { GraphError } from "./errors";

/** The OData types `$filter` compares here. */
export type FilterType = "Edm.String" | "Edm.Guid";

/** A property `$filter` supports: its OData type and how to read it from an item. */
export interface FilterProperty<T> {
  readonly type: FilterType;
  readonly read: (item: T) => string | null;
  /** `startswith(property,'…')` is a default query on it (Graph documents it per property). */
  readonly startsWith?: boolean;
}

/** The advanced query capabilities of a directory object collection. */
export interface AdvancedQueries<T> {
  /** String properties `$orderby` may name, and `$search` searches. */
  readonly orderable: Readonly<Record<string, (item: T) => string | null>>;
  readonly searchable: Readonly<Record<string, (item: T) => string | null>>;
}

/** How an entity type looks to the query options. */
export interface EntityShape<T> {
  /** The OData type, e.g. "microsoft.graph.servicePrincipal" (in `$select` errors). */
  readonly typeName: string;
  /** The directory resource name, e.g. "ServicePrincipal" (in `$filter` errors). */
  readonly resourceName: string;
  /** Every property `$select` may name. */
  readonly properties: readonly string[];
  /** Property paths `$filter` supports (with eq and in). */
  readonly filterable: Readonly<Record<string, FilterProperty<T>>>;
  /** Present for directory objects, which support advanced queries. */
  readonly advanced?: AdvancedQueries<T>;
  /** The error for a `$filter` on a property that exists but is not filterable, when it differs from the directory's usual one. */
  readonly unsupportedFilter?: (property: string) => GraphError;
}

/** The part of a shape that names properties. */
type PropertyNames = Pick<EntityShape<never>, "typeName" | "properties">;

/** The parsed options of a collection read. */
export interface CollectionQuery<T> {
  readonly matches: (item: T) => boolean;
  readonly select: readonly string[] | null;
  readonly top: number;
  readonly skip: number;
  /** `$count=true`: the answer carries `@odata.count`. */
  readonly count: boolean;
  /** `$orderby`, or null to keep insertion order. */
  readonly order: ((a: T, b: T) => number) | null;
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

const ADVANCED_OPTIONS = new Set([...SUPPORTED_OPTIONS, "$count", "$orderby", "$search"]);

/**
 * Parses the options of a collection read against `shape`. `eventual` says whether the request
 * carried `ConsistencyLevel: eventual`, which the advanced queries need (Advanced query
 * capabilities on Microsoft Entra ID objects).
 */
export function parseCollectionQuery<T>(query: URLSearchParams, shape: EntityShape<T>, eventual = false): CollectionQuery<T> {
  const advanced = shape.advanced;
  rejectUnsupportedOptions(query, advanced ? ADVANCED_OPTIONS : SUPPORTED_OPTIONS);
  const count = parseCount(query.get("$count"), eventual);
  // Advanced queries need both the header and $count=true.
  const advancedOn = advanced !== undefined && eventual && count;
  const filter = query.get("$filter");
  const hasFilter = filter !== null && filter.trim() !== "";
  const search = query.get("$search");
  const searchMatch = advanced && search !== null ? compileSearch(search, advanced, eventual) : () => true;
  const filterMatch = hasFilter ? compileFilter(filter, shape, advancedOn) : () => true;
  const orderby = query.get("$orderby");
  let order: CollectionQuery<T>["order"] = null;
  if (advanced && orderby !== null && orderby.trim() !== "") {
    // Sorting is a default query only on its own; with $filter or $search it is advanced.
    if ((hasFilter || search !== null) && !advancedOn)
      throw new GraphError(400, "Request_UnsupportedQuery", "Sorting not supported for current query.");
    order = compileOrder(orderby, shape, advanced);
  }
  return {
    matches: (item) => filterMatch(item) && searchMatch(item),
    select: parseSelect(query, shape),
    top: parseTop(query.get("$top")),
    skip: parseSkipToken(query.get("$skiptoken")),
    count,
    order,
  };
}

function parseCount(raw: string | null, eventual: boolean): boolean {
  if (raw === null) return false;
  const value = raw.trim().toLowerCase();
  if (value !== "true" && value !== "false") {
    throw new GraphError(400, "BadRequest", `Invalid value '${raw}' for $count query option found. Valid values are 'true' and 'false'.`);
  }
  if (value === "true" && !eventual) throw new GraphError(400, "Request_BadRequest", "$count is not currently supported.");
  return value === "true";
}

function compileOrder<T>(orderby: string, shape: EntityShape<T>, advanced: AdvancedQueries<T>): (a: T, b: T) => number {
  const [name = "", direction = "asc", ...rest] = orderby.trim().split(/\s+/);
  const read = Object.entries(advanced.orderable).find(([k]) => k.toLowerCase() === name.toLowerCase())?.[1];
  if (rest.length > 0 || !/^(asc|desc)$/i.test(direction))
    throw new GraphError(400, "BadRequest", `Invalid $orderby clause: '${orderby}'.`);
  if (!read) {
    if (!shape.properties.some((p) => p.toLowerCase() === name.toLowerCase())) throw unknownProperty(name, shape);
    throw new GraphError(400, "Request_UnsupportedQuery", `Unsupported sort property '${name}' for '${shape.resourceName}'.`);
  }
  const sign = direction.toLowerCase() === "desc" ? -1 : 1;
  return (a, b) => sign * (read(a) ?? "").localeCompare(read(b) ?? "", "en", { sensitivity: "base" });
}

/**
 * `$search="property:term"` (several joined by AND/OR): the directory tokenizes string properties
 * into words and matches a word that starts with the term, ignoring case.
 */
function compileSearch<T>(raw: string, advanced: AdvancedQueries<T>, eventual: boolean): (item: T) => boolean {
  if (!eventual) {
    throw new GraphError(
      400,
      "Request_BadRequest",
      "Request with $search query parameter only works through MSGraph with a special request header: 'ConsistencyLevel: eventual'",
    );
  }
  const clauses = [...raw.matchAll(/"([^"]*)"|\b(AND|OR)\b/g)];
  const terms: { read: (item: T) => string | null; term: string }[] = [];
  const joins: string[] = [];
  for (const m of clauses) {
    if (m[2] !== undefined) {
      joins.push(m[2]);
      continue;
    }
    const [property = "", ...termParts] = (m[1] ?? "").split(":");
    const read = Object.entries(advanced.searchable).find(([k]) => k.toLowerCase() === property.toLowerCase())?.[1];
    if (!read || termParts.length === 0)
      throw new GraphError(400, "Request_UnsupportedQuery", `Unsupported or invalid query search clause specified: '${raw}'.`);
    terms.push({ read, term: termParts.join(":").toLowerCase() });
  }
  if (terms.length === 0) throw new GraphError(400, "BadRequest", `Invalid $search clause: '${raw}'.`);
  const hit = (t: { read: (item: T) => string | null; term: string }, item: T): boolean =>
    (t.read(item) ?? "").split(/[^\p{L}\p{N}]+/u).some((word) => word.toLowerCase().startsWith(t.term));
  const any = joins.includes("OR");
  return (item) => (any ? terms.some((t) => hit(t, item)) : terms.every((t) => hit(t, item)));
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
export function takePage<T>(
  items: readonly T[],
  query: CollectionQuery<T>,
): { readonly page: readonly T[]; readonly nextSkipToken: string | null } {
  const page = (query.order ? [...items].sort(query.order) : items).slice(query.skip, query.skip + query.top);
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
    throw new GraphError(
      400,
      "Request_UnsupportedQuery",
      `Invalid page size specified: '${raw}'. Must be between 1 and ${MAX_PAGE_SIZE} inclusive.`,
    );
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

// ---------------------------------------------------------------------------------------------
// $filter
// ---------------------------------------------------------------------------------------------

type Literal =
  { readonly type: FilterType | "Edm.Boolean" | "Edm.Int32"; readonly value: string } | { readonly type: "null"; readonly value: null };

type Token =
  | { readonly kind: "word"; readonly text: string; readonly pos: number }
  | { readonly kind: "value"; readonly literal: Literal; readonly pos: number }
  | { readonly kind: "(" | ")" | ","; readonly pos: number };

type FilterNode =
  | {
      readonly kind: "eq";
      readonly read: (item: never) => string | null;
      readonly values: readonly (string | null)[];
      readonly negate: boolean;
    }
  | { readonly kind: "startswith" | "endswith"; readonly read: (item: never) => string | null; readonly value: string }
  | { readonly kind: "not"; readonly node: FilterNode }
  | { readonly kind: "and" | "or"; readonly nodes: readonly FilterNode[] };

const UNSUPPORTED_OPERATORS = new Set(["gt", "ge", "lt", "le", "has"]);

function compileFilter<T>(filter: string, shape: EntityShape<T>, advancedOn: boolean): (item: T) => boolean {
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
  const literal = (): Literal => {
    const t = peek();
    if (t?.kind !== "value") throw syntaxError(t?.pos ?? filter.length);
    i++;
    return t.literal;
  };
  const unsupportedClause = (name: string): GraphError =>
    new GraphError(
      400,
      "Request_UnsupportedQuery",
      `Unsupported or invalid query filter clause specified for property '${name}' of resource '${shape.resourceName}'.`,
    );
  const property = (text: string): FilterProperty<T> => {
    const found = Object.entries(shape.filterable).find(([k]) => k.toLowerCase() === text.toLowerCase())?.[1];
    if (found) return found;
    const head = text.split("/")[0] ?? text;
    if (!shape.properties.some((p) => p.toLowerCase() === head.toLowerCase())) throw unknownProperty(head, shape);
    throw shape.unsupportedFilter?.(text) ?? unsupportedClause(text);
  };
  /** OData refuses comparing values of different types before the directory sees the query. */
  const typed = (prop: FilterProperty<T>, lit: Literal, operatorKind: string): string | null => {
    if (lit.type === "null") return null;
    if (lit.type !== prop.type) {
      throw new GraphError(
        400,
        "BadRequest",
        `Invalid filter clause: A binary operator with incompatible types was detected. Found operand types '${prop.type}' and '${lit.type}' for operator kind '${operatorKind}'.`,
      );
    }
    return lit.value;
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

  const stringFunction = (name: "startswith" | "endswith", pos: number): FilterNode => {
    expect("(");
    const t = peek();
    if (t?.kind !== "word") throw syntaxError(t?.pos ?? filter.length);
    i++;
    const prop = property(t.text);
    expect(",");
    const lit = literal();
    expect(")");
    const allowed = name === "startswith" ? prop.startsWith === true : advancedOn && prop.type === "Edm.String";
    if (!allowed) throw unsupportedClause(t.text);
    if (lit.type !== "Edm.String") {
      throw new GraphError(
        400,
        "BadRequest",
        `Invalid filter clause: No function signature for the function with name '${name}' matches the specified arguments. (position ${pos})`,
      );
    }
    return { kind: name, read: prop.read, value: lit.value };
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
    const word = t.text.toLowerCase();
    if (word === "not") {
      // `not` is an advanced query (Advanced query capabilities on Microsoft Entra ID objects).
      if (!advancedOn) throw new GraphError(400, "Request_UnsupportedQuery", "Unsupported Query.");
      return { kind: "not", node: primary() };
    }
    if (peek()?.kind === "(") {
      if (word === "startswith" || word === "endswith") return stringFunction(word, t.pos);
      // Lambda operators (any, all) and other functions are not served here.
      throw new GraphError(400, "Request_UnsupportedQuery", "Unsupported Query.");
    }
    const prop = property(t.text);
    const op = peek();
    if (isWord(op, "eq") || isWord(op, "ne")) {
      i++;
      const negate = isWord(op, "ne");
      if (negate && !advancedOn) throw unsupportedClause(t.text);
      return { kind: "eq", read: prop.read, values: [typed(prop, literal(), negate ? "NotEqual" : "Equal")], negate };
    }
    if (isWord(op, "in")) {
      i++;
      expect("(");
      const values = [typed(prop, literal(), "Equal")];
      while (peek()?.kind === ",") {
        i++;
        values.push(typed(prop, literal(), "Equal"));
      }
      expect(")");
      checkOrCount(values.length);
      return { kind: "eq", read: prop.read, values, negate: false };
    }
    if (op?.kind === "word" && UNSUPPORTED_OPERATORS.has(op.text.toLowerCase())) throw unsupportedClause(t.text);
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

function evaluate(node: FilterNode, item: unknown): boolean {
  switch (node.kind) {
    case "eq": {
      const actual = (node.read as (item: unknown) => string | null)(item);
      // Directory string and GUID comparisons ignore case.
      const equal = node.values.some((v) => (v === null ? actual === null : actual !== null && actual.toLowerCase() === v.toLowerCase()));
      return node.negate ? !equal : equal;
    }
    case "startswith":
    case "endswith": {
      const actual = ((node.read as (item: unknown) => string | null)(item) ?? "").toLowerCase();
      const value = node.value.toLowerCase();
      return node.kind === "startswith" ? actual.startsWith(value) : actual.endsWith(value);
    }
    case "not":
      return !evaluate(node.node, item);
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
          throw new GraphError(
            400,
            "BadRequest",
            `Invalid filter clause: There is an unterminated string literal at position ${pos} in '${filter}'.`,
          );
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
      tokens.push({ kind: "value", literal: { type: "Edm.String", value }, pos });
      pos = end + 1;
    } else {
      const guid = GUID_LITERAL.exec(filter.slice(pos));
      if (guid) {
        tokens.push({ kind: "value", literal: { type: "Edm.Guid", value: guid[0] }, pos });
        pos += guid[0].length;
        continue;
      }
      const word = /^[A-Za-z0-9_$.:/-]+/.exec(filter.slice(pos));
      if (!word) throw new GraphError(400, "BadRequest", `Invalid filter clause: Syntax error at position ${pos} in '${filter}'.`);
      const text = word[0];
      const lower = text.toLowerCase();
      if (lower === "null") tokens.push({ kind: "value", literal: { type: "null", value: null }, pos });
      else if (lower === "true" || lower === "false") tokens.push({ kind: "value", literal: { type: "Edm.Boolean", value: lower }, pos });
      else if (/^-?\d+$/.test(text)) tokens.push({ kind: "value", literal: { type: "Edm.Int32", value: text }, pos });
      else tokens.push({ kind: "word", text, pos });
      pos += text.length;
    }
  }
  return tokens;
}
