/**
 * The layering of src/, as README.md's Layout section declares it: every import between folders
 * goes down the declared order, so no import cycle between folders can form and a tenant id
 * followed from its YAML file to a Graph write never returns to a folder it left. The order is
 * read from the README, so the test and the documentation cannot drift apart.
 */
import { existsSync, readdirSync, readFileSync, statSync } from "node:fs";
import { dirname, join, relative, resolve, sep } from "node:path";

const ROOT = resolve(__dirname, "../..");
const SRC = join(ROOT, "src");

/** The declared order, top layer first, from the README's `layers:` line. */
function declaredLayers(): string[] {
  const readme = readFileSync(join(ROOT, "README.md"), "utf8");
  const line = readme.split("\n").find((l) => l.startsWith("layers: "));
  if (line === undefined) throw new Error("README.md declares no `layers:` line in its Layout section");
  return line
    .slice("layers: ".length)
    .split("→")
    .map((layer) => layer.trim());
}

/** Folders that stand apart from the layers: what may import them, and that they import nothing outside themselves. */
const APART: Readonly<Record<string, readonly string[]>> = { emulator: ["cli", "bench"] };

function sourceFiles(folder: string): string[] {
  return readdirSync(folder, { withFileTypes: true }).flatMap((entry) => {
    const path = join(folder, entry.name);
    if (entry.isDirectory()) return sourceFiles(path);
    return entry.name.endsWith(".ts") ? [path] : [];
  });
}

/** The folder of src/ a file belongs to; files directly in src/ (the entry points) are the top: "entry". */
function folderOf(file: string): string | null {
  const rel = relative(SRC, file);
  if (rel.startsWith("..")) return null;
  const parts = rel.split(sep);
  // "../cloud" names the folder (its index.ts); "./cli" next to src/cli.ts names the file.
  const isFolder =
    parts.length === 1 && !existsSync(`${file}.ts`) && !file.endsWith(".ts") && existsSync(file) && statSync(file).isDirectory();
  return parts.length === 1 && !isFolder ? "entry" : (parts[0] ?? null);
}

const IMPORT = /(?:^|[\s;])(?:import|export)\s[^;]*?from\s*["']([^"']+)["']|import\(\s*["']([^"']+)["']\s*\)|^import\s+["']([^"']+)["']/gm;

interface Edge {
  readonly file: string;
  readonly from: string;
  readonly to: string;
  readonly specifier: string;
}

function folderEdges(): Edge[] {
  const edges: Edge[] = [];
  for (const file of sourceFiles(SRC)) {
    const from = folderOf(file);
    const text = readFileSync(file, "utf8");
    for (const match of text.matchAll(IMPORT)) {
      const specifier = match[1] ?? match[2] ?? match[3] ?? "";
      if (!specifier.startsWith(".")) continue;
      const to = folderOf(resolve(dirname(file), specifier));
      if (from !== null && to !== null && to !== from) edges.push({ file: relative(ROOT, file), from, to, specifier });
    }
  }
  return edges;
}

describe("the layers of src/", () => {
  const layers = ["entry", ...declaredLayers()];
  const edges = folderEdges();
  const rank = (folder: string): number => layers.indexOf(folder);

  it("declares every folder of src/ in the README, once", () => {
    const folders = readdirSync(SRC, { withFileTypes: true })
      .filter((entry) => entry.isDirectory())
      .map((entry) => entry.name);
    const declared = [...layers, ...Object.keys(APART)];
    expect(folders.filter((folder) => !declared.includes(folder))).toEqual([]);
    expect(new Set(declared).size).toBe(declared.length);
  });

  it("finds the imports between folders it checks", () => {
    // Guards the parser: the engine imports the refresh, the refresh the tenant port, the adapter the clients.
    const pairs = new Set(edges.map((edge) => `${edge.from}>${edge.to}`));
    for (const pair of ["run>apply", "apply>tenant", "tenant>cloud", "run>desired", "apply>plan", "cli>emulator"])
      expect(pairs).toContain(pair);
  });

  it("imports only down the declared order", () => {
    const upward = edges
      .filter((edge) => !(edge.from in APART) && !(edge.to in APART))
      .filter((edge) => rank(edge.from) < 0 || rank(edge.to) < 0 || rank(edge.to) <= rank(edge.from))
      .map((edge) => `${edge.file}: ${edge.from} imports ${edge.to} ("${edge.specifier}")`);
    expect(upward).toEqual([]);
  });

  it("keeps the emulator apart: imported only by the command line and the benchmark, importing nothing of the clients", () => {
    const crossing = edges
      .filter((edge) => (edge.to in APART && !(APART[edge.to] ?? []).includes(edge.from)) || edge.from in APART)
      .map((edge) => `${edge.file}: ${edge.from} imports ${edge.to}`);
    expect(crossing).toEqual([]);
  });

  it("has no import cycle between folders", () => {
    const next = new Map<string, Set<string>>();
    for (const edge of edges) next.set(edge.from, (next.get(edge.from) ?? new Set()).add(edge.to));
    const cycles: string[] = [];
    const visit = (folder: string, path: readonly string[]): void => {
      for (const to of next.get(folder) ?? []) {
        if (path.includes(to)) cycles.push([...path.slice(path.indexOf(to)), to].join(" → "));
        else visit(to, [...path, to]);
      }
    };
    for (const folder of next.keys()) visit(folder, [folder]);
    expect(cycles).toEqual([]);
  });
});
