/**
 * The emulator's virtual clock. Token lifetimes, rate limits, throttling buckets, replication
 * lag and added latency all run on it, so a test can speed time up or jump it forward instead of
 * waiting.
 */
import type { Clock } from "./context";

/** The longest delay setTimeout holds (2^31 - 1 ms). */
const MAX_TIMER_MS = 2 ** 31 - 1;

/** A clock running at `speed` times real time from a start point, plus manual jumps. */
export class VirtualClock implements Clock {
  private anchorVirtual: number;
  private anchorReal: number;
  private currentSpeed: number;
  private readonly sleepers = new Set<{ readonly due: number; readonly wake: () => void; readonly passive: boolean }>();
  private timer: ReturnType<typeof setTimeout> | undefined;
  private jump: ReturnType<typeof setImmediate> | undefined;
  /**
   * On a frozen clock, jump to the earliest sleeper's due time as soon as one waits, instead of
   * waiting for `advance`: time passes only while something waits, and waits that overlap (several
   * requests held for latency at once) share it. Lets a test bench freeze time and still have latency.
   */
  jumpToSleepers = false;

  /**
   * @param speed virtual milliseconds per real millisecond (0 freezes time).
   * @param realNow the real time source; injectable so the clock itself is testable.
   */
  constructor(
    speed = 1,
    private readonly realNow: () => number = Date.now,
    start: number = realNow(),
  ) {
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
    this.wakeDue();
  }

  /** Jumps forward by `ms` virtual milliseconds (never backwards: tokens and buckets assume it). */
  advance(ms: number): void {
    if (!(ms >= 0) || !Number.isFinite(ms)) throw new Error(`Clock can only advance by a finite number >= 0 of ms, got ${ms}.`);
    this.rebase();
    this.anchorVirtual += ms;
    this.wakeDue();
  }

  /**
   * Resolves once `ms` virtual milliseconds have passed: by themselves at the clock's speed, or at
   * once when `advance` jumps past them. On a frozen clock it waits for `advance` alone. A passive
   * sleeper (a client's timeout) is never what `jumpToSleepers` jumps to: a timeout fires when time
   * passes for something else, never because nothing else is waiting yet.
   */
  sleep(ms: number, options: { readonly passive?: boolean } = {}): Promise<void> {
    if (!(ms > 0)) return Promise.resolve();
    const due = this.now() + ms;
    return new Promise((wake) => {
      this.sleepers.add({ due, wake, passive: options.passive === true });
      this.schedule();
    });
  }

  /** How many `sleep` calls have not ended yet. */
  get sleeping(): number {
    return this.sleepers.size;
  }

  private wakeDue(): void {
    const now = this.now();
    for (const sleeper of this.sleepers) {
      if (sleeper.due <= now) {
        this.sleepers.delete(sleeper);
        sleeper.wake();
      }
    }
    this.schedule();
  }

  /** One real timer for the earliest sleeper, re-aimed whenever the speed or the time changes. */
  private schedule(): void {
    if (this.timer !== undefined) clearTimeout(this.timer);
    this.timer = undefined;
    if (this.sleepers.size === 0) return;
    if (this.currentSpeed === 0) {
      // Deferred a turn, so that sleepers registered in the same turn wake together.
      if (this.jumpToSleepers && this.jump === undefined) {
        this.jump = setImmediate(() => {
          this.jump = undefined;
          const active = [...this.sleepers].filter((s) => !s.passive);
          if (active.length === 0 || this.currentSpeed !== 0) return;
          const earliest = Math.min(...active.map((s) => s.due));
          this.advance(Math.max(0, earliest - this.now()));
        });
      }
      return;
    }
    const earliest = Math.min(...[...this.sleepers].map((s) => s.due));
    const delay = Math.max(0, Math.ceil((earliest - this.now()) / this.currentSpeed));
    // Node fires a longer timer at once; one that ends early only re-aims itself.
    this.timer = setTimeout(() => this.wakeDue(), Math.min(delay, MAX_TIMER_MS));
    // A pending sleep alone must not keep the process alive; the server's sockets do that.
    this.timer.unref();
  }

  private rebase(): void {
    this.anchorVirtual = this.now();
    this.anchorReal = this.realNow();
  }
}
