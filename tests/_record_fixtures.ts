// Thread targets of the tests of values stored out of line (1 MiB or more
// encoded, see src/_record.ts): tests/queue_test.ts, tests/record_test.ts
// and tests/_memory_program.ts. Nothing here may import tests/_queue_late_class.ts
// statically: a thread must not have loaded its class before getAsync().
import type {
  Future,
  Lock,
  Queue,
  SharedList,
  SharedMap,
  SharedValue,
} from "../mod.ts";
import { Point } from "./_fixtures.ts";
import { heap } from "../src/_core/heap.ts";
import { H_BUMP } from "../src/_core/layout.ts";

// Exported here too: an instance is looked up among the exports of the
// module that sends it.
export { Point };

export const MiB = 2 ** 20;

/**
 * Bytes of the heap ever used (its bump pointer): a value stored in the heap
 * takes a block of its size, which moves it unless a freed one is reused.
 */
export function heapUsed(): number {
  return Atomics.load(heap().i32, H_BUMP) * 4;
}

/** Makes `a` say which item it is, `seed`: one byte of every page. */
export function mark(a: Uint8Array, seed: number): Uint8Array {
  for (let i = 0; i < a.length; i += 4096) a[i] = (i / 4096 + seed) & 255;
  a[a.length - 1] = seed & 255;
  return a;
}

/** `n` bytes marked as item `seed`. */
export function marked(n: number, seed: number): Uint8Array {
  return mark(new Uint8Array(n), seed);
}

/** Whether `a` is `n` bytes marked as item `seed`. */
export function isMarked(a: unknown, n: number, seed: number): boolean {
  if (!(a instanceof Uint8Array) || a.length !== n) return false;
  if (a[n - 1] !== (seed & 255)) return false;
  for (let i = 0; i < n; i += 4096) {
    if (a[i] !== ((i / 4096 + seed) & 255)) return false;
  }
  return true;
}

/** A large item holding what must keep its identity across threads. */
export interface BigItem {
  seed: number;
  point: Point;
  lock: Lock;
  shared: Int32Array;
  data: Uint8Array;
}

export function bigItem(
  seed: number,
  lock: Lock,
  shared: Int32Array,
  size = 2 * MiB,
): BigItem {
  return {
    seed,
    point: new Point(seed, 1),
    lock,
    shared,
    data: marked(size, seed),
  };
}

/** Puts big items with seeds `seeds` into `q`. */
export function putBigItems(
  q: Queue<BigItem>,
  seeds: number[],
  lock: Lock,
  shared: Int32Array,
): void {
  for (const seed of seeds) q.put(bigItem(seed, lock, shared));
}

/** PriorityQueue's order of big items. */
export function bySeed(a: BigItem, b: BigItem): number {
  return a.seed - b.seed;
}

/**
 * Takes `n` big items from `q` (asynchronously when `async`); puts in `out`,
 * for each, what held: [seed, a Point here, data intact, the lock held (by
 * the caller)]. It counts the items in `shared[1]` of each, for the caller
 * to see.
 */
export async function takeBigItems(
  q: Queue<BigItem>,
  n: number,
  async: boolean,
  out: Queue<unknown>,
): Promise<void> {
  const seen: [number, boolean, boolean, boolean][] = [];
  for (let i = 0; i < n; i++) {
    const item = async
      ? await q.getAsync({ timeout: 20_000 })
      : q.get({ timeout: 20_000 });
    const locked = item.lock.acquire({ blocking: false });
    if (locked) item.lock.release();
    Atomics.add(item.shared, 1, 1);
    seen.push([
      item.seed,
      item.point instanceof Point && item.point.x === item.seed,
      isMarked(item.data, item.data.length, item.seed),
      !locked,
    ]);
  }
  out.put(seen);
}

/**
 * Takes one item holding an instance of a class this thread has not loaded;
 * puts in `out` [an instance of its class, what it says, its data intact].
 */
export async function takeLateBigItem(
  q: Queue<{ thing: unknown; data: Uint8Array }>,
  out: Queue<unknown>,
): Promise<void> {
  const item = await q.getAsync({ timeout: 20_000 });
  const { LateQueueThing } = await import("./_queue_late_class.ts");
  out.put([
    item.thing instanceof LateQueueThing,
    (item.thing as { describe(): string }).describe(),
    isMarked(item.data, item.data.length, 7),
  ]);
}

/**
 * Reads a large value from each container `times` times; pushes to `out`
 * whether each read was intact.
 */
export function readBigValues(
  value: SharedValue<Uint8Array>,
  list: SharedList<Uint8Array>,
  map: SharedMap<string, Uint8Array>,
  times: number,
  out: SharedList<boolean[]>,
): void {
  const seen: boolean[] = [];
  for (let i = 0; i < times; i++) {
    seen.push(isMarked(value.get(), 3 * MiB, 1));
    seen.push(isMarked(list.at(0), 3 * MiB, 2));
    seen.push(isMarked(map.get("big"), 3 * MiB, 3));
  }
  out.push(seen);
}

/** Replaces a large value with another in update(); the new one's length. */
export function growValue(value: SharedValue<Uint8Array>): number {
  return value.update((old) => {
    const next = new Uint8Array(old.length + MiB);
    next.set(old);
    return next;
  }).length;
}

/** A task's large result. */
export function bigResult(n: number, seed: number): Uint8Array {
  return marked(n, seed);
}

/** A task checking its large argument; returns its seed back when intact. */
export function checkBigArgument(data: Uint8Array, seed: number): number {
  return isMarked(data, data.length, seed) ? seed : -1;
}

/** Reads a future's large result in this thread; pushes whether intact. */
export function readFuture(
  future: Future<Uint8Array>,
  seed: number,
  out: SharedList<boolean>,
): void {
  out.push(isMarked(future.result(20_000), 2 * MiB, seed));
}

/** Puts big items `first` to `first + count - 1` (marked by their seed). */
export function putSeeds(
  q: Queue<[number, Uint8Array]>,
  first: number,
  count: number,
): void {
  for (let i = first; i < first + count; i++) {
    q.put([i, marked(MiB + (i % 7) * 4096, i)]);
  }
}

/**
 * Takes `count` big items; counts in `seen[seed]` each one that arrived
 * intact.
 */
export function takeSeeds(
  q: Queue<[number, Uint8Array]>,
  count: number,
  seen: Int32Array,
): void {
  for (let i = 0; i < count; i++) {
    const [seed, data] = q.get({ timeout: 30_000 });
    if (isMarked(data, MiB + (seed % 7) * 4096, seed)) {
      Atomics.add(seen, seed, 1);
    }
  }
}

/**
 * Sets `value` to big values `rounds` times, or reads it (`write` false);
 * counts in `out[0]` the reads that were one of the values written, intact.
 */
export function churnValue(
  value: SharedValue<[number, Uint8Array]>,
  write: boolean,
  rounds: number,
  out: Int32Array,
): void {
  for (let i = 0; i < rounds; i++) {
    if (write) {
      value.set([i, marked(MiB + i * 4096, i)]);
    } else {
      const [seed, data] = value.get();
      if (isMarked(data, MiB + seed * 4096, seed)) Atomics.add(out, 0, 1);
    }
  }
}
