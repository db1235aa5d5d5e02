/** @type {import('jest').Config} */
module.exports = {
  testEnvironment: "node",
  roots: ["<rootDir>/test"],
  testMatch: ["**/*.test.ts"],
  // The resilience suite runs on its own (`npm run test:chaos`, jest.chaos.config.js), after this one in CI.
  testPathIgnorePatterns: ["/node_modules/", "<rootDir>/test/chaos/"],
  transform: { "^.+\\.ts$": ["ts-jest", { tsconfig: "tsconfig.json" }] },
  // Servers under test are real loopback servers; give slow shared machines room.
  testTimeout: 60000,
};
