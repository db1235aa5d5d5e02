/**
 * Declaration files as untrusted input: symbolic links out of the repository, manifest paths that
 * climb out of it, dangling links, bytes that are not UTF-8, oversized files, folders named like
 * files and YAML alias bombs. Each is refused with a clear error naming the file, exit 1, no request
 * sent, and no byte of the file's content in the output beyond the offending token.
 */
import { cpSync, mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { main } from "../../src/cli/program";
import { DEMO } from "../../src/emulator";
import { capture, startSandbox, STACKS, type Sandbox } from "./cli-harness";

let sandbox: Sandbox;
beforeAll(async () => {
  sandbox = await startSandbox();
});
afterAll(async () => {
  await sandbox.emulator.stop();
});

let counter = 0;
/** A repository (a folder with .git) holding a copy of the demo stacks; `change` alters it. */
function repository(change: (stacks: string, repo: string) => void): string {
  const repo = mkdtempSync(path.join(tmpdir(), `cipp-cpv-repo-${counter++}-`));
  mkdirSync(path.join(repo, ".git"));
  const stacks = path.join(repo, "stacks");
  cpSync(STACKS, stacks, { recursive: true });
  change(stacks, repo);
  return stacks;
}

const passwdFirstLine = ((): string => {
  try {
    return readFileSync("/etc/passwd", "utf8").split("\n")[0] ?? "root:x:0:0";
  } catch {
    return "root:x:0:0";
  }
})();

/** validate, then plan against the emulator: both exit 1, name the file, send nothing and quote none of `secrets`. */
async function expectRefused(stacks: string, file: RegExp, reason: RegExp, secrets: readonly string[]): Promise<void> {
  for (const command of [["validate"], ["plan", "--quiet"]]) {
    const io = capture();
    const before = sandbox.emulator.requests().total;
    expect(await main([...command, "--stacks", stacks], sandbox.env(), io.output)).toBe(1);
    expect(sandbox.emulator.requests().total).toBe(before);
    const said = io.stdout() + io.stderr();
    expect(io.stdout()).toBe("");
    expect(said).toMatch(file);
    expect(said).toMatch(reason);
    for (const secret of secrets) expect(said).not.toContain(secret);
    expect(said).not.toMatch(/EISDIR|ReferenceError|TypeError| {4}at /);
  }
}

it("refuses a tenant file that is a symbolic link to /etc/passwd, quoting nothing of it", async () => {
  const stacks = repository((s) => symlinkSync("/etc/passwd", path.join(s, "tenants", "evil.yaml")));
  await expectRefused(
    stacks,
    /tenants\/evil\.yaml:1: is a symbolic link to \/etc\/passwd, outside the repository/,
    /read only from inside it/,
    [passwdFirstLine, "root:x"],
  );
});

it("refuses a tenant file that is a symbolic link to /proc/self/environ, quoting nothing of it", async () => {
  const stacks = repository((s) => symlinkSync("/proc/self/environ", path.join(s, "tenants", "environ.yaml")));
  await expectRefused(stacks, /tenants\/environ\.yaml:1: is a symbolic link to \/proc\/\d+\/environ, outside the repository/, /outside/, [
    "PATH=",
    "HOME=",
  ]);
});

it("refuses a base.samManifest path that climbs out of the repository", async () => {
  const stacks = repository((s) => {
    const settings = path.join(s, "cipp-cpv.yaml");
    writeFileSync(
      settings,
      readFileSync(settings, "utf8").replace(/^base:.*$/m, "") + "base:\n  samManifest: ../../../../../../../../etc/passwd\n",
    );
  });
  await expectRefused(
    stacks,
    /cipp-cpv\.yaml:\d+: base\.samManifest: .*etc\/passwd resolves to \/etc\/passwd, outside the repository/,
    /outside/,
    [passwdFirstLine, "root:x"],
  );
});

it("never quotes a manifest inside the repository that is not JSON", async () => {
  const canary = "CANARY-ab12-secret-content";
  const stacks = repository((s, repo) => {
    writeFileSync(path.join(repo, "SAMManifest.json"), `${canary}=${canary}\n`);
    const settings = path.join(s, "cipp-cpv.yaml");
    writeFileSync(settings, readFileSync(settings, "utf8").replace(/^base:.*$/m, "") + "base:\n  samManifest: ../SAMManifest.json\n");
  });
  await expectRefused(stacks, /cipp-cpv\.yaml:\d+: base\.samManifest: .*SAMManifest\.json is not valid JSON$/m, /not valid JSON/, [
    canary,
    "CANARY",
  ]);
});

it("reads outside the repository when --allow-outside-repository says so", async () => {
  const elsewhere = mkdtempSync(path.join(tmpdir(), "cipp-cpv-elsewhere-"));
  writeFileSync(path.join(elsewhere, "fabrikam.yaml"), readFileSync(path.join(STACKS, "tenants", "fabrikam.yaml")));
  const stacks = repository((s) => {
    const link = path.join(s, "tenants", "fabrikam.yaml");
    cpSync(path.join(elsewhere, "fabrikam.yaml"), path.join(elsewhere, "copy.yaml"));
    writeFileSync(link, "");
    rmSync(link);
    symlinkSync(path.join(elsewhere, "fabrikam.yaml"), link);
  });
  const refused = capture();
  expect(await main(["validate", "--stacks", stacks], {}, refused.output)).toBe(1);
  expect(refused.stderr()).toContain("outside the repository");
  const allowed = capture();
  expect(await main(["validate", "--stacks", stacks, "--allow-outside-repository"], {}, allowed.output)).toBe(0);
  expect(allowed.stdout()).toContain("valid. 6 tenants declared");
});

it("reports a dangling symbolic link as an error instead of skipping the tenant", async () => {
  const stacks = repository((s) => symlinkSync(path.join(s, "tenants", "gone-away.yaml.orig"), path.join(s, "tenants", "gone.yaml")));
  await expectRefused(stacks, /tenants\/gone\.yaml:1: is a symbolic link to something that does not exist/, /does not exist/, []);
});

it("refuses bytes that are not UTF-8, naming the line", async () => {
  const stacks = repository((s) => {
    const file = path.join(s, "tenants", "fabrikam.yaml");
    const text = readFileSync(file, "utf8").replace("displayName: Fabrikam", "displayName: Fabrik\u0000am");
    writeFileSync(file, Buffer.from(text.replace("\u0000", "\u0001"), "utf8").toString("latin1").replace("\u0001", "\u00ff"), "latin1");
  });
  await expectRefused(stacks, /tenants\/fabrikam\.yaml:1: is not UTF-8 text \(on line 6\)/, /read as UTF-8/, ["Fabrik"]);
});

it("refuses a 10 MB file of bogus permission names by its size, before reading it", async () => {
  const stacks = repository((s) => {
    const head = `tenantId: ${DEMO.healthy.tenantId}\ndefaultDomain: ${DEMO.healthy.defaultDomain}\ndisplayName: Fabrikam\nadd:\n  - resource: Microsoft Graph\n    appRoles:\n`;
    const names: string[] = [];
    for (let i = 0; names.length * 28 < 10_000_000; i++) names.push(`      - Bogus${i}.ReadWrite.All`);
    writeFileSync(path.join(s, "tenants", "fabrikam.yaml"), `${head}${names.join("\n")}\n`);
  });
  await expectRefused(stacks, /tenants\/fabrikam\.yaml:1: is \d+ bytes; declarations and manifests are at most 1 MiB/, /1 MiB/, ["Bogus0"]);
});

it("refuses a list of thousands of bogus permission names within the size limit as one problem", async () => {
  const stacks = repository((s) => {
    const head = `tenantId: ${DEMO.healthy.tenantId}\ndefaultDomain: ${DEMO.healthy.defaultDomain}\ndisplayName: Fabrikam\nadd:\n  - resource: Microsoft Graph\n    appRoles:\n`;
    const names = Array.from({ length: 20_000 }, (_, i) => `      - Sites.Reed${i}.All`);
    writeFileSync(path.join(s, "tenants", "fabrikam.yaml"), `${head}${names.join("\n")}\n`);
  });
  await expectRefused(
    stacks,
    /tenants\/fabrikam\.yaml:7: add\[0\]\.appRoles: lists 20000 entries; a declaration's lists hold at most 1000/,
    /The declarations have 1 problem:/,
    ["Sites.Reed"],
  );
});

it("lists a bounded number of the problems of a file full of unknown names", async () => {
  const stacks = repository((s) => {
    const head = `tenantId: ${DEMO.healthy.tenantId}\ndefaultDomain: ${DEMO.healthy.defaultDomain}\ndisplayName: Fabrikam\nadd:\n`;
    const entries = Array.from(
      { length: 5 },
      (_, r) =>
        `  - resource: Microsoft Graph\n    appRoles:\n${Array.from({ length: 900 }, (_, i) => `      - Sites.Reed${r}x${i}.All`).join("\n")}`,
    );
    writeFileSync(path.join(s, "tenants", "fabrikam.yaml"), `${head}${entries.join("\n")}\n`);
  });
  const io = capture();
  expect(await main(["validate", "--stacks", stacks], {}, io.output)).toBe(1);
  expect(io.stderr()).toContain("The declarations have 4500 problems:");
  expect(io.stderr()).toContain("… and 4400 more");
  expect(io.stderr().split("\n").length).toBeLessThan(110);
});

it("names a folder called x.yaml instead of failing with EISDIR", async () => {
  const stacks = repository((s) => mkdirSync(path.join(s, "tenants", "x.yaml")));
  await expectRefused(stacks, /tenants\/x\.yaml:1: is a folder, not a file/, /folder/, []);
});

it("names a YAML alias bomb instead of failing with a raw ReferenceError", async () => {
  const bomb = [
    `tenantId: ${DEMO.healthy.tenantId}`,
    `defaultDomain: ${DEMO.healthy.defaultDomain}`,
    "displayName: Fabrikam",
    'a: &a ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]',
    "b: &b [*a,*a,*a,*a,*a,*a,*a,*a,*a]",
    "c: &c [*b,*b,*b,*b,*b,*b,*b,*b,*b]",
    "d: &d [*c,*c,*c,*c,*c,*c,*c,*c,*c]",
    "e: &e [*d,*d,*d,*d,*d,*d,*d,*d,*d]",
    "f: &f [*e,*e,*e,*e,*e,*e,*e,*e,*e]",
    "",
  ].join("\n");
  const stacks = repository((s) => writeFileSync(path.join(s, "tenants", "fabrikam.yaml"), bomb));
  await expectRefused(stacks, /tenants\/fabrikam\.yaml:1: YAML: its aliases expand too far/, /aliases/, ["lol"]);
});

it("quotes an offending value cut short, and a long mapping by its kind only", async () => {
  const long = "x".repeat(10_000);
  const stacks = repository((s) => {
    const file = path.join(s, "tenants", "fabrikam.yaml");
    writeFileSync(
      file,
      readFileSync(file, "utf8")
        .replace(/^tenantId: .*$/m, `tenantId: ${long}`)
        .replace(/^displayName: .*$/m, `displayName: { a: "${long}" }`),
    );
  });
  const io = capture();
  expect(await main(["validate", "--stacks", stacks], {}, io.output)).toBe(1);
  expect(io.stderr()).toMatch(/tenantId: "x{80}…" is not a GUID/);
  expect(io.stderr()).toMatch(/displayName: a mapping must be a string/);
  expect(io.stderr()).not.toContain("x".repeat(81));
});
