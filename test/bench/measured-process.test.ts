/**
 * The memory rows' instrument: a child's peak resident set comes from the operating system (through
 * the usage preload) and belongs to that child alone; `cipp-cpv plan` runs as its own process over a
 * small converged fleet. Sizes and exit codes, never times.
 */
import type * as Measured from "../../src/bench/measured-process";
import type * as Memory from "../../src/bench/memory-scenario";

// The compiled modules (npm test builds lib/ first): the preload and the CLI run as JavaScript in their own processes.
// eslint-disable-next-line @typescript-eslint/no-require-imports
const { measureNodeProcess } = require("../../lib/src/bench/measured-process.js") as typeof Measured;
// eslint-disable-next-line @typescript-eslint/no-require-imports
const { measureCliPlan } = require("../../lib/src/bench/memory-scenario.js") as typeof Memory;

jest.setTimeout(120_000);

it("reports the child's own peak resident set: 256 MB touched shows, an idle child does not, and exit codes pass through", async () => {
  const idle = await measureNodeProcess(["-e", "0"]);
  const heavy = await measureNodeProcess(["-e", "const b = Buffer.alloc(256 * 1024 * 1024, 1); process.exitCode = b[0] === 1 ? 3 : 4;"]);
  expect(idle.exitCode).toBe(0);
  expect(heavy.exitCode).toBe(3);
  expect(heavy.usage?.maxRssBytes).toBeGreaterThan(256 * 1024 * 1024);
  expect(idle.usage?.maxRssBytes).toBeLessThan(200 * 1024 * 1024);
});

it("runs cipp-cpv plan as its own process over a converged fleet, which exits 0 with its peak memory reported", async () => {
  const run = await measureCliPlan(5, 10);
  expect(run.exitCode).toBe(0);
  expect(run.tenants).toBe(5);
  expect(run.maxRssBytes).toBeGreaterThan(0);
  expect(run.perTenantMs).toBeCloseTo(run.wallMs / 5);
});
