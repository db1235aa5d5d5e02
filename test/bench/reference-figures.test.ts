import { CLIENT_SHARE, DOCUMENTED_LIMITS, rolloutBounds } from "../../src/bench/reference-figures";
import { GRAPH_WRITE_LIMITS } from "../../src/cloud/rate-limit";

describe("rolloutBounds", () => {
  it("is bound by the app-wide write quota for a large fleet: writes over 35,000 per 5 min", () => {
    const { binding, each } = rolloutBounds({ totalWrites: 70_000, writesPerTenant: 70, consents: 1_000 }, 1);

    expect(binding.limit).toBe(DOCUMENTED_LIMITS.graphWritesPerApp.name);
    // 70,000 writes at 35,000 per 300 s: 600 s; after a first full bucket of 35,000: 300 s.
    expect(binding.steadyMs).toBeCloseTo(600_000, 3);
    expect(binding.burstMs).toBeCloseTo(300_000, 3);
    // 1,000 consents at 50 per second: 20 s.
    expect(each.find((b) => b.limit === DOCUMENTED_LIMITS.partnerCenterConsents.name)?.steadyMs).toBeCloseTo(20_000, 3);
  });

  it("takes longer at the client's share of the limits", () => {
    const load = { totalWrites: 63_000, writesPerTenant: 63, consents: 1_000 };
    const full = rolloutBounds(load, 1).binding;
    const client = rolloutBounds(load, 0.9).binding;

    // 63,000 writes at 31,500 per 300 s: 600 s.
    expect(client.steadyMs).toBeCloseTo(600_000, 3);
    expect(client.steadyMs).toBeGreaterThan(full.steadyMs);
  });

  it("lets the binding limit change when another limit is tighter", () => {
    const { binding } = rolloutBounds({ totalWrites: 100, writesPerTenant: 100, consents: 10_000 }, 1);
    expect(binding.limit).toBe(DOCUMENTED_LIMITS.partnerCenterConsents.name);
    expect(binding.steadyMs).toBeCloseTo(200_000, 3);
  });

  it("reads the client's share from the client's own app-wide budget", () => {
    expect(CLIENT_SHARE * DOCUMENTED_LIMITS.graphWritesPerApp.amount).toBe(GRAPH_WRITE_LIMITS.perApp.amount);
    expect(CLIENT_SHARE).toBeLessThan(1);
  });
});
