/**
 * Which declared tenants a change touches, so that a pull request's plan covers what the pull
 * request changes rather than the whole fleet. Pure: it compares paths and reads no file.
 */
import * as path from "node:path";
import { parse } from "yaml";
import { SETTINGS_FILE } from "./load";
import type { DesiredTenant, Fleet } from "./model";

export { parseChangedPaths } from "./changed-paths";

/** How to read the changed paths. */
export interface AffectedOptions {
  /**
   * The files the base permission set is read from (the settings' `base`, see {@link baseFilesOf}).
   * A change to one of them changes every tenant, wherever the file lies.
   */
  readonly baseFiles?: readonly string[];
  /** What relative paths are relative to: the repository root, where `git diff --name-only` lists from. @default process.cwd() */
  readonly root?: string;
}

/**
 * The non-excluded tenants, in declaration order, whose declaration a change to `changedPaths`
 * touches:
 * - a tenant whose own file changed;
 * - every tenant using a profile whose file changed;
 * - every tenant when the settings file or a base manifest file it names changed (a changed
 *   folder holding a base file counts: a submodule update lists only the submodule's folder).
 * Other paths, inside or outside the stacks folder, touch no tenant; so does a deleted tenant
 * file, since its tenant is no longer declared. Paths are absolute or relative to `options.root`.
 */
export function affectedTenants(
  fleet: Fleet,
  stacksDir: string,
  changedPaths: readonly string[],
  options: AffectedOptions = {},
): DesiredTenant[] {
  const root = options.root ?? process.cwd();
  const absolute = (file: string): string => path.resolve(root, file);
  const changed = new Set(
    changedPaths
      .map((file) => file.trim())
      .filter((file) => file !== "")
      .map(absolute),
  );
  const managed = fleet.tenants.filter((tenant) => !tenant.excluded);

  const stacks = absolute(stacksDir);
  const everything = [path.join(stacks, SETTINGS_FILE), ...(options.baseFiles ?? []).map(absolute)];
  if (everything.some((file) => [...changed].some((entry) => entry === file || isInside(file, entry)))) return managed;

  const profilesDir = path.join(stacks, "profiles");
  const changedProfiles = new Set(
    [...changed]
      .filter((file) => path.dirname(file) === profilesDir && YAML_FILE.test(file))
      .map((file) => path.basename(file).replace(YAML_FILE, "")),
  );
  return managed.filter(
    (tenant) => changed.has(absolute(tenant.source.file)) || tenant.profiles.some((profile) => changedProfiles.has(profile)),
  );
}

/**
 * The tenant files a change deleted: changed paths naming a YAML file directly in the stacks'
 * tenants folder that `exists` no longer finds. Such a tenant is no longer declared, so it is in
 * no plan; the caller reports it, because a deletion never resets or removes anything in the
 * tenant. Paths are absolute or relative to `options.root`; the result is absolute.
 */
export function deletedTenantFiles(
  stacksDir: string,
  changedPaths: readonly string[],
  exists: (file: string) => boolean,
  options: Pick<AffectedOptions, "root"> = {},
): string[] {
  const root = options.root ?? process.cwd();
  const tenantsDir = path.join(path.resolve(root, stacksDir), "tenants");
  const changed = changedPaths
    .map((file) => file.trim())
    .filter((file) => file !== "")
    .map((file) => path.resolve(root, file));
  return [...new Set(changed)].filter((file) => path.dirname(file) === tenantsDir && YAML_FILE.test(file) && !exists(file));
}

/**
 * The base manifest files a settings file names (`base: { samManifest, additionalPermissions }`),
 * resolved against the settings file's folder as the loader resolves them; none for the built-in
 * set or text that does not parse (the loader reports that).
 */
export function baseFilesOf(settingsFile: string, settingsText: string): string[] {
  let settings: unknown;
  try {
    settings = parse(settingsText);
  } catch {
    return [];
  }
  const base = isRecord(settings) ? settings["base"] : undefined;
  if (!isRecord(base)) return [];
  return [base["samManifest"], base["additionalPermissions"]]
    .filter((file): file is string => typeof file === "string" && file !== "")
    .map((file) => path.join(path.dirname(settingsFile), file));
}

const YAML_FILE = /\.ya?ml$/i;

function isInside(file: string, folder: string): boolean {
  const relative = path.relative(folder, file);
  return relative !== "" && !relative.startsWith("..") && !path.isAbsolute(relative);
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}
