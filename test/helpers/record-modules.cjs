// Preloaded with `node --require`: when the process exits, writes every module file it loaded
// through require (lib/ files, packages, JSON, the Action's bundle files), one per line, to the
// file named by RECORD_MODULES.
"use strict";
const { writeFileSync } = require("node:fs");

const target = process.env.RECORD_MODULES;
if (target !== undefined && target !== "") {
  process.on("exit", () => {
    writeFileSync(
      target,
      Object.keys(require.cache)
        .filter((file) => file !== __filename)
        .join("\n"),
    );
  });
}
