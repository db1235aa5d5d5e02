/**
 * The reference data the fidelity tests compare the emulator with: Microsoft Graph documentation
 * examples and the real permissions of Microsoft's resource apps. It lives beside the project
 * (../shared/data), not in it, so a clone without it skips these tests instead of failing; CI sets
 * CIPP_CPV_REQUIRE_FIDELITY=1 (.ci/run), which turns that skip into a failure.
 */
import { existsSync, readFileSync } from "node:fs";
import { join, resolve } from "node:path";

/** Where the reference data is expected, relative to the project root. */
export const SHARED_DATA_DIR = resolve(__dirname, "..", "..", "..", "shared", "data");

/** One documented request/response pair, as graph-doc-examples.json holds it. */
export interface DocExample {
  readonly name: string;
  readonly docPath: string;
  readonly request: {
    readonly method: string;
    readonly url: string;
    readonly headers?: Record<string, string>;
    readonly body?: unknown;
  } | null;
  readonly response: {
    readonly status: number | null;
    readonly headers?: Record<string, string>;
    /** The docs shortened the body for readability: properties may be missing from it. */
    readonly truncated?: boolean;
    readonly body: unknown;
  } | null;
}

/** A permission of a resource app, as graph-permissions.json holds it (Graph's wire names). */
export interface PublishedPermission {
  readonly id: string;
  readonly value: string;
  readonly allowedMemberTypes?: readonly string[] | null;
  readonly isEnabled?: boolean | null;
  readonly type?: string | null;
}

export interface PublishedResource {
  readonly appId: string;
  readonly displayName: string;
  readonly appRoles: readonly PublishedPermission[];
  readonly oauth2PermissionScopes: readonly PublishedPermission[];
}

/** CIPP's permission request per resource app (cipp-sam-manifest.json). */
export interface CippResourceAccess {
  readonly resourceAppId: string;
  readonly resourceAccess: readonly { readonly id: string; readonly type: "Role" | "Scope"; readonly name?: string }[];
}

export interface CippManifest {
  readonly requiredResourceAccess: readonly CippResourceAccess[];
  readonly additionalPermissions: readonly CippResourceAccess[];
}

function file(name: string): string {
  return join(SHARED_DATA_DIR, name);
}

function readJson(name: string): unknown {
  return JSON.parse(readFileSync(file(name), "utf8"));
}

/** The environment variable that makes missing reference data a failure instead of a skip. */
export const REQUIRE_FIDELITY_ENV = "CIPP_CPV_REQUIRE_FIDELITY";

/** What to do with a suite whose reference files `missing` are absent: run it, skip it, or fail. */
export function sharedDataMode(missing: readonly string[], env: NodeJS.ProcessEnv = process.env): "run" | "skip" | "fail" {
  if (missing.length === 0) return "run";
  return env[REQUIRE_FIDELITY_ENV] === "1" ? "fail" : "skip";
}

/** The reference files among `files` (names in ../shared/data) that are absent, as full paths. */
export function missingSharedData(files: readonly string[]): string[] {
  return files.filter((name) => !existsSync(file(name))).map(file);
}

/**
 * `describe` when every named file of the reference data exists, otherwise `describe.skip` with a
 * title that says which file is missing, or, where the data is required (CI), a suite whose one test
 * fails saying so. Decided at load time: a skipped suite does not even run `body`, which may read
 * the data to declare its tests.
 */
export function describeWithSharedData(title: string, files: readonly string[], body: () => void): void {
  const missing = missingSharedData(files);
  switch (sharedDataMode(missing)) {
    case "run":
      describe(title, body);
      return;
    case "skip":
      describe.skip(`${title} (skipped: ${missing.join(", ")} not found)`, () => {
        it("needs the reference data", () => expect(missing).toEqual([]));
      });
      return;
    case "fail":
      describe(title, () => {
        it(`needs the reference data (${REQUIRE_FIDELITY_ENV}=1)`, () => {
          throw new Error(`${missing.join(", ")} not found, and ${REQUIRE_FIDELITY_ENV}=1 requires the fidelity tests to run.`);
        });
      });
  }
}

/** The documentation examples, by name. */
export function docExamples(): ReadonlyMap<string, DocExample> {
  const data = readJson("graph-doc-examples.json") as { examples: DocExample[] };
  return new Map(data.examples.map((e) => [e.name, e]));
}

/** The real appRoles and oauth2PermissionScopes of Microsoft's resource apps. */
export function publishedResources(): readonly PublishedResource[] {
  return (readJson("graph-permissions.json") as { resources: PublishedResource[] }).resources;
}

export function cippManifest(): CippManifest {
  return readJson("cipp-sam-manifest.json") as CippManifest;
}
