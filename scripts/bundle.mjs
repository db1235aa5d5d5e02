// Bundles the Action (src/index.ts and everything it imports) into dist/index.js, the file
// action.yml runs. The bundle is committed, because a runner executes the repository as checked
// out, without npm install.
//
//   node scripts/bundle.mjs          write dist/index.js
//   node scripts/bundle.mjs --check  exit 1 when dist/index.js differs from a fresh bundle
//
// CommonJS output: @actions/core 3 is ESM-only, but esbuild converts it, and a .js file without
// "type": "module" nearby is CommonJS to Node, so no createRequire shim is needed.
import { build } from "esbuild";
import { readFile, writeFile, mkdir } from "node:fs/promises";
import { fileURLToPath } from "node:url";
import * as path from "node:path";

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");
const outfile = path.join(root, "dist", "index.js");

const result = await build({
  absWorkingDir: root,
  entryPoints: ["src/index.ts"],
  bundle: true,
  platform: "node",
  target: "node24",
  format: "cjs",
  outfile,
  write: false,
  tsconfig: "tsconfig.json",
  legalComments: "eof",
  logLevel: "warning",
});

const output = result.outputFiles.find((file) => file.path === outfile);
if (output === undefined) throw new Error(`esbuild produced no ${outfile}`);

if (process.argv.includes("--check")) {
  const committed = await readFile(outfile, "utf8").catch(() => null);
  if (committed !== output.text) {
    console.error(
      committed === null
        ? "dist/index.js is missing: run `npm run bundle` and commit dist/."
        : "dist/index.js is stale: it differs from a fresh bundle of src/. Run `npm run bundle` and commit dist/.",
    );
    process.exit(1);
  }
  console.log("dist/index.js matches a fresh bundle of src/.");
} else {
  await mkdir(path.dirname(outfile), { recursive: true });
  await writeFile(outfile, output.text);
  console.log(`dist/index.js: ${(output.contents.byteLength / 1024).toFixed(0)} KiB`);
}
