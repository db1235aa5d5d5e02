/**
 * The emulator's virtual clock. Token lifetimes, rate limits, throttling buckets and replication
 * lag all run on it, so a test can speed time up or jump it forward instead of waiting.
 */
import type { Clock } from "./context";

/** A clock running at `speed` times real time from a start point, plus manual jumps. */
export class VirtualClock implements Clock {
  private anchorVirtual: number;
  private anchorReal: number;
  private currentSpeed: number;

  /**
   * @param speed virtual milliseconds per real millisecond (0 freezes time).
   * @param realNow the real time source; injectable so the clock itself is testable.
   */
  constructor(speed = 1, private readonly realNow: () => number = Date.now, start: number = realNow()) {
    if (!(speed >= 0) || !Number.isFinite(speed)) throw new Error(`Clock speed must be a finite number >= 0, got ${speed}.`);
    this.anchorVirtual = start;
    this.anchorReal = realNow();
    this.currentSpeed = speed;
  }

  now(): number {
    return Math.floor(this.anchorVirtual + (this.realNow() - this.anchorReal) * this.currentSpeed);
  }

  get speed(): number {
    return this.currentSpeed;
  }

  /** Changes the speed from now on; time already passed keeps its old rate. */
  setSpeed(speed: number): void {
    if (!(speed >= 0) || !Number.isFinite(speed)) throw new Error(`Clock speed must be a finite number >= 0, got ${speed}.`);
    this.rebase();
    this.currentSpeed = speed;
  }

  /** Jumps forward by `ms` virtual milliseconds (never backwards: tokens and buckets assume it). */
  advance(ms: number): void {
    if (!(ms >= 0) || !Number.isFinite(ms)) throw new Error(`Clock can only advance by a finite number >= 0 of ms, got ${ms}.`);
    this.rebase();
    this.anchorVirtual += ms;
  }

  private rebase(): void {
    this.anchorVirtual = this.now();
    this.anchorReal = this.realNow();
  }
}
