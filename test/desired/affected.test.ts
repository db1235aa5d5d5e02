import { cpSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { affectedTenants, baseFilesOf, deletedTenantFiles, parseChangedPaths } from "../../src/desired/affected";
import { existsSync } from "node:fs";
import { loadFleet } from "../../src/desired/load";
import type { Fleet } from "../../src/desired/model";

const SETTINGS = [
  "partnerTenantId: b8d3f1a2-6c4e-4f0a-9e21-5a7c3d9e1f01",
  "applicationId: 6f1a2b3c-4d5e-4f60-8a7b-9c0d1e2f3a4b",
  "cloud: public",
  "base:",
  "  samManifest: ../cipp/SAMManifest.json",
  "  additionalPermissions: ../cipp/AdditionalPermissions.json",
  "",
].join("\n");
const PROFILE = "remove:\n  - resource: Office 365 Exchange Online\n    appRoles: [Exchange.ManageAsApp]\n";
const tenant = (n: number, name: string, rest = ""): string =>
  `tenantId: 00000000-0000-4000-8000-00000000000${n}\ndefaultDomain: ${name}.onmicrosoft.com\ndisplayName: ${name}\n${rest}`;

/** A repository: stacks/ with four tenants and two profiles, and CIPP's files in cipp/ beside it. */
const root = mkdtempSync(join(tmpdir(), "cipp-cpv-repo-"));
afterAll(() => rmSync(root, { recursive: true, force: true }));
cpSync(join(__dirname, "..", "fixtures", "desired", "cipp"), join(root, "cipp"), { recursive: true });
const files: Record<string, string> = {
  "stacks/cipp-cpv.yaml": SETTINGS,
  "stacks/profiles/mail.yaml": PROFILE,
  "stacks/profiles/no-exchange.yml": PROFILE,
  "stacks/tenants/alpha.yaml": tenant(1, "alpha", "profiles: [mail]\n"),
  "stacks/tenants/beta.yaml": tenant(2, "beta", "profiles: [no-exchange]\n"),
  "stacks/tenants/gamma.yaml": tenant(3, "gamma"),
  "stacks/tenants/delta.yaml": tenant(4, "delta", "profiles: [mail]\nexcluded: true\n"),
};
for (const [file, text] of Object.entries(files)) {
  mkdirSync(dirname(join(root, file)), { recursive: true });
  writeFileSync(join(root, file), text);
}
const stacksDir = join(root, "stacks");
const fleet: Fleet = loadFleet(stacksDir);
const baseFiles = baseFilesOf(join(stacksDir, "cipp-cpv.yaml"), SETTINGS);

/** The names of the tenants `changed` touches, paths relative to the repository root. */
function affected(changed: readonly string[], stacks = stacksDir): string[] {
  return affectedTenants(fleet, stacks, changed, { root, baseFiles }).map((t) => t.displayName);
}

describe("the tenants a change touches", () => {
  it("a changed tenant file selects that tenant alone", () => {
    expect(affected(["stacks/tenants/gamma.yaml"])).toEqual(["gamma"]);
    expect(affected(["stacks/tenants/beta.yaml", "stacks/tenants/alpha.yaml"])).toEqual(["alpha", "beta"]);
  });

  it("matches absolute paths, ./ prefixes and a stacks folder given relative to the root", () => {
    expect(affected([join(root, "stacks/tenants/gamma.yaml")])).toEqual(["gamma"]);
    expect(affected(["./stacks/tenants/../tenants/gamma.yaml"])).toEqual(["gamma"]);
    const relativeFleet = affectedTenants(fleet, "stacks", ["stacks/tenants/alpha.yaml"], { root });
    expect(relativeFleet.map((t) => t.displayName)).toEqual(["alpha"]);
  });

  it("a changed profile selects every tenant using it, whatever its YAML extension", () => {
    expect(affected(["stacks/profiles/mail.yaml"])).toEqual(["alpha"]);
    expect(affected(["stacks/profiles/no-exchange.yml"])).toEqual(["beta"]);
  });

  it("a changed settings file or base manifest file selects every managed tenant", () => {
    expect(affected(["stacks/cipp-cpv.yaml"])).toEqual(["alpha", "beta", "gamma"]);
    expect(affected(["cipp/SAMManifest.json"])).toEqual(["alpha", "beta", "gamma"]);
    expect(affected(["cipp/AdditionalPermissions.json"])).toEqual(["alpha", "beta", "gamma"]);
  });

  it("a changed folder holding a base file (a submodule update) selects every managed tenant", () => {
    expect(affected(["cipp"])).toEqual(["alpha", "beta", "gamma"]);
  });

  it("paths outside the stacks folder, and files in it that declare nothing, select nothing", () => {
    expect(affected(["README.md", "src/index.ts", "cipp/Other.json", "tenants/gamma.yaml"])).toEqual([]);
    expect(affected(["stacks/main.ts", "stacks/profiles/README.md", "stacks/tenants/nested/gamma.yaml"])).toEqual([]);
  });

  it("a deleted tenant file selects nothing: that tenant simply leaves management", () => {
    expect(affected(["stacks/tenants/removed.yaml"])).toEqual([]);
  });

  it("never selects an excluded tenant, however it is touched", () => {
    expect(affected(["stacks/tenants/delta.yaml"])).toEqual([]);
    expect(affected(["stacks/profiles/mail.yaml"])).not.toContain("delta");
    expect(affected(["stacks/cipp-cpv.yaml"])).not.toContain("delta");
  });

  it("an empty change selects nothing", () => {
    expect(affected([])).toEqual([]);
    expect(affected(["", "  "])).toEqual([]);
  });

  it("without base files given, a manifest change is not recognised", () => {
    expect(affectedTenants(fleet, stacksDir, ["cipp/SAMManifest.json"], { root }).map((t) => t.displayName)).toEqual([]);
  });
});

describe("the base files a settings file names", () => {
  it("resolves them against the settings file's folder", () => {
    expect(baseFiles).toEqual([join(root, "cipp", "SAMManifest.json"), join(root, "cipp", "AdditionalPermissions.json")]);
  });

  it("names none for the built-in set, a missing base or text that does not parse", () => {
    expect(baseFilesOf("/r/stacks/cipp-cpv.yaml", "base: cipp\n")).toEqual([]);
    expect(baseFilesOf("/r/stacks/cipp-cpv.yaml", "cloud: public\n")).toEqual([]);
    expect(baseFilesOf("/r/stacks/cipp-cpv.yaml", "base: [unclosed\n")).toEqual([]);
    expect(baseFilesOf("/r/stacks/cipp-cpv.yaml", "base:\n  samManifest: m.json\n")).toEqual(["/r/stacks/m.json"]);
  });
});

describe("a list of changed paths", () => {
  it("one per line, keeping spaces inside a path", () => {
    expect(parseChangedPaths("stacks/tenants/a b.yaml\r\nstacks/cipp-cpv.yaml\n\n")).toEqual([
      "stacks/tenants/a b.yaml",
      "stacks/cipp-cpv.yaml",
    ]);
  });

  it("a single path with a space stays one path", () => {
    expect(parseChangedPaths("  stacks/tenants/north wind.yaml\t")).toEqual(["stacks/tenants/north wind.yaml"]);
  });

  it("empty text names nothing", () => {
    expect(parseChangedPaths(" \n ")).toEqual([]);
  });
});

describe("tenant files a change deleted", () => {
  const deleted = (changed: readonly string[]): string[] =>
    deletedTenantFiles("stacks", changed, existsSync, { root }).map((file) => file.slice(root.length + 1));

  it("a listed tenant file that no longer exists is deleted; one that exists is not", () => {
    expect(deleted(["stacks/tenants/gone.yaml", "stacks/tenants/alpha.yaml", "stacks/tenants/old one.yml"])).toEqual([
      "stacks/tenants/gone.yaml",
      "stacks/tenants/old one.yml",
    ]);
  });

  it("only YAML files directly in the tenants folder count, each once", () => {
    expect(deleted(["stacks/profiles/gone.yaml", "stacks/tenants/notes.txt", "stacks/tenants/sub/gone.yaml", "README.md"])).toEqual([]);
    expect(deleted(["stacks/tenants/gone.yaml", "./stacks/tenants/gone.yaml", join(root, "stacks/tenants/gone.yaml")])).toEqual([
      "stacks/tenants/gone.yaml",
    ]);
  });

  it("a deleted tenant file selects no tenant: it is reported, never planned", () => {
    expect(affected(["stacks/tenants/gone.yaml"])).toEqual([]);
  });
});
