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
  const results = new Array<T>(jobs.length);
  // Every result is kept here, so no job need wait for an earlier one: the window is the whole list.
  await runJobsInOrder(jobs, {
    ...options,
    window: jobs.length,
    deliver: (result, index) => {
      results[index] = result;
    },
  });
  return results;
}

export interface OrderedJobsOptions<T> {
  readonly concurrency: number;
  /**
   * How many tenants may be done but not yet handed on (waiting for an earlier, slower one); no job
   * starts beyond it, so memory stays bounded whatever the fleet's size.
   */
  readonly window: number;
  readonly now: () => number;
  readonly onCrash: (key: string, error: unknown) => T;
  readonly describe: (result: T) => { readonly failed: boolean; readonly outcome: string };
  readonly onProgress?: (progress: Progress) => void;
  /** Each job's result, in the jobs' order; nothing of it is kept here after the call. */
  readonly deliver: (result: T, index: number) => void;
}

/**
 * Runs `jobs` `concurrency` at a time and delivers their results in the jobs' order, holding at most
 * `window` finished results that wait for an earlier job. Never rejects because a job did.
 * Progress is reported as jobs finish, as the scheduler does.
 */
export async function runJobsInOrder<T>(jobs: readonly Job<T>[], options: OrderedJobsOptions<T>): Promise<void> {
  const concurrency = Math.max(1, Math.floor(options.concurrency));
  const window = Math.max(concurrency, Math.floor(options.window));
  const waiting = new Map<number, T>();
  const started = options.now();
  let next = 0;
  let delivered = 0;
  let done = 0;
  let failed = 0;
  let wake: (() => void) | null = null;
  let deliveryError: unknown = null;

  const progress = (key: string, result: T): void => {
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

  const flush = (): void => {
    for (let result = waiting.get(delivered); waiting.has(delivered); result = waiting.get(delivered)) {
      waiting.delete(delivered);
      try {
        if (deliveryError === null) options.deliver(result as T, delivered);
      } catch (error) {
        // A sink that cannot write (a full disk) must not leave tenants half-run: the run goes on, the error is raised at its end.
        deliveryError = error;
      }
      delivered += 1;
    }
    const woken = wake;
    wake = null;
    woken?.();
  };

  const worker = async (): Promise<void> => {
    for (;;) {
      while (next < jobs.length && next >= delivered + window) await new Promise<void>((resolve) => (wake = chain(wake, resolve)));
      const index = next++;
      const job = jobs[index];
      if (job === undefined) return;
      let result: T;
      try {
        result = await job.run();
      } catch (error) {
        result = options.onCrash(job.key, error);
      }
      progress(job.key, result);
      waiting.set(index, result);
      flush();
    }
  };

  await Promise.all(Array.from({ length: Math.min(concurrency, jobs.length) }, () => worker()));
  // eslint-disable-next-line @typescript-eslint/only-throw-error -- rethrows what the sink threw, unchanged
  if (deliveryError !== null) throw deliveryError;
}

/** Wakes every worker waiting for the window to move, not only the last one to wait. */
function chain(previous: (() => void) | null, next: () => void): () => void {
  return previous === null
    ? next
    : () => {
        previous();
        next();
      };
}
