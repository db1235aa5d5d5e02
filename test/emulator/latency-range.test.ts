import { ProfileFaultInjector, validateFaultProfile } from "../../src/emulator/faults";

const draws = (injector: ProfileFaultInjector, n: number): number[] => Array.from({ length: n }, () => injector.latencyMs());

it("draws each response's latency from the configured range, repeatably for one seed", () => {
  const injector = new ProfileFaultInjector();
  injector.set({ latencyRangeMs: { min: 50, max: 150 }, seed: 7 });
  const first = draws(injector, 200);
  expect(Math.min(...first)).toBeGreaterThanOrEqual(50);
  expect(Math.max(...first)).toBeLessThanOrEqual(150);
  // Spread over the range, not one value: both thirds at the ends are hit.
  expect(first.some((ms) => ms < 83)).toBe(true);
  expect(first.some((ms) => ms > 117)).toBe(true);

  injector.set({ latencyRangeMs: { min: 50, max: 150 }, seed: 7 });
  expect(draws(injector, 200)).toEqual(first);
  injector.set({ latencyRangeMs: { min: 50, max: 150 }, seed: 8 });
  expect(draws(injector, 200)).not.toEqual(first);
});

it("keeps the fault dice of a seed the same whether or not a latency range is drawn", () => {
  const rules = [{ kind: "throttle" as const, probability: 0.5 }];
  const request = { service: "graph" as const, method: "GET", path: "/v1.0/organization", inner: false, tenantId: null };
  const dice = (withRange: boolean): string[] => {
    const injector = new ProfileFaultInjector();
    injector.set({ rules, seed: 3, ...(withRange ? { latencyRangeMs: { min: 50, max: 150 } } : {}) });
    return Array.from({ length: 50 }, () => {
      injector.latencyMs();
      return injector.decide(request).kind;
    });
  };
  expect(dice(true)).toEqual(dice(false));
});

it("refuses a range that is not 0 <= min <= max", () => {
  expect(validateFaultProfile({ latencyRangeMs: { min: 150, max: 50 } })).toEqual(["latencyRangeMs needs numbers 0 <= min <= max"]);
  expect(validateFaultProfile({ latencyRangeMs: { min: -1, max: 50 } })).toEqual(["latencyRangeMs needs numbers 0 <= min <= max"]);
  expect(validateFaultProfile({ latencyRangeMs: [50, 150] })).toEqual(["latencyRangeMs must be an object { min, max }"]);
  expect(validateFaultProfile({ latencyRangeMs: { min: 50, max: 150 } })).toEqual([]);
});
