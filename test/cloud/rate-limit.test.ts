import { RequestRate, TokenBucket, WriteBudget, type GraphWriteLimits } from "../../src/cloud/rate-limit";
import { fakeTime } from "./loopback";

const small: GraphWriteLimits = {
  perAppTenant: { amount: 10, windowMs: 1_000 },
  perApp: { amount: 25, windowMs: 1_000 },
  perTenant: { amount: 100, windowMs: 1_000 },
};

describe("WriteBudget", () => {
  it("lets a tenant write its quota at once, then paces it at the refill rate", async () => {
    const time = fakeTime();
    const budget = new WriteBudget(small, time.clock, time.sleep);
    await budget.take({ tenantId: "a", writes: 10 });
    expect(time.waits).toEqual([]);
    await budget.take({ tenantId: "a", writes: 5 });
    // 10 per second refill: 5 more writes need 500 ms.
    expect(time.waits).toEqual([500]);
  });

  it("binds on the application-wide quota across tenants", async () => {
    const time = fakeTime();
    const budget = new WriteBudget(small, time.clock, time.sleep);
    await budget.take({ tenantId: "a", writes: 10 });
    await budget.take({ tenantId: "b", writes: 10 });
    expect(time.waits).toEqual([]);
    // 20 of 25 used; tenant c asks 10: 5 short at 25 per second = 200 ms.
    await budget.take({ tenantId: "c", writes: 10 });
    expect(time.waits).toEqual([200]);
  });

  it("keeps writes under the quota over a long run", async () => {
    const time = fakeTime();
    const start = time.clock();
    const budget = new WriteBudget(small, time.clock, time.sleep);
    for (let i = 0; i < 100; i++) await budget.take({ tenantId: `t${i % 7}`, writes: 3 });
    const elapsed = time.clock() - start;
    // 300 writes, 25 up front, the rest at 25 per second: at least 11 s.
    expect(elapsed).toBeGreaterThanOrEqual(11_000);
  });

  it("serves concurrent callers by reservation, without starving anyone", async () => {
    const time = fakeTime();
    const budget = new WriteBudget(small, time.clock, time.sleep);
    await Promise.all([1, 2, 3].map((n) => budget.take({ tenantId: `t${n}`, writes: 10 })));
    // 30 writes against 25: the third caller reserves and waits for 5 tokens (200 ms).
    expect(time.waits).toEqual([200]);
  });
});

describe("RequestRate and TokenBucket", () => {
  it("allows the burst, then one request per refill interval", async () => {
    const time = fakeTime();
    const rate = new RequestRate({ amount: 45, windowMs: 1_000 }, time.clock, time.sleep);
    for (let i = 0; i < 45; i++) await rate.take();
    expect(time.waits).toEqual([]);
    await rate.take();
    expect(time.waits).toHaveLength(1);
    expect(time.waits[0]).toBe(Math.ceil(1_000 / 45));
  });

  it("rejects a quota that cannot refill", () => {
    const time = fakeTime();
    expect(() => new TokenBucket({ amount: 0, windowMs: 1_000 }, time.clock)).toThrow(/positive/);
  });
});
