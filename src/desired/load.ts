/**
 * Loads the declarations under stacks/: settings (cipp-cpv.yaml), profiles (profiles/*.yaml) and
 * one file per tenant (tenants/*.yaml). Every file is checked as far as its own mistakes allow,
 * and every problem is reported in one {@link DeclarationError}. The only module of src/desired that
 * touches files; it reads and never writes.
 */
import { dirname, join } from "node:path";
import { CIPP_REQUIRED_RESOURCES } from "./cipp-default-set";
import { ManifestFormatError, permissionSetFromCippFiles, type CippFile } from "./cipp-manifest";
import { confinedFiles, DeclarationFileError, repositoryRoot, type DeclarationFiles } from "./declaration-files";
import { readChanges } from "./declarations";
import { DeclarationError, type DeclarationProblem } from "./declaration-error";
import type { DesiredTenant, ExtraPolicy, Fleet, ManagedBy, PermissionSet, TerraformBackend, TerraformSettings } from "./model";
import { resolveExtras, resolvePermissions, type IneffectiveRemoval, type Layer } from "./resolve";
import { checkSchema, type DeclarationKind, type SchemaFindings } from "./schema-check";
import { didYouMean, quoted } from "./suggest";
import { isMapping, parseYamlSource, type YamlSource } from "./yaml-source";

export type { DeclarationFiles };

/** Reads declarations from the local file system, anywhere (what `--allow-outside-repository` asks for). */
export const localFiles: DeclarationFiles = confinedFiles(null);

/** Reads declarations from the local file system, only from inside the repository holding `stacksDir`. */
export function repositoryFiles(stacksDir: string): DeclarationFiles {
  return confinedFiles(repositoryRoot(stacksDir));
}

/** The settings file's name inside the stacks directory. */
export const SETTINGS_FILE = "cipp-cpv.yaml";

interface Extras {
  readonly appRoles?: ExtraPolicy;
  readonly scopes?: ExtraPolicy;
}

/** The settings file as its schema describes it. */
interface SettingsFile {
  readonly partnerTenantId: string;
  readonly applicationId: string;
  readonly cloud: string;
  readonly base?: "cipp" | { readonly samManifest: string; readonly additionalPermissions?: string };
  readonly extras?: Extras;
  readonly terraform?: { readonly backend: Readonly<Record<string, string | boolean>> & { readonly type: TerraformBackend["type"] } };
}

/** A tenant file as its schema describes it (its add and remove lists are read as layers). */
interface TenantFile {
  readonly tenantId: string;
  readonly defaultDomain: string;
  readonly displayName: string;
  readonly profiles?: readonly string[];
  readonly excluded?: boolean;
  readonly extras?: Extras;
  readonly managedBy?: ManagedBy;
}

/** A declaration file that parsed, with what its schema check found. */
interface CheckedFile {
  readonly source: YamlSource;
  readonly findings: SchemaFindings;
}

/** The settings as far as removals need them: the base set, and the partner's id unless it is at fault. */
interface SettingsDeclaration extends CheckedFile {
  readonly base: PermissionSet;
  readonly partnerTenantId: string | undefined;
}

/**
 * A tenant file whose layers could all be read; its id is absent when it is at fault. It keeps what
 * the fleet needs of the file, not its parsed document: a fleet's thousands of those would otherwise
 * all be held until the last file is read.
 */
interface TenantDeclaration {
  readonly source: { readonly file: string; readonly value: unknown };
  /** The line naming the tenant's default domain, where an annotation about the tenant belongs. */
  readonly domainLine: number;
  readonly tenantId: string | undefined;
  /** How problems found while layering name the tenant: its domain, else its file. */
  readonly label: string;
  /** Its profiles in its order, then its own changes. */
  readonly layers: readonly Layer[];
}

// The tenant fields that do not change which permissions its layers hold: a fault in them leaves
// its removals worth checking. (tenantId decides whether it is the partner; see checkRemovals.)
const PERMISSION_NEUTRAL_TENANT_FIELDS = ["tenantId", "defaultDomain", "displayName", "excluded", "extras", "managedBy"];
const PERMISSION_NEUTRAL_PROFILE_FIELDS = ["description", "managedBy"];

const isYaml = (name: string): boolean => /\.ya?ml$/i.test(name);

/** A top-level string field that passed the schema, or undefined. */
function stringField({ source, findings }: CheckedFile, field: string): string | undefined {
  const value = isMapping(source.value) ? source.value[field] : undefined;
  return typeof value === "string" && !findings.faultAt([field]) ? value : undefined;
}

/** The removals in `layers` that remove nothing; when whether the tenant is the partner is unknown, those that remove nothing either way. */
function ineffectiveRemovals(base: PermissionSet, isPartner: boolean | undefined, layers: readonly Layer[]): IneffectiveRemoval[] {
  const key = (r: IneffectiveRemoval): string => `${r.layer}|${r.source?.file}|${r.source?.line}|${r.source?.field}|${r.message}`;
  const [first = [], ...others] = (isPartner === undefined ? [false, true] : [isPartner]).map(
    (partner) => resolvePermissions(base, partner, layers).ineffectiveRemovals,
  );
  return first.filter((removal) => others.every((run) => run.some((other) => key(other) === key(removal))));
}

class FleetLoader {
  readonly problems: DeclarationProblem[] = [];
  /** The owner each profile names, for the tenants that list it. */
  readonly profileOwners = new Map<string, ManagedBy>();
  private readonly reportedRemovals = new Set<string>();

  constructor(
    private readonly stacksDir: string,
    private readonly files: DeclarationFiles,
  ) {}

  /**
   * A file's text; undefined when it does not exist, null when it may not be read (the problem,
   * which never quotes the file, is recorded at `refusedAt`).
   */
  private read(
    file: string,
    refusedAt: (message: string) => DeclarationProblem = (message) => ({ file, line: 1, field: "", message }),
  ): string | undefined | null {
    try {
      return this.files.read(file);
    } catch (error) {
      if (!(error instanceof DeclarationFileError)) throw error;
      this.problems.push(refusedAt(error.message));
      return null;
    }
  }

  /** A file parsed and checked against its schema, or undefined when it is missing, refused or not YAML. */
  private declaration(kind: DeclarationKind, file: string, text: string | undefined | null = this.read(file)): CheckedFile | undefined {
    if (text === undefined || text === null) return undefined;
    const { source, problems } = parseYamlSource(file, text);
    this.problems.push(...problems);
    if (!source) return undefined;
    const findings = checkSchema(kind, source);
    this.problems.push(...findings.problems);
    return { source, findings };
  }

  private yamlFiles(subdirectory: string): { name: string; file: string }[] {
    const directory = join(this.stacksDir, subdirectory);
    let entries: string[];
    try {
      entries = this.files.list(directory);
    } catch (error) {
      if (!(error instanceof DeclarationFileError)) throw error;
      this.problems.push({ file: directory, line: 1, field: "", message: error.message });
      return [];
    }
    return entries.filter(isYaml).map((entry) => ({ name: entry.replace(/\.ya?ml$/i, ""), file: join(directory, entry) }));
  }

  /** The settings, or undefined when the base set is unknown (the problems say why). */
  settings(): SettingsDeclaration | undefined {
    const file = join(this.stacksDir, SETTINGS_FILE);
    const text = this.read(file);
    if (text === undefined) {
      this.problems.push({
        file,
        line: 1,
        field: "",
        message: "the settings file is missing (it names partnerTenantId, applicationId and cloud)",
      });
      return undefined;
    }
    const checked = this.declaration("settings", file, text);
    if (!checked || !isMapping(checked.source.value) || !checked.findings.whole(["base"])) return undefined;
    const base = this.base(checked.source, checked.source.value.base as SettingsFile["base"]);
    return base && { ...checked, base, partnerTenantId: stringField(checked, "partnerTenantId") };
  }

  private base(source: YamlSource, base: SettingsFile["base"]): PermissionSet | undefined {
    if (base === undefined || base === "cipp") return { resources: CIPP_REQUIRED_RESOURCES };
    const documents: Partial<Record<CippFile, unknown>> = {};
    for (const field of ["samManifest", "additionalPermissions"] as const) {
      const relative = base[field];
      if (relative === undefined) continue;
      const path = join(dirname(source.file), relative);
      const text = this.read(path, (message) => source.problemAt(["base", field], `${path} ${message}`));
      if (text === null) continue;
      if (text === undefined) {
        this.problems.push(source.problemAt(["base", field], `${path} does not exist`));
        continue;
      }
      try {
        documents[field] = JSON.parse(text) as unknown;
      } catch {
        // JSON.parse's message quotes the text around the fault: say where, not what.
        this.problems.push(source.problemAt(["base", field], `${path} is not valid JSON`));
      }
    }
    if (documents.samManifest === undefined || (base.additionalPermissions !== undefined && documents.additionalPermissions === undefined))
      return undefined;
    try {
      return permissionSetFromCippFiles(documents.samManifest, documents.additionalPermissions);
    } catch (error) {
      if (!(error instanceof ManifestFormatError)) throw error;
      const path = join(dirname(source.file), base[error.document] ?? "");
      this.problems.push(source.problemAt(["base", error.document], `${path}: ${error.message}`));
      return undefined;
    }
  }

  /** Every profile file by name, with its layer, or undefined when it could not be read whole. */
  profiles(): Map<string, Layer | undefined> {
    const layers = new Map<string, Layer | undefined>();
    for (const { name, file } of this.yamlFiles("profiles")) {
      // The name is taken even when the file is wrong: its tenants then hear of it, not of an unknown profile.
      layers.set(name, undefined);
      const checked = this.declaration("profile", file);
      if (!checked) continue;
      const owner = stringField(checked, "managedBy");
      if (owner === "terraform" || owner === "cipp-cpv") this.profileOwners.set(name, owner);
      const changes = readChanges(checked.source, checked.findings, this.problems);
      if (changes && checked.findings.wholeExcept(PERMISSION_NEUTRAL_PROFILE_FIELDS))
        layers.set(name, { name: `profile "${name}"`, ...changes });
    }
    return layers;
  }

  /**
   * Every tenant file, checked on its own and against the others (no id or domain twice). Those
   * whose layers could all be read come back, for their removals to be checked.
   */
  tenants(profiles: ReadonlyMap<string, Layer | undefined>): TenantDeclaration[] {
    const loaded: TenantDeclaration[] = [];
    // Where each id and domain was first declared, as file:line (not the parsed file, which is let go).
    const byId = new Map<string, string>();
    const byDomain = new Map<string, string>();
    const claim = (checked: CheckedFile, seen: Map<string, string>, field: "tenantId" | "defaultDomain"): void => {
      const key = stringField(checked, field);
      if (key === undefined) return;
      const first = seen.get(key.toLowerCase());
      if (first !== undefined) this.problems.push(checked.source.problemAt([field], `${key} is also declared in ${first}`));
      else seen.set(key.toLowerCase(), `${checked.source.file}:${checked.source.lineOf([field])}`);
    };
    for (const { file } of this.yamlFiles("tenants")) {
      const checked = this.declaration("tenant", file);
      if (!checked) continue;
      claim(checked, byId, "tenantId");
      claim(checked, byDomain, "defaultDomain");
      const profileLayers = this.profileLayers(checked, profiles);
      const own = readChanges(checked.source, checked.findings, this.problems);
      const label = stringField(checked, "defaultDomain") ?? checked.source.file;
      if (profileLayers && own && checked.findings.wholeExcept(PERMISSION_NEUTRAL_TENANT_FIELDS)) {
        loaded.push({
          source: { file: checked.source.file, value: checked.source.value },
          domainLine: checked.source.lineOf(["defaultDomain"], true),
          tenantId: stringField(checked, "tenantId"),
          label,
          layers: [...profileLayers, { name: `tenant ${label}`, ...own }],
        });
      }
    }
    return loaded;
  }

  /** The layers of the profiles a tenant lists, or undefined when any is unknown or could not be read whole. */
  private profileLayers({ source, findings }: CheckedFile, profiles: ReadonlyMap<string, Layer | undefined>): Layer[] | undefined {
    const listed = isMapping(source.value) ? source.value.profiles : undefined;
    if (!Array.isArray(listed)) return [];
    const names = [...profiles.keys()];
    const layers = listed.map((name: unknown, i) => {
      if (typeof name !== "string" || findings.faultAt(["profiles", i])) return undefined;
      if (!profiles.has(name)) {
        this.problems.push(
          source.problemAt(
            ["profiles", i],
            `unknown profile ${quoted(name)}${didYouMean(name, names)}; profiles are the files in ${join(this.stacksDir, "profiles")}`,
          ),
        );
      }
      return profiles.get(name);
    });
    return layers.every((layer) => layer !== undefined) ? layers : undefined;
  }

  /**
   * Reports the removals in a tenant's layers that remove nothing. When the tenant's or the
   * partner's id is at fault, whether the tenant is the partner (who alone holds Partner Center's
   * scope) is unknown, so only what removes nothing either way is reported.
   */
  checkRemovals(settings: SettingsDeclaration, tenant: TenantDeclaration): void {
    const { partnerTenantId } = settings;
    const isPartner =
      partnerTenantId !== undefined && tenant.tenantId !== undefined
        ? tenant.tenantId.toLowerCase() === partnerTenantId.toLowerCase()
        : undefined;
    for (const removal of ineffectiveRemovals(settings.base, isPartner, tenant.layers)) {
      const at = removal.source ?? { file: tenant.source.file, line: 1, field: "" };
      const inProfile = at.file !== tenant.source.file ? ` (applying ${removal.layer} to ${tenant.label})` : "";
      const problem = { file: at.file, line: at.line, field: at.field, message: `${removal.message}: nothing to remove${inProfile}` };
      const key = `${problem.file}:${problem.line}:${problem.message}`;
      if (!this.reportedRemovals.has(key)) this.problems.push(problem);
      this.reportedRemovals.add(key);
    }
  }
}

/** The fleet, from declarations that have no problem at all (so their values are as the schemas say). */
function fleetOf(
  settings: SettingsDeclaration,
  tenants: readonly TenantDeclaration[],
  profileOwners: ReadonlyMap<string, ManagedBy>,
): Fleet {
  const declared = settings.source.value as SettingsFile;
  const partnerTenantId = declared.partnerTenantId.toLowerCase();
  const terraform = terraformSettings(declared);
  // Tenants that only list profiles hold the same permissions as every tenant listing the same ones:
  // resolved once and shared (read-only), so a fleet's memory does not grow with a copy per tenant.
  const shared = new Map<string, PermissionSet>();
  const permissionsOf = (isPartner: boolean, profiles: readonly string[], layers: readonly Layer[]): PermissionSet => {
    const own = layers[layers.length - 1];
    if (own === undefined || own.add.length > 0 || own.remove.length > 0)
      return resolvePermissions(settings.base, isPartner, layers).permissions;
    const key = JSON.stringify([isPartner, profiles]);
    let permissions = shared.get(key);
    if (permissions === undefined) {
      permissions = resolvePermissions(settings.base, isPartner, layers).permissions;
      shared.set(key, permissions);
    }
    return permissions;
  };
  return {
    settings: {
      partnerTenantId,
      applicationId: declared.applicationId.toLowerCase(),
      cloud: declared.cloud,
      ...(terraform ? { terraform } : {}),
    },
    tenants: tenants.map(({ source, domainLine, layers }): DesiredTenant => {
      const value = source.value as TenantFile;
      const tenantId = value.tenantId.toLowerCase();
      const isPartner = tenantId === partnerTenantId;
      return {
        tenantId,
        defaultDomain: value.defaultDomain.toLowerCase(),
        displayName: value.displayName,
        isPartner,
        excluded: value.excluded ?? false,
        profiles: value.profiles ?? [],
        permissions: permissionsOf(isPartner, value.profiles ?? [], layers),
        extras: resolveExtras(declared.extras, value.extras),
        managedBy:
          value.managedBy ??
          [...(value.profiles ?? [])]
            .reverse()
            .map((name) => profileOwners.get(name))
            .find((owner) => owner !== undefined) ??
          "cipp-cpv",
        // The line naming the tenant, where an annotation about the tenant as a whole belongs.
        source: { file: source.file, line: domainLine },
      };
    }),
  };
}

/**
 * Loads and resolves everything declared under `stacksDir`. Throws {@link DeclarationError}
 * listing every problem (file, line, field) when any declaration is wrong: each file is checked
 * as far as its mistakes allow, so that one run reports everything there is to fix.
 */
export function loadFleet(stacksDir: string, files: DeclarationFiles = repositoryFiles(stacksDir)): Fleet {
  const loader = new FleetLoader(stacksDir, files);
  const settings = loader.settings();
  const profiles = loader.profiles();
  const tenants = loader.tenants(profiles);
  if (settings) for (const tenant of tenants) loader.checkRemovals(settings, tenant);
  if (!settings || loader.problems.length > 0) throw new DeclarationError(loader.problems);
  return fleetOf(settings, tenants, loader.profileOwners);
}

/** The Terraform settings with their defaults filled in, from a settings file that passed its schema. */
function terraformSettings(declared: SettingsFile): TerraformSettings | undefined {
  const backend = declared.terraform?.backend;
  if (backend === undefined) return undefined;
  const text = (field: string, fallback: string): string => {
    const value = backend[field];
    return typeof value === "string" ? value : fallback;
  };
  switch (backend.type) {
    case "local":
      return { backend: { type: "local", directory: text("directory", "terraform-state") } };
    case "azurerm":
      return {
        backend: {
          type: "azurerm",
          resourceGroupName: text("resourceGroupName", ""),
          storageAccountName: text("storageAccountName", ""),
          containerName: text("containerName", ""),
          keyPrefix: text("keyPrefix", "cipp-cpv/"),
          ...(typeof backend["useOidc"] === "boolean" ? { useOidc: backend["useOidc"] } : {}),
        },
      };
    case "s3":
      return {
        backend: {
          type: "s3",
          bucket: text("bucket", ""),
          region: text("region", ""),
          keyPrefix: text("keyPrefix", "cipp-cpv/"),
          ...(typeof backend["dynamodbTable"] === "string" ? { dynamodbTable: backend["dynamodbTable"] } : {}),
        },
      };
    case "remote":
    case "cloud":
      return {
        backend: {
          type: backend.type,
          organization: text("organization", ""),
          workspacePrefix: text("workspacePrefix", "cipp-cpv-"),
          ...(typeof backend["hostname"] === "string" ? { hostname: backend["hostname"] } : {}),
        },
      };
  }
}
