// Thread targets and child programs for deadlock_test.ts and trace_test.ts.
import type {
  Condition,
  Event,
  Lock,
  Queue,
  RLock,
  SharedList,
  SharedMap,
} from "../mod.ts";

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

/** Takes `lock` and ends holding it: as in Python, it stays held. */
export function takeAndEnd(lock: Lock | RLock): void {
  lock.acquire();
}

/**
 * Takes `lock` within `ms`, then lets it go. out[0]: 1 took it, 2 timed out,
 * 3 DeadlockError (its message put in `messages`), 4 another error.
 */
export function tryTake(
  lock: Lock | RLock,
  ms: number,
  out: Int32Array,
  messages: Queue<string>,
): void {
  try {
    if (lock.acquire({ timeout: ms })) {
      lock.release();
      Atomics.store(out, 0, 1);
    } else {
      Atomics.store(out, 0, 2);
    }
  } catch (error) {
    const deadlock = (error as Error).name === "DeadlockError";
    if (deadlock) messages.put((error as Error).message);
    Atomics.store(out, 0, deadlock ? 3 : 4);
  }
}

function crossing(
  update: (read: () => number) => void,
  read: () => number,
  inside: Event,
  go: Event,
  out: Int32Array,
  messages: Queue<string>,
): void {
  try {
    update(() => {
      inside.set();
      go.wait();
      return read();
    });
    Atomics.store(out, 0, 1);
  } catch (error) {
    const deadlock = (error as Error).name === "DeadlockError";
    if (deadlock) messages.put((error as Error).message);
    Atomics.store(out, 0, deadlock ? 3 : 4);
  }
}

/**
 * In `map`'s update() of "k", says so (`inside`), waits for `go`, then reads
 * `list` (item 0). out[0]: 1 done, 3 DeadlockError (its message put in
 * `messages`), 4 another error.
 */
export function mapThenList(
  map: SharedMap<string, number>,
  list: SharedList<number>,
  inside: Event,
  go: Event,
  out: Int32Array,
  messages: Queue<string>,
): void {
  crossing(
    (read) => map.update("k", (v) => (v ?? 0) + read() + 1),
    () => list.at(0) ?? 0,
    inside,
    go,
    out,
    messages,
  );
}

/** The other order of {@linkcode mapThenList}: `list`'s update(), then `map`. */
export function listThenMap(
  list: SharedList<number>,
  map: SharedMap<string, number>,
  inside: Event,
  go: Event,
  out: Int32Array,
  messages: Queue<string>,
): void {
  crossing(
    (read) => list.update(0, (v) => v + read() + 1),
    () => map.get("k") ?? 0,
    inside,
    go,
    out,
    messages,
  );
}
