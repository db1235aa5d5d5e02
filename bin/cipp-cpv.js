#!/usr/bin/env node
// The `cipp-cpv` command. npm links this file, committed with its execute bit, rather than
// lib/src/cli.js: the TypeScript compiler writes lib/ without execute bits, and `npx` keeps the
// link it made the first time in its cache, so the linked file must exist and be executable
// whether or not lib/ has been built, or rebuilt from scratch, since.
"use strict";
const { existsSync } = require("node:fs");
const path = require("node:path");

const cli = path.join(__dirname, "..", "lib", "src", "cli.js");
if (!existsSync(cli)) {
  process.stderr.write("cipp-cpv is not built: run `npm run build` (npm ci runs it through the prepare script).\n");
  process.exit(1);
}
require(cli);
