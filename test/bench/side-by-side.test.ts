/**
 * The side-by-side benchmark's accounting, on a small fleet over the benchmark's own wire: what
 * the tally on each client's dispatcher counts (requests, tokens, writes) is what the emulator
 * counted, and CIPP's replayed sequence costs what docs/cipp-call-sequence.md says it costs.
 * Counts only, never times.
 */
import { BENCH_WIRE } from "../../src/bench/bench-wire";
import type * as Scenario from "../../src/bench/side-by-side-scenario";
import type { ClientMeasurement, SideBySideOptions } from "../../src/bench/side-by-side-scenario";

// The compiled scenario (npm test builds lib/ first): its emulator child is a script beside it, which
// node runs as JavaScript; the types are the source's.
// eslint-disable-next-line @typescript-eslint/no-require-imports
const { measureClient } = require("../../lib/src/bench/side-by-side-scenario.js") as typeof Scenario;

jest.setTimeout(120_000);

const TENANTS = 3;
const options = (kind: SideBySideOptions["kind"]): SideBySideOptions => ({
  kind,
  tenants: TENANTS,
  speed: 20,
  concurrency: 10,
  wire: BENCH_WIRE,
  throttle: true,
});

const sameAccounting = (m: ClientMeasurement): void => {
  expect({ requests: m.wire.requests, tokenRequests: m.wire.tokenRequests, writes: m.wire.writes }).toEqual(m.emulator);
  if (m.cippAccount !== null)
    expect({ requests: m.cippAccount.requests, tokenRequests: m.cippAccount.tokenRequests, writes: m.cippAccount.writes }).toEqual(
      m.emulator,
    );
};

describe("a converged fleet", () => {
  let ours: ClientMeasurement;
  let nightly: ClientMeasurement;
  let refresh: ClientMeasurement;
  beforeAll(async () => {
    ours = await measureClient("cipp-cpv", options("converged"));
    nightly = await measureClient("cipp-nightly", options("converged"));
    refresh = await measureClient("cipp-refresh", options("converged"));
  });

  it("counts cipp-cpv's requests, tokens and writes as the emulator does: one token and one read per tenant, no write", () => {
    sameAccounting(ours);
    expect(ours.statuses).toEqual({ converged: TENANTS });
    expect(ours.emulator).toEqual({ requests: 2 * TENANTS, tokenRequests: TENANTS, writes: 0 });
  });

  it("counts CIPP's nightly as the emulator does: a fresh token for each of its four reads per tenant, the name resolution once per runspace, and a service principal created", () => {
    sameAccounting(nightly);
    expect(nightly.statuses).toEqual({ Success: TENANTS });
    // Per tenant: 2 service principal lists, appRoleAssignments, oauth2PermissionGrants, each with its
    // own token, and one $batch creating the resource service principal the tenant lacks (Partner
    // Center's, which CIPP creates in every customer tenant). Per runspace (one per tenant here): a
    // partner token, its service principal list and one $batch of reads.
    expect(nightly.emulator.requests - nightly.emulator.tokenRequests).toBe(5 * TENANTS + 2 * TENANTS);
    expect(nightly.emulator.tokenRequests).toBe(4 * TENANTS + TENANTS);
    expect(nightly.emulator.writes).toBe(TENANTS);
  });

  it("counts CIPP's manual refresh as the emulator does: it posts the consent again for every tenant, so it writes where cipp-cpv sends nothing", () => {
    sameAccounting(refresh);
    expect(refresh.statuses).toEqual({ Success: TENANTS });
    expect(refresh.emulator.writes).toBe(2 * TENANTS);
    // The consent's token is the partner tenant's, cached in the runspace beside the Graph one.
    expect(refresh.emulator.tokenRequests).toBe(nightly.emulator.tokenRequests + TENANTS);
  });
});

describe("a never-consented fleet", () => {
  it("counts both clients' requests, tokens and writes as the emulator does, and CIPP sends more of each for the same first-time work", async () => {
    const ours = await measureClient("cipp-cpv", options("fresh"));
    const cipp = await measureClient("cipp-nightly", options("fresh"));
    sameAccounting(ours);
    sameAccounting(cipp);
    expect(ours.statuses).toEqual({ changed: TENANTS });
    expect(cipp.statuses).toEqual({ Success: TENANTS });
    // CIPP's writes: per tenant the consent, 70 app role assignments ($batch items) and a grant write per delegated resource.
    expect(cipp.emulator.writes).toBeGreaterThanOrEqual(TENANTS * (1 + 70));
    expect(cipp.emulator.requests).toBeGreaterThan(ours.emulator.requests);
    expect(cipp.emulator.tokenRequests).toBeGreaterThan(ours.emulator.tokenRequests);
    expect(cipp.emulator.writes).toBeGreaterThan(ours.emulator.writes);
  });

  it("waits CIPP's fixed 5 s once when its service principal is not listed yet, then fails the tenant as CIPP does when it still is not", async () => {
    // Replication far slower than CIPP's one wait: the new service principal stays unlisted.
    const slow = { ...options("fresh"), tenants: 1, wire: { ...BENCH_WIRE, replicationLag: { create: 600_000 } } };
    const cipp = await measureClient("cipp-nightly", slow);
    sameAccounting(cipp);
    expect(cipp.statuses).toEqual({ Failed: 1 });
    expect(cipp.cippAccount?.fixedWaitMs).toBe(5_000);
  });
});
