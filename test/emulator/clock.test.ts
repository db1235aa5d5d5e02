import { VirtualClock } from "../../src/emulator/clock";

/** Lets every promise callback that is ready run. */
const settle = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

/** Tracks whether a sleep has ended. */
function watch(sleep: Promise<void>): { readonly woke: () => boolean; readonly done: Promise<void> } {
  let woke = false;
  const done = sleep.then(() => void (woke = true));
  return { woke: () => woke, done };
}

describe("VirtualClock.sleep", () => {
  it("on a frozen clock ends only when advance reaches it", async () => {
    const clock = new VirtualClock(0, () => 0, 1_000);
    const sleep = watch(clock.sleep(500));
    expect(clock.sleeping).toBe(1);
    clock.advance(499);
    await settle();
    expect([sleep.woke(), clock.sleeping]).toEqual([false, 1]);
    clock.advance(1);
    await sleep.done;
    expect([sleep.woke(), clock.sleeping, clock.now()]).toEqual([true, 0, 1_500]);
  });

  it("on a frozen clock that jumps to sleepers, moves time on to the earliest one, overlapping waits sharing it", async () => {
    const clock = new VirtualClock(0, () => 0, 1_000);
    clock.jumpToSleepers = true;
    const first = watch(clock.sleep(120));
    const second = watch(clock.sleep(120));
    await first.done;
    await second.done;
    // Two requests held at once for 120 ms each take 120 ms of virtual time, not 240.
    expect(clock.now()).toBe(1_120);
    const longer = watch(clock.sleep(300));
    await longer.done;
    expect([clock.now(), clock.sleeping]).toEqual([1_420, 0]);
  });

  it("never jumps to a passive sleeper (a client's timeout), which still ends when time passes for another", async () => {
    const clock = new VirtualClock(0, () => 0, 1_000);
    clock.jumpToSleepers = true;
    const timeout = watch(clock.sleep(60_000, { passive: true }));
    await settle();
    await settle();
    // Alone, a timeout must not pull time forward: the request it guards has not even reached the server.
    expect([timeout.woke(), clock.now()]).toEqual([false, 1_000]);
    const latency = watch(clock.sleep(120));
    await latency.done;
    expect([timeout.woke(), clock.now()]).toEqual([false, 1_120]);
    clock.advance(60_000);
    await timeout.done;
    expect(clock.sleeping).toBe(0);
  });

  it("wakes sleepers in the order they are due, each at its own time", async () => {
    const clock = new VirtualClock(0, () => 0, 0);
    const long = watch(clock.sleep(300));
    const short = watch(clock.sleep(100));
    clock.advance(200);
    await short.done;
    await settle();
    expect([short.woke(), long.woke(), clock.sleeping]).toEqual([true, false, 1]);
    clock.advance(100);
    await long.done;
    expect(clock.sleeping).toBe(0);
  });

  it("ends a zero or negative sleep at once", async () => {
    const clock = new VirtualClock(0, () => 0, 0);
    await clock.sleep(0);
    await clock.sleep(-5);
    expect(clock.sleeping).toBe(0);
  });

  it("runs out by itself once the clock runs", async () => {
    const clock = new VirtualClock(0);
    const sleep = watch(clock.sleep(60_000));
    await settle();
    expect(sleep.woke()).toBe(false);
    // A minute of virtual time in a few real milliseconds.
    clock.setSpeed(1_000_000);
    await sleep.done;
    expect(clock.sleeping).toBe(0);
  });

  it("keeps a sleep longer than a real timer can hold waiting, without a timer that fires at once", async () => {
    let readings = 0;
    // 1 virtual ms per 10^9 real ms: a second of virtual time is beyond setTimeout's limit of about 24.8 days.
    const clock = new VirtualClock(1e-9, () => (readings++, 0), 0);
    const sleep = watch(clock.sleep(1_000));
    const before = readings;
    // A real timer due later than any overflowed one (which Node fires after 1 ms) runs after it.
    await new Promise((resolve) => setTimeout(resolve, 20));
    expect([readings - before, sleep.woke(), clock.sleeping]).toEqual([0, false, 1]);
    clock.advance(1_000);
    await sleep.done;
    expect(clock.sleeping).toBe(0);
  });
});
