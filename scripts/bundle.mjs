// Bundles the Action into dist/, the files action.yml runs. The bundle is committed, because a
// runner executes the repository as checked out, without npm install. Two files:
//   dist/index.js  the entry (src/index.ts): masks secrets and checks every input;
//   dist/run.js    the run (src/action/main.ts): the engine, the Microsoft clients, the
//                  reports. The entry loads it only once the inputs are valid, so that a bad
//                  input is refused without parsing or loading the run's megabytes.
//
//   node scripts/bundle.mjs           write dist/
//   node scripts/bundle.mjs --check   exit 1 when dist/ differs from a fresh bundle
//   node scripts/bundle.mjs --inputs  print each file's bundled modules as JSON (write nothing)
//
// CommonJS output: @actions/core 3 is ESM-only, but esbuild converts it, and a .js file without
// "type": "module" nearby is CommonJS to Node, so no createRequire shim is needed.
import { build } from "esbuild";
import { readFile, readdir, writeFile, mkdir } from "node:fs/promises";
import { fileURLToPath } from "node:url";
import * as path from "node:path";

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");
const dist = path.join(root, "dist");

/** The run, as the entry imports it (src/action/entry.ts) and as it is found next to the entry at run time. */
const RUN_SOURCE = "./main.js";
const RUN_FILE = "run.js";

/**
 * The entry's import of the run stays an import, of the separate file, rather than being bundled
 * into the entry.
 * @type {import("esbuild").Plugin}
 */
const runStaysSeparate = {
  name: "run-stays-separate",
  setup(build) {
    build.onResolve({ filter: /^\.\/main\.js$/ }, (args) =>
      args.importer === path.join(root, "src", "action", "entry.ts") && args.path === RUN_SOURCE
        ? { path: `./${RUN_FILE}`, external: true }
        : undefined,
    );
  },
};

/**
 * The plugin's own build.resolve call passes through onResolve again: this marks it (esbuild types pluginData as any).
 * @param {unknown} data
 */
const isOwnResolution = (data) => typeof data === "object" && data !== null && "resolving" in data && data.resolving === true;

/**
 * @actions/core imports its HTTP client, and with it undici, at the top of its module, for
 * getIDToken alone. The @actions packages and what they import do nothing when loaded but define
 * their exports, so esbuild may leave out of the entry what the entry does not use, as a
 * package.json's `"sideEffects": false` would let it: the input checks then carry no HTTP stack.
 * @type {import("esbuild").Plugin}
 */
const actionsToolkitWithoutSideEffects = {
  name: "actions-toolkit-without-side-effects",
  setup(build) {
    const toolkit = `${path.sep}node_modules${path.sep}@actions${path.sep}`;
    build.onResolve({ filter: /.*/ }, async (args) => {
      if (isOwnResolution(args.pluginData)) return undefined;
      if (!args.path.startsWith("@actions/") && !args.importer.includes(toolkit)) return undefined;
      const resolved = await build.resolve(args.path, {
        kind: args.kind,
        importer: args.importer,
        resolveDir: args.resolveDir,
        pluginData: { resolving: true },
      });
      return resolved.errors.length > 0 ? undefined : { ...resolved, sideEffects: false };
    });
  },
};

/** @type {import("esbuild").BuildOptions & { write: false, metafile: true }} */
const common = {
  absWorkingDir: root,
  bundle: true,
  platform: "node",
  target: "node24",
  format: "cjs",
  write: false,
  metafile: true,
  tsconfig: "tsconfig.json",
  legalComments: "eof",
  logLevel: "warning",
};

const builds = await Promise.all([
  build({
    ...common,
    entryPoints: ["src/index.ts"],
    outfile: path.join(dist, "index.js"),
    // import() of the run becomes require(): one module system, and a runner-like --require hook sees it.
    supported: { "dynamic-import": false },
    plugins: [runStaysSeparate, actionsToolkitWithoutSideEffects],
  }),
  build({ ...common, entryPoints: ["src/action/main.ts"], outfile: path.join(dist, RUN_FILE) }),
]);
const outputs = builds.flatMap((result) => result.outputFiles);
/** @param {import("esbuild").OutputFile} file */
const name = (file) => path.relative(root, file.path).split(path.sep).join("/");

if (process.argv.includes("--inputs")) {
  /** @type {Record<string, string[]>} */
  const inputs = {};
  for (const result of builds) {
    for (const [file, output] of Object.entries(result.metafile.outputs)) inputs[file] = Object.keys(output.inputs);
  }
  console.log(JSON.stringify(inputs));
} else if (process.argv.includes("--check")) {
  /** @type {string[]} */
  const problems = [];
  for (const file of outputs) {
    const committed = await readFile(file.path, "utf8").catch(() => null);
    if (committed === null) problems.push(`${name(file)} is missing`);
    else if (committed !== file.text) problems.push(`${name(file)} is stale: it differs from a fresh bundle of src/`);
  }
  const expected = new Set(outputs.map((file) => path.basename(file.path)));
  const present = await readdir(dist).catch(() => []);
  for (const extra of present.filter((entry) => entry.endsWith(".js") && !expected.has(entry)))
    problems.push(`dist/${extra} is not part of the bundle`);
  if (problems.length > 0) {
    console.error(`${problems.join("; ")}. Run \`npm run bundle\` and commit dist/.`);
    process.exit(1);
  }
  console.log(`dist/ matches a fresh bundle of src/ (${outputs.map(name).join(", ")}).`);
} else {
  await mkdir(dist, { recursive: true });
  for (const file of outputs) {
    await writeFile(file.path, file.text);
    console.log(`${name(file)}: ${(file.contents.byteLength / 1024).toFixed(0)} KiB`);
  }
}
