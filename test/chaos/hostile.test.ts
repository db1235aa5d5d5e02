/**
 * Property 3: a corpus of hostile declarations, each run through the built CLI as its own process
 * (`plan`, and `refresh` for some), exits 1 naming the offending file, and the emulator counts not
 * one request. test/hostile checks the wording of each refusal in-process; this suite checks the
 * whole process end to end: no crash, no hang, nothing sent.
 */
import { cpSync, mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import path from "node:path";
import { DEMO } from "../../src/emulator";
import { hostileViolations, type HostileRun } from "./checks";
import { runCli, startCliBench, type CliBench } from "./cli-process";
import { STACKS } from "./fleet";

interface HostileCase {
  readonly name: string;
  /** What the error must name. */
  readonly file: RegExp;
  /** Changes a copy of the demo stacks (`stacks`) inside a repository (`repo`). */
  readonly make: (stacks: string, repo: string) => void;
  readonly command?: "plan" | "refresh";
}

const tenantFile = (s: string, name = "fabrikam"): string => path.join(s, "tenants", `${name}.yaml`);
const HEAD = `tenantId: ${DEMO.healthy.tenantId}\ndefaultDomain: ${DEMO.healthy.defaultDomain}\ndisplayName: Fabrikam\n`;
const editSettings = (s: string, base: string): void => {
  const file = path.join(s, "cipp-cpv.yaml");
  writeFileSync(file, `${readFileSync(file, "utf8").replace(/^base:.*$/m, "")}${base}`);
};

const CORPUS: readonly HostileCase[] = [
  {
    name: "a YAML syntax error",
    file: /tenants\/fabrikam\.yaml/,
    make: (s) => writeFileSync(tenantFile(s), `${HEAD}profiles: [no-rms\n  extras: {\n`),
  },
  {
    name: "a syntax error in the settings file",
    file: /cipp-cpv\.yaml/,
    make: (s) => writeFileSync(path.join(s, "cipp-cpv.yaml"), "partnerTenantId: : :\n\t- cloud\n"),
    command: "refresh",
  },
  {
    name: "wrong types",
    file: /tenants\/fabrikam\.yaml/,
    make: (s) => writeFileSync(tenantFile(s), `tenantId: 42\ndefaultDomain: [a, b]\ndisplayName: { x: 1 }\nexcluded: "yes"\n`),
  },
  {
    name: "a profile of the wrong type",
    file: /profiles\/no-rms\.yaml/,
    make: (s) => writeFileSync(path.join(s, "profiles", "no-rms.yaml"), "remove: 17\n"),
  },
  {
    name: "a 10 MB tenant file",
    file: /tenants\/fabrikam\.yaml/,
    make: (s) =>
      writeFileSync(
        tenantFile(s),
        `${HEAD}add:\n  - resource: Microsoft Graph\n    appRoles:\n${"      - Bogus.ReadWrite.All\n".repeat(400_000)}`,
      ),
    command: "refresh",
  },
  {
    name: "a YAML alias bomb",
    file: /tenants\/fabrikam\.yaml/,
    make: (s) =>
      writeFileSync(
        tenantFile(s),
        `${HEAD}a: &a ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]\n` +
          ["b", "c", "d", "e", "f", "g", "h"].map((k, i) => `${k}: &${k} [${Array(9).fill(`*${"abcdefg"[i]}`).join(",")}]`).join("\n") +
          "\n",
      ),
  },
  {
    name: "deep nesting",
    file: /tenants\/fabrikam\.yaml/,
    make: (s) => writeFileSync(tenantFile(s), `${HEAD}add: ${"[".repeat(20_000)}${"]".repeat(20_000)}\n`),
  },
  {
    name: "deep nesting in a manifest inside the repository",
    file: /cipp-cpv\.yaml|SAMManifest\.json/,
    make: (s, repo) => {
      writeFileSync(path.join(repo, "SAMManifest.json"), `${"[".repeat(100_000)}${"]".repeat(100_000)}`);
      editSettings(s, "base:\n  samManifest: ../SAMManifest.json\n");
    },
  },
  {
    name: "bytes that are not UTF-8",
    file: /tenants\/fabrikam\.yaml/,
    make: (s) =>
      writeFileSync(
        tenantFile(s),
        Buffer.concat([Buffer.from(HEAD.replace("Fabrikam", "Fabri"), "utf8"), Buffer.from([0xff, 0xfe, 0xc3, 0x28, 0x0a])]),
      ),
  },
  {
    name: "a tenant file linked to /etc/passwd",
    file: /tenants\/evil\.yaml/,
    make: (s) => symlinkSync("/etc/passwd", tenantFile(s, "evil")),
    command: "refresh",
  },
  {
    name: "a profile linked out of the tree",
    file: /profiles\/no-rms\.yaml/,
    make: (s) => {
      const profile = path.join(s, "profiles", "no-rms.yaml");
      const outside = mkdtempSync(path.join(path.dirname(path.dirname(s)), "outside-"));
      cpSync(profile, path.join(outside, "no-rms.yaml"));
      rmSync(profile);
      symlinkSync(path.join(outside, "no-rms.yaml"), profile);
    },
  },
  {
    name: "traversal in a profile name",
    file: /tenants\/fabrikam\.yaml/,
    make: (s) => writeFileSync(tenantFile(s), `${HEAD}profiles:\n  - ../../../../../../etc/passwd\n`),
  },
  {
    name: "traversal in the manifest path",
    file: /cipp-cpv\.yaml/,
    make: (s) => editSettings(s, "base:\n  samManifest: ../../../../../../../../etc/passwd\n"),
    command: "refresh",
  },
  {
    name: "traversal in the additional permissions path",
    file: /cipp-cpv\.yaml/,
    make: (s, repo) => {
      writeFileSync(path.join(repo, "SAMManifest.json"), JSON.stringify({ requiredResourceAccess: [] }));
      editSettings(s, "base:\n  samManifest: ../SAMManifest.json\n  additionalPermissions: ../../../../../../../../etc/hostname\n");
    },
  },
];

/** Parallel lanes, each with an emulator of its own, so that a request is charged to the one case that sent it. */
const LANES = 2;
let lanes: CliBench[];

beforeAll(async () => {
  lanes = await Promise.all(Array.from({ length: LANES }, () => startCliBench()));
});
afterAll(async () => {
  await Promise.all(lanes.map((lane) => lane.stop()));
});

let counter = 0;
/** A repository (a folder with .git) holding a copy of the demo stacks, changed by `make`. */
function repository(bench: CliBench, make: HostileCase["make"]): string {
  const repo = path.join(bench.work, `repo-${counter++}`);
  mkdirSync(path.join(repo, ".git"), { recursive: true });
  const stacks = path.join(repo, "stacks");
  cpSync(STACKS, stacks, { recursive: true });
  make(stacks, repo);
  return stacks;
}

async function runCase(bench: CliBench, c: HostileCase): Promise<HostileRun> {
  const stacks = repository(bench, c.make);
  const before = bench.emulator.requests().total;
  const run = await runCli([c.command ?? "plan", "--stacks", stacks, "--quiet", "--no-color"], { env: bench.env(), cwd: bench.work });
  return {
    name: c.name,
    exitCode: run.exitCode,
    stdout: run.stdout,
    stderr: run.stderr,
    file: c.file,
    requests: bench.emulator.requests().total - before,
  };
}

async function runCorpus(cases: readonly HostileCase[]): Promise<HostileRun[]> {
  const runs: HostileRun[] = [];
  await Promise.all(
    lanes.map(async (lane, l) => {
      for (let i = l; i < cases.length; i += LANES) runs.push(await runCase(lane, cases[i] as HostileCase));
    }),
  );
  return runs;
}

describe("hostile declarations through the CLI process", () => {
  it(`each of ${CORPUS.length} exits 1 naming the file, with no request sent`, async () => {
    const runs = await runCorpus(CORPUS);
    expect(runs).toHaveLength(CORPUS.length);
    expect(hostileViolations(runs)).toEqual([]);
  });

  it("the checker fails on a declaration that is not hostile: it exits 2, names no file and sends requests", async () => {
    // The demo stacks without the tenant whose GDAP access expired: a plan that runs and exits 2 (changes pending).
    const [run] = await runCorpus([
      { name: "the demo stacks", file: /tenants\/fabrikam\.yaml/, make: (s) => rmSync(tenantFile(s, "wingtiptoys")) },
    ]);
    const found = hostileViolations(run ? [run] : []);
    expect(found).toEqual(
      expect.arrayContaining([
        "the demo stacks: exit code 2, expected 1",
        expect.stringMatching(/^the demo stacks: stderr does not name the file/),
        expect.stringMatching(/^the demo stacks: \d+ request\(s\) counted by the emulator$/),
      ]),
    );
  });
});
