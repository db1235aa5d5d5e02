/**
 * Time and chance as the engine sees them. Injected so that tests drive waits and jitter
 * deterministically and never sleep in real time.
 */

/** The engine's view of time and randomness. */
export interface Timing {
  /** Milliseconds since the epoch. */
  readonly now: () => number;
  readonly sleep: (ms: number) => Promise<void>;
  /** A number in [0, 1). */
  readonly random: () => number;
}

/** Real time: the wall clock, timers and Math.random. */
export const realTiming: Timing = {
  now: () => Date.now(),
  sleep: (ms) => new Promise((resolve) => setTimeout(resolve, ms)),
  random: () => Math.random(),
};

/** Real time with any of its parts replaced. */
export function timingWith(overrides: Partial<Timing>): Timing {
  return {
    now: overrides.now ?? realTiming.now,
    sleep: overrides.sleep ?? realTiming.sleep,
    random: overrides.random ?? realTiming.random,
  };
}

/** The timing of a run's dependencies (`clock`, `sleep`, `random`, each optional): real time for what they leave out. */
export function timingOf(deps: {
  readonly clock?: () => number;
  readonly sleep?: (ms: number) => Promise<void>;
  readonly random?: () => number;
}): Timing {
  return timingWith({
    ...(deps.clock ? { now: deps.clock } : {}),
    ...(deps.sleep ? { sleep: deps.sleep } : {}),
    ...(deps.random ? { random: deps.random } : {}),
  });
}
