// Thread targets and child programs for deadlock_test.ts and trace_test.ts.
import type { Condition, Event, Lock } from "../mod.ts";

/**
 * Takes `first`, says so, waits for `go` (if given), then takes `second`
 * (within `ms`); releases both. out[0]: 1 took both, 2 timed out, 3
 * DeadlockError, 4 another error.
 */
export function takeBoth(
  first: Lock,
  second: Lock,
  took: Event,
  ms: number,
  out: Int32Array,
  go?: Event,
): void {
  first.acquire();
  took.set();
  go?.wait();
  try {
    if (second.acquire({ timeout: ms })) {
      Atomics.store(out, 0, 1);
      second.release();
    } else {
      Atomics.store(out, 0, 2);
    }
  } catch (error) {
    Atomics.store(out, 0, (error as Error).name === "DeadlockError" ? 3 : 4);
  } finally {
    first.release();
  }
}

/** Takes `a` then `b`, then lets both go: one order of two locks. */
export function inOrder(a: Lock, b: Lock): void {
  a.acquire();
  b.acquire();
  b.release();
  a.release();
}

/** One side of the seed's condition example: waits for `ready`. */
export function consumer(cond: Condition, state: Int32Array): void {
  cond.hold(() => {
    while (state[0] === 0) cond.wait();
    state[1]++;
  });
}

/** The other side: makes the resource available and notifies. */
export function producer(cond: Condition, state: Int32Array): void {
  cond.hold(() => {
    state[0] = 1;
    cond.notifyAll();
  });
}
