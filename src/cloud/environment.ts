/**
 * What a run takes from the world outside its code: time, chance and the network. One options
 * object carries them from the command line or the Action down to every client, so a test or a
 * benchmark that replaces one (a virtual clock, a fixed jitter, an emulator's dispatcher) reaches
 * every request of the run.
 */
import type { Dispatcher } from "undici";

/** Milliseconds since the epoch; injected so tests and benchmarks control time. */
export type Clock = () => number;
/** Waits the given milliseconds; injected so tests never wait for real time. */
export type Sleep = (ms: number) => Promise<void>;
/** A number in [0, 1), like Math.random; injected so backoff jitter is reproducible. */
export type Random = () => number;

export interface Environment {
  readonly clock: Clock;
  readonly sleep: Sleep;
  readonly random: Random;
  /**
   * Resolves once `ms` have passed on `clock`, without making them pass (unlike `sleep`, which a
   * test may implement by moving its clock). When given, request timeouts are measured with it
   * instead of with undici's real-time timers, so a run on a virtual clock times out on that clock.
   */
  readonly timer?: Sleep;
  /** Carries every request (token endpoint, Graph, Partner Center); a default agent when absent. */
  readonly dispatcher?: Dispatcher;
}

const realClock: Clock = () => Date.now();
const realSleep: Sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

/** Real time, Math.random and undici's default agent, with any of them replaced. */
export function environmentOf(overrides: Partial<Environment> = {}): Environment {
  return {
    clock: overrides.clock ?? realClock,
    sleep: overrides.sleep ?? realSleep,
    random: overrides.random ?? Math.random,
    ...(overrides.timer ? { timer: overrides.timer } : {}),
    ...(overrides.dispatcher ? { dispatcher: overrides.dispatcher } : {}),
  };
}
