// Thread targets for future_test.ts.
import {
  asCompleted,
  type Event,
  FIRST_COMPLETED,
  type Future,
  wait,
} from "../mod.ts";

/** Sets each future's result to its index, in the order given. */
export function setEach(futures: Future<number>[], order: number[]): void {
  for (const i of order) futures[i].setResult(i);
}

/** Sets `future` once `go` is set. */
export function setWhen(
  future: Future<string>,
  go: Event,
  value: string,
): void {
  go.wait();
  future.setResult(value);
}

/** Fails `future` with a RangeError. */
export function failWith(future: Future<unknown>, message: string): void {
  future.setException(new RangeError(message));
}

/** Waits for `future` here; records its result (or -1 on error) at out[slot]. */
export function resultInThread(
  future: Future<number>,
  out: Int32Array,
  slot: number,
  started: Event,
): void {
  started.set();
  try {
    Atomics.store(out, slot, future.result());
  } catch {
    Atomics.store(out, slot, -1);
  }
}

/** Adds a done callback here, waits, and records that it ran in this thread. */
export function callbackInThread(
  future: Future<number>,
  out: Int32Array,
  added: Event,
): void {
  future.addDoneCallback((f) => Atomics.store(out, 0, f.result() + 1));
  added.set();
  future.result();
  Atomics.store(out, 1, 1);
}

/** Finishes futures [from, to) with their index, from this thread. */
export function finishRange(
  futures: Future<number>[],
  from: number,
  to: number,
  go: Event,
): void {
  go.wait();
  for (let i = from; i < to; i++) futures[i].setResult(i);
}

/** Runs wait(FIRST_COMPLETED) here on futures set elsewhere; records the done count. */
export function waitFirstInThread(
  futures: Future<number>[],
  out: Int32Array,
  started: Event,
): void {
  started.set();
  const { done } = wait(futures, { returnWhen: FIRST_COMPLETED });
  Atomics.store(out, 0, done.size);
}

/** Iterates asCompleted() here; records the sum of the results. */
export function sumAsCompleted(
  futures: Future<number>[],
  out: Int32Array,
  started: Event,
): void {
  started.set();
  let sum = 0;
  let n = 0;
  for (const f of asCompleted(futures)) {
    sum += f.result();
    n++;
  }
  Atomics.store(out, 0, sum);
  Atomics.store(out, 1, n);
}
