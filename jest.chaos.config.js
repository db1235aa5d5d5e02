/**
 * The resilience suite (`npm run test:chaos`): a large fleet under injected faults, the CLI killed
 * mid-run, hostile declarations and every debug switch on. Kept out of `npm test` because it takes
 * minutes; CI runs it right after `npm test` (.ci/run).
 * @type {import('jest').Config}
 */
const base = require("./jest.config.js");
module.exports = {
  ...base,
  roots: ["<rootDir>/test/chaos"],
  testPathIgnorePatterns: ["/node_modules/"],
  // A fleet refresh under faults and a series of killed CLI processes: minutes, not seconds, on a loaded machine.
  testTimeout: 600000,
  // Two files at once: the in-process fleet and the CLI processes share the machine's processors.
  maxWorkers: 2,
};
