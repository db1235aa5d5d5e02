/**
 * Turns schema-valid tenant and profile files into typed changes, checking every resource and
 * permission name against the catalogue on the way (with a suggestion for near misses).
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
import type { FieldPath, YamlSource } from "./yaml-source";

/** An add or remove entry as the schema allows it. */
interface ChangeEntry {
  readonly resource: string;
  readonly appRoles?: readonly string[];
  readonly scopes?: readonly string[];
  readonly unpublishedScopes?: readonly string[];
}

/** The part tenant and profile files share. */
export interface ChangeLists {
  readonly add?: readonly ChangeEntry[];
  readonly remove?: readonly ChangeEntry[];
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

class ChangeReader {
  constructor(
    private readonly source: YamlSource,
    private readonly problems: DeclarationProblem[],
  ) {}

  /** A permission reference as the set holds it (a name where one is known), or undefined when wrong. */
  private permission(resource: CatalogueResource, type: PermissionType, ref: string, at: FieldPath): string | undefined {
    if (!resource.published) return isGuid(ref) ? ref.toLowerCase() : ref;
    const other: PermissionType = type === "appRole" ? "scope" : "appRole";
    if (isGuid(ref)) {
      const name = permissionName(resource.appId, type, ref);
      if (name !== undefined) return name;
      const hint = permissionName(resource.appId, other, ref) !== undefined ? `; it is ${TYPE_WORDS[other].one}, list it under ${TYPE_WORDS[other].list}` : "";
      this.problems.push(this.source.problemAt(at, `${ref} is not the id of ${TYPE_WORDS[type].one} of ${resource.displayName}${hint}`));
      return undefined;
    }
    if (permissionId(resource.appId, type, ref) !== undefined) return ref;
    const suggestion = suggestPermission(resource.appId, type, ref);
    const hint =
      permissionId(resource.appId, other, ref) !== undefined
        ? ` (it is ${TYPE_WORDS[other].one}: list it under ${TYPE_WORDS[other].list})`
        : suggestion === undefined
          ? ""
          : ` (did you mean "${suggestion}"?)`;
    this.problems.push(this.source.problemAt(at, `"${ref}" is not ${TYPE_WORDS[type].one} of ${resource.displayName}${hint}`));
    return undefined;
  }

  private entry(entry: ChangeEntry, at: FieldPath, removal: boolean): ResourceChange | undefined {
    const resource = resourceFor(entry.resource);
    if (!resource) {
      const suggestion = suggestResource(entry.resource);
      const hint = suggestion === undefined ? "" : ` (did you mean "${suggestion}"?)`;
      this.problems.push(
        this.source.problemAt([...at, "resource"], `unknown resource "${entry.resource}"${hint}; a resource outside the catalogue is named by its appId`),
      );
      return undefined;
    }
    const appRoles: string[] = [];
    const scopes: string[] = [];
    const unpublishedScopes: string[] = [];
    (entry.appRoles ?? []).forEach((ref, i) => {
      const name = this.permission(resource, "appRole", ref, [...at, "appRoles", i]);
      if (name !== undefined) appRoles.push(name);
    });
    (entry.scopes ?? []).forEach((ref, i) => {
      const name = this.permission(resource, "scope", ref, [...at, "scopes", i]);
      if (name !== undefined) scopes.push(name);
    });
    for (const name of entry.unpublishedScopes ?? []) {
      // A scope the resource does publish is simply a scope.
      if (resource.published && permissionId(resource.appId, "scope", name) !== undefined) scopes.push(name);
      else unpublishedScopes.push(name);
    }
    const wholeResource = removal && entry.appRoles === undefined && entry.scopes === undefined && entry.unpublishedScopes === undefined;
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

  read(lists: ChangeLists): { add: ResourceChange[]; remove: ResourceChange[] } {
    const read = (field: "add" | "remove"): ResourceChange[] =>
      (lists[field] ?? []).flatMap((entry, i) => this.entry(entry, [field, i], field === "remove") ?? []);
    return { add: read("add"), remove: read("remove") };
  }
}

/**
 * The add and remove changes of a tenant or profile file whose value passed its schema.
 * Problems with resource or permission names are appended to `problems`; the entries (or
 * names) at fault are left out of the result.
 */
export function readChanges(source: YamlSource, lists: ChangeLists, problems: DeclarationProblem[]): { add: ResourceChange[]; remove: ResourceChange[] } {
  return new ChangeReader(source, problems).read(lists);
}
