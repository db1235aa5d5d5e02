/**
 * Loads the declarations under stacks/: settings (cipp-cpv.yaml), profiles (profiles/*.yaml) and
 * one file per tenant (tenants/*.yaml). Every file is checked before anything is resolved, and
 * every problem is reported in one {@link DeclarationError}. The only module of src/desired that
 * touches files; it reads and never writes.
 */
import { existsSync, readdirSync, readFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { CIPP_REQUIRED_RESOURCES } from "./cipp-default-set";
import { ManifestFormatError, permissionSetFromCippFiles, type CippFile } from "./cipp-manifest";
import { readChanges, type ChangeLists } from "./declarations";
import { DeclarationError, type DeclarationProblem } from "./declaration-error";
import type { DesiredTenant, ExtraPolicy, Fleet, FleetSettings, PermissionSet } from "./model";
import { resolveExtras, resolvePermissions, type Layer } from "./resolve";
import { schemaProblems, type DeclarationKind } from "./schema-check";
import { didYouMean } from "./suggest";
import { parseYamlSource, type YamlSource } from "./yaml-source";

/** How the loader reads files; replaceable so tests and other hosts can serve declarations from memory. */
export interface DeclarationFiles {
  /** The file's text, or undefined when there is no such file. */
  read(path: string): string | undefined;
  /** The names of the files in a directory (not paths), or none when it does not exist. */
  list(directory: string): string[];
}

/** Reads declarations from the local file system. */
export const localFiles: DeclarationFiles = {
  read: (path) => (existsSync(path) ? readFileSync(path, "utf8") : undefined),
  list: (directory) => (existsSync(directory) ? readdirSync(directory).sort() : []),
};

/** The settings file's name inside the stacks directory. */
export const SETTINGS_FILE = "cipp-cpv.yaml";

type Extras = { readonly appRoles?: ExtraPolicy; readonly scopes?: ExtraPolicy };

interface SettingsFile {
  readonly partnerTenantId: string;
  readonly applicationId: string;
  readonly cloud: string;
  readonly base?: "cipp" | { readonly samManifest: string; readonly additionalPermissions?: string };
  readonly extras?: Extras;
}

interface TenantFile extends ChangeLists {
  readonly tenantId: string;
  readonly defaultDomain: string;
  readonly displayName: string;
  readonly profiles?: readonly string[];
  readonly excluded?: boolean;
  readonly extras?: Extras;
}

const isYaml = (name: string): boolean => /\.ya?ml$/i.test(name);

class FleetLoader {
  readonly problems: DeclarationProblem[] = [];

  constructor(
    private readonly stacksDir: string,
    private readonly files: DeclarationFiles,
  ) {}

  /** A file parsed and checked against its schema, or undefined when it has problems of its own. */
  private declaration<T>(kind: DeclarationKind, file: string): { source: YamlSource; value: T } | undefined {
    const text = this.files.read(file);
    if (text === undefined) return undefined;
    const { source, problems } = parseYamlSource(file, text);
    this.problems.push(...problems);
    if (!source) return undefined;
    const invalid = schemaProblems(kind, source);
    this.problems.push(...invalid);
    return invalid.length === 0 ? { source, value: source.value as T } : undefined;
  }

  private yamlFiles(subdirectory: string): { name: string; file: string }[] {
    const directory = join(this.stacksDir, subdirectory);
    return this.files
      .list(directory)
      .filter(isYaml)
      .map((entry) => ({ name: entry.replace(/\.ya?ml$/i, ""), file: join(directory, entry) }));
  }

  settings(): { settings: FleetSettings; base: PermissionSet; extras: Extras | undefined } | undefined {
    const file = join(this.stacksDir, SETTINGS_FILE);
    if (this.files.read(file) === undefined) {
      this.problems.push({ file, line: 1, field: "", message: "the settings file is missing (it names partnerTenantId, applicationId and cloud)" });
      return undefined;
    }
    const loaded = this.declaration<SettingsFile>("settings", file);
    if (!loaded) return undefined;
    const { source, value } = loaded;
    const base = this.base(source, value.base);
    if (!base) return undefined;
    return {
      settings: { partnerTenantId: value.partnerTenantId.toLowerCase(), applicationId: value.applicationId.toLowerCase(), cloud: value.cloud },
      base,
      extras: value.extras,
    };
  }

  private base(source: YamlSource, base: SettingsFile["base"]): PermissionSet | undefined {
    if (base === undefined || base === "cipp") return { resources: CIPP_REQUIRED_RESOURCES };
    const documents: Partial<Record<CippFile, unknown>> = {};
    for (const field of ["samManifest", "additionalPermissions"] as const) {
      const relative = base[field];
      if (relative === undefined) continue;
      const path = join(dirname(source.file), relative);
      const text = this.files.read(path);
      if (text === undefined) {
        this.problems.push(source.problemAt(["base", field], `${path} does not exist`));
        continue;
      }
      try {
        documents[field] = JSON.parse(text) as unknown;
      } catch (error) {
        this.problems.push(source.problemAt(["base", field], `${path} is not valid JSON (${(error as Error).message})`));
      }
    }
    if (documents.samManifest === undefined || (base.additionalPermissions !== undefined && documents.additionalPermissions === undefined)) return undefined;
    try {
      return permissionSetFromCippFiles(documents.samManifest, documents.additionalPermissions);
    } catch (error) {
      if (!(error instanceof ManifestFormatError)) throw error;
      const path = join(dirname(source.file), base[error.document] ?? "");
      this.problems.push(source.problemAt(["base", error.document], `${path}: ${error.message}`));
      return undefined;
    }
  }

  profiles(): Map<string, Layer> {
    const layers = new Map<string, Layer>();
    for (const { name, file } of this.yamlFiles("profiles")) {
      const loaded = this.declaration<ChangeLists>("profile", file);
      if (!loaded) continue;
      layers.set(name, { name: `profile "${name}"`, ...readChanges(loaded.source, loaded.value, this.problems) });
    }
    return layers;
  }

  /** Every tenant file, checked on its own and against the others (no id or domain twice). */
  tenants(profileNames: readonly string[]): { source: YamlSource; value: TenantFile; layers: Layer[] }[] {
    const loaded: { source: YamlSource; value: TenantFile; layers: Layer[] }[] = [];
    const byId = new Map<string, YamlSource>();
    const byDomain = new Map<string, YamlSource>();
    for (const { file } of this.yamlFiles("tenants")) {
      const tenant = this.declaration<TenantFile>("tenant", file);
      if (!tenant) continue;
      const { source, value } = tenant;
      let duplicate = false;
      const claim = (seen: Map<string, YamlSource>, key: string, field: "tenantId" | "defaultDomain"): void => {
        const first = seen.get(key.toLowerCase());
        if (first) {
          duplicate = true;
          this.problems.push(source.problemAt([field], `${key} is also declared in ${first.file}:${first.lineOf([field])}`));
        } else seen.set(key.toLowerCase(), source);
      };
      claim(byId, value.tenantId, "tenantId");
      claim(byDomain, value.defaultDomain, "defaultDomain");
      const layers: Layer[] = [];
      (value.profiles ?? []).forEach((name, i) => {
        if (!profileNames.includes(name)) {
          this.problems.push(source.problemAt(["profiles", i], `unknown profile "${name}"${didYouMean(name, profileNames)}; profiles are the files in ${join(this.stacksDir, "profiles")}`));
        }
      });
      const own = readChanges(source, value, this.problems);
      layers.push({ name: `tenant ${value.defaultDomain}`, ...own });
      if (!duplicate) loaded.push({ source, value, layers });
    }
    return loaded;
  }
}

/**
 * Loads and resolves everything declared under `stacksDir`. Throws {@link DeclarationError}
 * listing every problem (file, line, field) when any declaration is wrong.
 */
export function loadFleet(stacksDir: string, files: DeclarationFiles = localFiles): Fleet {
  const loader = new FleetLoader(stacksDir, files);
  const settings = loader.settings();
  const profiles = loader.profiles();
  const tenants = loader.tenants([...profiles.keys()]);
  if (!settings || loader.problems.length > 0) throw new DeclarationError(loader.problems);

  const problems: DeclarationProblem[] = [];
  const seen = new Set<string>();
  const desired = tenants.map(({ source, value, layers }): DesiredTenant => {
    const tenantId = value.tenantId.toLowerCase();
    const isPartner = tenantId === settings.settings.partnerTenantId;
    const profileLayers = (value.profiles ?? []).flatMap((name) => profiles.get(name) ?? []);
    const resolved = resolvePermissions(settings.base, isPartner, [...profileLayers, ...layers]);
    for (const removal of resolved.ineffectiveRemovals) {
      const at = removal.source ?? { file: source.file, line: 1, field: "" };
      const inProfile = at.file !== source.file ? ` (applying ${removal.layer} to ${value.defaultDomain})` : "";
      const problem = { file: at.file, line: at.line, field: at.field, message: `${removal.message}: nothing to remove${inProfile}` };
      const key = `${problem.file}:${problem.line}:${problem.message}`;
      if (!seen.has(key)) problems.push(problem);
      seen.add(key);
    }
    return {
      tenantId,
      defaultDomain: value.defaultDomain.toLowerCase(),
      displayName: value.displayName,
      isPartner,
      excluded: value.excluded ?? false,
      profiles: value.profiles ?? [],
      permissions: resolved.permissions,
      extras: resolveExtras(settings.extras, value.extras),
      source: { file: source.file, line: 1 },
    };
  });
  if (problems.length > 0) throw new DeclarationError(problems);
  return { settings: settings.settings, tenants: desired };
}
