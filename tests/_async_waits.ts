// Fixtures for the rule that no async wait holds an internal lock across an
// await: thread targets, and a program (run as a child process, since a
// broken rule hangs its thread for good) that mixes an async wait and a sync
// call on the same primitive in one thread.
import {
  Barrier,
  BrokenBarrierError,
  type Event,
  LifoQueue,
  PriorityQueue,
  Queue,
  SimpleQueue,
} from "../mod.ts";

/** Starts a getAsync(), says so, then keeps its thread busy until `go`. */
export async function getAsyncThenSpin(
  q: Queue<number>,
  pending: Event,
  go: Int32Array,
): Promise<void> {
  const got = q.getAsync();
  pending.set();
  while (Atomics.load(go, 0) === 0) Atomics.pause();
  await got;
}

/** Puts one item, then says so. */
export function putThenMark(q: Queue<number>, done: Event): void {
  q.put(1);
  done.set();
}

/** Puts `n` items from `first` on, counting them in out[slot]. */
export function putCounted(
  q: Queue<number[]>,
  first: number,
  n: number,
  out: Int32Array,
  slot: number,
): void {
  for (let i = first; i < first + n; i++) {
    q.put([i, i]);
    Atomics.add(out, slot, 1);
  }
}

/** Takes `n` items with getAsync(), counting them in out[slot]. */
export async function getCountedAsync(
  q: Queue<number[]>,
  n: number,
  out: Int32Array,
  slot: number,
): Promise<void> {
  for (let i = 0; i < n; i++) {
    await q.getAsync({ timeout: 20_000 });
    Atomics.add(out, slot, 1);
  }
}

if (import.meta.main) {
  for (const Q of [Queue, LifoQueue, PriorityQueue]) {
    const q = new Q<number>(1);
    const got = q.getAsync();
    q.put(1);
    console.log(`${Q.name} getAsync, put: ${await got}`);
    q.put(2);
    const put = q.putAsync(3);
    console.log(`${Q.name} full, putAsync, get: ${q.get()}`);
    await put;
    console.log(`${Q.name} then get: ${q.get()}`);
  }
  const simple = new SimpleQueue<number>();
  const got = simple.getAsync();
  simple.put(3);
  console.log(`SimpleQueue getAsync, put: ${await got}`);
  const barrier = new Barrier(2);
  const waiting = barrier.waitAsync();
  barrier.abort();
  await waiting.catch((e) => {
    console.log(`Barrier waitAsync, abort: ${e instanceof BrokenBarrierError}`);
  });
}
