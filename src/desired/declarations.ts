/**
 * Turns the add and remove lists of tenant and profile files into typed changes, checking every
 * resource and permission name against the catalogue on the way (with a suggestion for near
 * misses). A value that broke the schema is left to the schema's problem and checked no further.
 */
import {
  findResource,
  isGuid,
  permissionId,
  permissionName,
  suggestPermission,
  suggestResource,
  type CatalogueResource,
  type PermissionType,
} from "./catalogue";
import type { DeclarationProblem } from "./declaration-error";
import type { ResourceChange } from "./resolve";
import type { SchemaFindings } from "./schema-check";
import { quoted } from "./suggest";
import { isMapping, type FieldPath, type YamlSource } from "./yaml-source";

/** The lists of permission names an add or remove entry may hold. */
const NAME_LISTS = ["appRoles", "scopes", "unpublishedScopes"] as const;
type NameList = (typeof NAME_LISTS)[number];

/** The additions and removals a tenant or profile file declares. */
export interface Changes {
  readonly add: ResourceChange[];
  readonly remove: ResourceChange[];
}

const TYPE_WORDS: Record<PermissionType, { one: string; list: string }> = {
  appRole: { one: "an app role", list: "appRoles" },
  scope: { one: "a delegated scope", list: "scopes" },
};

function resourceFor(reference: string): CatalogueResource | undefined {
  const known = findResource(reference);
  if (known) return known;
  // Resources outside the catalogue are welcome by appId; their names are checked live.
  return isGuid(reference) ? { appId: reference.toLowerCase(), displayName: reference.toLowerCase(), published: false } : undefined;
}

/**
 * Near-miss suggestions searched per file: a typo or two is what they help with, and a file of
 * thousands of unknown names must not make validation search the catalogue for each.
 */
const SUGGESTIONS_PER_FILE = 20;

class ChangeReader {
  private suggestionsLeft = SUGGESTIONS_PER_FILE;

  /** `search()` while the file's suggestion budget lasts, then nothing. */
  private suggest(search: () => string | undefined): string | undefined {
    if (this.suggestionsLeft <= 0) return undefined;
    this.suggestionsLeft -= 1;
    return search();
  }

  constructor(
    private readonly source: YamlSource,
    private readonly findings: SchemaFindings,
    private readonly problems: DeclarationProblem[],
  ) {}

  /** The names of one list of an entry that passed the schema, each with its path. */
  private names(entry: Readonly<Record<string, unknown>>, at: FieldPath, list: NameList): { ref: string; at: FieldPath }[] {
    const value = entry[list];
    // A list the schema refused as a whole (too long) is not checked name by name.
    if (!Array.isArray(value) || this.findings.faultAt([...at, list])) return [];
    return value.flatMap((ref: unknown, i) => {
      const path = [...at, list, i];
      return typeof ref === "string" && !this.findings.faultAt(path) ? [{ ref, at: path }] : [];
    });
  }

  /** A permission reference as the set holds it (a name where one is known), or undefined when wrong. */
  private permission(resource: CatalogueResource, type: PermissionType, ref: string, at: FieldPath): string | undefined {
    if (!resource.published) return isGuid(ref) ? ref.toLowerCase() : ref;
    const other: PermissionType = type === "appRole" ? "scope" : "appRole";
    if (isGuid(ref)) {
      const name = permissionName(resource.appId, type, ref);
      if (name !== undefined) return name;
      const hint =
        permissionName(resource.appId, other, ref) !== undefined
          ? `; it is ${TYPE_WORDS[other].one}, list it under ${TYPE_WORDS[other].list}`
          : "";
      this.problems.push(this.source.problemAt(at, `${ref} is not the id of ${TYPE_WORDS[type].one} of ${resource.displayName}${hint}`));
      return undefined;
    }
    if (permissionId(resource.appId, type, ref) !== undefined) return ref;
    const suggestion = this.suggest(() => suggestPermission(resource.appId, type, ref));
    const hint =
      permissionId(resource.appId, other, ref) !== undefined
        ? ` (it is ${TYPE_WORDS[other].one}: list it under ${TYPE_WORDS[other].list})`
        : suggestion === undefined
          ? ""
          : ` (did you mean "${suggestion}"?)`;
    this.problems.push(this.source.problemAt(at, `${quoted(ref)} is not ${TYPE_WORDS[type].one} of ${resource.displayName}${hint}`));
    return undefined;
  }

  private entry(entry: unknown, at: FieldPath, removal: boolean): ResourceChange | undefined {
    if (!isMapping(entry)) return undefined;
    const reference = entry.resource;
    if (typeof reference !== "string" || this.findings.faultAt([...at, "resource"])) return undefined;
    const resource = resourceFor(reference);
    if (!resource) {
      const suggestion = this.suggest(() => suggestResource(reference));
      const hint = suggestion === undefined ? "" : ` (did you mean "${suggestion}"?)`;
      this.problems.push(
        this.source.problemAt(
          [...at, "resource"],
          `unknown resource ${quoted(reference)}${hint}; a resource outside the catalogue is named by its appId`,
        ),
      );
      return undefined;
    }
    const appRoles = this.names(entry, at, "appRoles").flatMap((name) => this.permission(resource, "appRole", name.ref, name.at) ?? []);
    const scopes = this.names(entry, at, "scopes").flatMap((name) => this.permission(resource, "scope", name.ref, name.at) ?? []);
    const unpublishedScopes: string[] = [];
    for (const { ref } of this.names(entry, at, "unpublishedScopes")) {
      // A scope the resource does publish is simply a scope.
      if (resource.published && permissionId(resource.appId, "scope", ref) !== undefined) scopes.push(ref);
      else unpublishedScopes.push(ref);
    }
    const wholeResource = removal && NAME_LISTS.every((list) => entry[list] === undefined);
    return {
      appId: resource.appId,
      displayName: resource.displayName,
      appRoles,
      scopes,
      unpublishedScopes,
      wholeResource,
      source: { file: this.source.file, line: this.source.lineOf(at), field: `${at[0] as string}[${at[1] as number}]` },
    };
  }

  read(value: unknown): Changes | undefined {
    const before = this.problems.length;
    const read = (field: "add" | "remove"): ResourceChange[] => {
      const entries = isMapping(value) ? value[field] : undefined;
      return Array.isArray(entries) ? entries.flatMap((entry: unknown, i) => this.entry(entry, [field, i], field === "remove") ?? []) : [];
    };
    const changes = { add: read("add"), remove: read("remove") };
    const whole = this.problems.length === before && this.findings.whole(["add"]) && this.findings.whole(["remove"]);
    return whole ? changes : undefined;
  }
}

/**
 * The add and remove changes of a tenant or profile file. Every name that passed the schema is
 * checked, and its problems appended to `problems`. The changes come back only when all of them
 * could be read: layering a part of them would report removals that only look ineffective.
 */
export function readChanges(source: YamlSource, findings: SchemaFindings, problems: DeclarationProblem[]): Changes | undefined {
  return new ChangeReader(source, findings, problems).read(source.value);
}
