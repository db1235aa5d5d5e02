import { runJobs, type Job } from "../../src/run/scheduler";
import type { Progress } from "../../src/run/run-request";

/** A job that finishes when the test releases it, so interleavings are explicit. */
function gate(): { promise: Promise<void>; open: () => void } {
  let open!: () => void;
  const promise = new Promise<void>((resolve) => (open = resolve));
  return { promise, open };
}

const flush = () => new Promise((resolve) => setImmediate(resolve));

describe("runJobs", () => {
  it("never has more jobs in flight than the concurrency limit, and runs them all", async () => {
    const gates = Array.from({ length: 7 }, gate);
    let inFlight = 0;
    let peak = 0;
    const jobs: Job<string>[] = gates.map((g, i) => ({
      key: `t${i}`,
      run: async () => {
        inFlight += 1;
        peak = Math.max(peak, inFlight);
        await g.promise;
        inFlight -= 1;
        return `ok${i}`;
      },
    }));
    const running = runJobs(jobs, {
      concurrency: 3,
      now: () => 0,
      onCrash: () => "crash",
      describe: () => ({ failed: false, outcome: "ok" }),
    });
    await flush();
    expect(inFlight).toBe(3);
    for (const g of gates) {
      g.open();
      await flush();
    }
    expect(await running).toEqual(["ok0", "ok1", "ok2", "ok3", "ok4", "ok5", "ok6"]);
    expect(peak).toBe(3);
  });

  it("turns a crashing job into a failed result and carries on with the others", async () => {
    const jobs: Job<string>[] = [
      { key: "a", run: () => Promise.resolve("fine") },
      {
        key: "b",
        run: () => Promise.reject(new Error("boom")),
      },
      { key: "c", run: () => Promise.resolve("fine") },
    ];
    const seen: Progress[] = [];
    const results = await runJobs(jobs, {
      concurrency: 1,
      now: () => 0,
      onCrash: (key, error) => `crashed ${key}: ${(error as Error).message}`,
      describe: (r) => ({ failed: r.startsWith("crashed"), outcome: r }),
      onProgress: (p) => seen.push(p),
    });
    expect(results).toEqual(["fine", "crashed b: boom", "fine"]);
    expect(seen.map((p) => [p.done, p.failed, p.last?.tenant])).toEqual([
      [1, 0, "a"],
      [2, 1, "b"],
      [3, 1, "c"],
    ]);
  });

  it("estimates the time left from the pace so far", async () => {
    let clock = 1_000;
    const jobs: Job<number>[] = [1, 2, 3, 4].map((n) => ({
      key: `t${n}`,
      run: () => {
        clock += 10_000;
        return Promise.resolve(n);
      },
    }));
    const etas: (number | null)[] = [];
    await runJobs(jobs, {
      concurrency: 1,
      now: () => clock,
      onCrash: () => -1,
      describe: () => ({ failed: false, outcome: "ok" }),
      onProgress: (p) => etas.push(p.etaMs),
    });
    expect(etas).toEqual([30_000, 20_000, 10_000, 0]);
  });

  it("survives a progress callback that throws", async () => {
    const results = await runJobs([{ key: "a", run: () => Promise.resolve(1) }], {
      concurrency: 2,
      now: () => 0,
      onCrash: () => -1,
      describe: () => ({ failed: false, outcome: "ok" }),
      onProgress: () => {
        throw new Error("display broke");
      },
    });
    expect(results).toEqual([1]);
  });
});
