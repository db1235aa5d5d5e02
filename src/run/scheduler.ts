/**
 * One scheduler for all tenants of a run: at most `concurrency` tenants in flight, every tenant
 * run to its end whatever happens to the others, progress reported as each one finishes.
 * Request rates are not this module's concern: the write budgets shared by all tenants'
 * clients keep those under Microsoft's limits.
 */
import type { Progress } from "./run-request";

/** One unit of work: a tenant's refresh, reset or plan. */
export interface Job<T> {
  /** The tenant, as progress names it. */
  readonly key: string;
  run(): Promise<T>;
}

export interface SchedulerOptions<T> {
  readonly concurrency: number;
  /** Milliseconds since the epoch; drives the ETA. */
  readonly now: () => number;
  /** Turns an error a job threw into that job's result, so one tenant's crash stops no other. */
  readonly onCrash: (key: string, error: unknown) => T;
  /** Whether a result counts as a failure, and the word progress shows for it. */
  readonly describe: (result: T) => { readonly failed: boolean; readonly outcome: string };
  readonly onProgress?: (progress: Progress) => void;
}

/**
 * Runs every job, `concurrency` at a time, and returns the results in the jobs' order.
 * Never rejects because a job did: `onCrash` turns the error into a result.
 */
export async function runJobs<T>(jobs: readonly Job<T>[], options: SchedulerOptions<T>): Promise<T[]> {
  const concurrency = Math.max(1, Math.floor(options.concurrency));
  const results = new Array<T>(jobs.length);
  const started = options.now();
  let next = 0;
  let done = 0;
  let failed = 0;

  const finish = (key: string, result: T): void => {
    done += 1;
    const { failed: isFailure, outcome } = options.describe(result);
    if (isFailure) failed += 1;
    if (!options.onProgress) return;
    const elapsed = options.now() - started;
    const etaMs = done === jobs.length ? 0 : Math.round((elapsed / done) * (jobs.length - done));
    try {
      options.onProgress({ done, total: jobs.length, failed, etaMs, last: { tenant: key, outcome } });
    } catch {
      // A broken progress display must not abort the run it reports on.
    }
  };

  const worker = async (): Promise<void> => {
    for (;;) {
      const index = next++;
      const job = jobs[index];
      if (job === undefined) return;
      let result: T;
      try {
        result = await job.run();
      } catch (error) {
        result = options.onCrash(job.key, error);
      }
      results[index] = result;
      finish(job.key, result);
    }
  };

  await Promise.all(Array.from({ length: Math.min(concurrency, jobs.length) }, () => worker()));
  return results;
}
