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
  // One test is a 306-tenant refresh under faults: minutes on an idle machine, many more on a shared one. The bound
  // catches a hang, not slowness.
  testTimeout: 1800000,
  // Two files at once: the in-process fleet and the CLI processes share the machine's processors.
  maxWorkers: 2,
};
