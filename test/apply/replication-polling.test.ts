import { backoffDelay, pollUntil, type BackoffPolicy } from "../../src/apply/replication-polling";
import type { Timing } from "../../src/apply/timing";

const policy: BackoffPolicy = { maxAttempts: 5, initialDelayMs: 1_000, maxDelayMs: 4_000, maxTotalMs: 60_000 };

function fakeTiming(random = 1 - Number.EPSILON): Timing & { slept: number[] } {
  const slept: number[] = [];
  return {
    slept,
    clock: () => 0,
    random: () => random,
    sleep: (ms) => {
      slept.push(ms);
      return Promise.resolve();
    },
  };
}

describe("backoff", () => {
  it("doubles the delay up to its ceiling, with jitter between half and all of it", () => {
    const top = () => 1 - Number.EPSILON;
    expect([1, 2, 3, 4].map((n) => backoffDelay(policy, n, top))).toEqual([1_000, 2_000, 4_000, 4_000]);
    expect(backoffDelay(policy, 2, () => 0)).toBe(1_000);
  });

  it("polls until the value is accepted, sleeping between attempts", async () => {
    const timing = fakeTiming();
    let calls = 0;
    const outcome = await pollUntil(
      () => Promise.resolve(++calls),
      (n) => n === 3,
      policy,
      timing,
    );
    expect(outcome).toEqual({ done: true, value: 3, attempts: 3 });
    expect(timing.slept).toEqual([1_000, 2_000]);
  });

  it("gives up after the last attempt and hands back what it saw", async () => {
    const timing = fakeTiming();
    const outcome = await pollUntil(
      () => Promise.resolve("not yet"),
      () => false,
      policy,
      timing,
    );
    expect(outcome).toEqual({ done: false, last: "not yet", attempts: 5 });
    expect(timing.slept).toHaveLength(4);
  });

  it("stops when the total wait is spent, even with attempts left", async () => {
    const timing = fakeTiming();
    const outcome = await pollUntil(
      () => Promise.resolve(0),
      () => false,
      { ...policy, maxAttempts: 100, maxTotalMs: 5_000 },
      timing,
    );
    expect(outcome.done).toBe(false);
    expect(timing.slept.reduce((a, b) => a + b, 0)).toBe(5_000);
  });
});
