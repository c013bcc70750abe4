// The results of an executor's map(): Python's result_iterator, in order,
// each within the deadline of the whole call; leaving early cancels the
// tasks not started.
import type { Future } from "../future.ts";

function remaining(deadline: number): number | undefined {
  return deadline === Infinity ? undefined : deadline - performance.now();
}

/** The results in order, sync; cancels the rest on exit. */
export function* results<R>(
  futures: (Future<R> | undefined)[],
  deadline: number,
): Generator<R, void, undefined> {
  let i = 0;
  try {
    for (; i < futures.length; i++) {
      const future = futures[i]!;
      futures[i] = undefined;
      try {
        yield future.result(remaining(deadline));
      } finally {
        future.cancel();
      }
    }
  } finally {
    for (let j = i + 1; j < futures.length; j++) futures[j]?.cancel();
  }
}

/** The results in order, without blocking the event loop. */
export async function* resultsAsync<R>(
  futures: (Future<R> | undefined)[],
  deadline: number,
  signal: AbortSignal | undefined,
): AsyncGenerator<[R], void, undefined> {
  let i = 0;
  try {
    for (; i < futures.length; i++) {
      const future = futures[i]!;
      futures[i] = undefined;
      try {
        yield [await future.resultAsync(remaining(deadline), { signal })];
      } finally {
        future.cancel();
      }
    }
  } finally {
    for (let j = i + 1; j < futures.length; j++) futures[j]?.cancel();
  }
}
