/**
 * Time and chance as the engine sees them: the run's one options object for time, chance and the
 * network (src/cloud/environment.ts) without the network. Injected so that tests drive waits and
 * jitter deterministically and never sleep in real time.
 */
import { environmentOf, type Environment } from "../cloud/environment";

/** The engine's view of time and randomness. */
export type Timing = Pick<Environment, "clock" | "sleep" | "random">;

/** The timing of a run's dependencies (`clock`, `sleep`, `random`, each optional): real time for what they leave out. */
export function timingOf(deps: Partial<Timing>): Timing {
  const { clock, sleep, random } = environmentOf({
    ...(deps.clock ? { clock: deps.clock } : {}),
    ...(deps.sleep ? { sleep: deps.sleep } : {}),
    ...(deps.random ? { random: deps.random } : {}),
  });
  return { clock, sleep, random };
}
