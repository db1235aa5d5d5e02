/**
 * The discovery benchmark's accounting, on a fleet small enough for a test: requests are counted,
 * never timed. 650 customers (3 pages of 300), 40 declared: 610 to check, in 31 batches of 20 for
 * access assignments and 31 for default domains.
 */
import { measureDiscovery } from "../../src/bench/discovery-scenario";

jest.setTimeout(120_000);

it("costs one request per page of relationships plus one $batch per 20 customers checked, and two tokens", async () => {
  const m = await measureDiscovery(650, 40);
  expect(m.proposed).toBe(610);
  expect(m.relationshipPages).toBe(3);
  expect(m.assignmentChecks).toBe(610);
  expect(m.tenantLookups).toBe(610);
  expect(m.graphRequests).toBe(3 + 31 + 31);
  expect(m.batchItems).toBe(610 + 610);
  expect(m.tokenRequests).toBe(2);
  expect(m.graphRequests).toBeLessThanOrEqual(m.bound);
});

it("checks nothing but the pages when every customer is declared", async () => {
  const m = await measureDiscovery(301, 301);
  expect(m.proposed).toBe(0);
  expect(m.relationshipPages).toBe(2);
  expect(m.assignmentChecks).toBe(0);
  expect(m.graphRequests).toBe(2);
  expect(m.tokenRequests).toBe(1);
});
