import { ResultTotals, PlanTotals } from "../../src/run/fleet-stream";
import { runJobsInOrder } from "../../src/run/scheduler";
import { totalsOf } from "../../src/apply/result";
import { summariseFleetPlan } from "../../src/plan/summary";
import { sampleFleetPlan, sampleRunResult } from "../report/fixtures";

/** A promise with its resolver, to finish jobs in an order the test chooses. */
function gate(): { promise: Promise<void>; open: () => void } {
  let open = (): void => undefined;
  const promise = new Promise<void>((resolve) => (open = resolve));
  return { promise, open };
}

const tick = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

describe("runJobsInOrder", () => {
  it("delivers results in the jobs' order as soon as every earlier job is done, before the run ends", async () => {
    const gates = [gate(), gate(), gate(), gate()];
    const delivered: number[] = [];
    const run = runJobsInOrder<number>(
      gates.map((g, i) => ({ key: `t${i}`, run: () => g.promise.then(() => i) })),
      {
        concurrency: 4,
        window: 4,
        now: () => 0,
        onCrash: () => -1,
        describe: () => ({ failed: false, outcome: "ok" }),
        deliver: (result) => void delivered.push(result),
      },
    );
    gates[1]?.open();
    gates[2]?.open();
    await tick();
    // Job 0 is still running: 1 and 2 wait for it.
    expect(delivered).toEqual([]);
    gates[0]?.open();
    await tick();
    expect(delivered).toEqual([0, 1, 2]);
    gates[3]?.open();
    await run;
    expect(delivered).toEqual([0, 1, 2, 3]);
  });

  it("starts no job beyond the window while an earlier one holds up delivery", async () => {
    const slow = gate();
    const started: number[] = [];
    const run = runJobsInOrder(
      Array.from({ length: 20 }, (_, i) => ({
        key: `t${i}`,
        run: async () => {
          started.push(i);
          if (i === 0) await slow.promise;
          return i;
        },
      })),
      {
        concurrency: 2,
        window: 5,
        now: () => 0,
        onCrash: () => -1,
        describe: () => ({ failed: false, outcome: "ok" }),
        deliver: () => undefined,
      },
    );
    for (let i = 0; i < 10; i++) await tick();
    // Job 0 holds delivery: jobs 0..4 may have started (the window), no more.
    expect(Math.max(...started)).toBe(4);
    slow.open();
    await run;
    expect(started).toHaveLength(20);
  });

  it("turns a crash into a result, and raises a sink's failure once every job has run", async () => {
    const ran: number[] = [];
    const run = runJobsInOrder(
      [0, 1, 2].map((i) => ({
        key: `t${i}`,
        run: () => {
          ran.push(i);
          return i === 1 ? Promise.reject(new Error("boom")) : Promise.resolve(i);
        },
      })),
      {
        concurrency: 1,
        window: 1,
        now: () => 0,
        onCrash: () => 99,
        describe: () => ({ failed: false, outcome: "ok" }),
        deliver: (result) => {
          if (result === 99) throw new Error("disk full");
        },
      },
    );
    await expect(run).rejects.toThrow("disk full");
    expect(ran).toEqual([0, 1, 2]);
  });
});

describe("running totals", () => {
  it("add up to the same figures as the whole-fleet summaries", () => {
    const plan = sampleFleetPlan();
    const planTotals = new PlanTotals();
    for (const tenant of plan.tenants) planTotals.add(tenant);
    expect(planTotals.summary()).toEqual(summariseFleetPlan(plan));

    const result = sampleRunResult();
    const resultTotals = new ResultTotals();
    for (const tenant of result.tenants) resultTotals.add(tenant);
    expect(resultTotals.summary()).toEqual(totalsOf(result.tenants));
    expect(resultTotals.exitCode()).toBe(result.exitCode);
  });
});
