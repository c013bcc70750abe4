// Thread targets for shared_list_test.ts and shared_map_test.ts: exported, so
// the threads find them by loading this module.
import type {
  Barrier,
  Event,
  Lock,
  Queue,
  SharedKey,
  SharedList,
  SharedMap,
  SharedValue,
} from "../mod.ts";

/** How long a fixture waits for anything at most: a bug fails, never hangs. */
export const PATIENCE = 60_000;

// --- SharedList ---------------------------------------------------------

/** Pushes base, base + 1, ..., base + n - 1, one push() each. */
export function pushRange(
  list: SharedList<number>,
  base: number,
  n: number,
  start: Barrier,
): void {
  start.wait(PATIENCE);
  for (let i = 0; i < n; i++) list.push(base + i);
}

/** n times `list.update(index, x => x + 1)`. */
export function incrementAt(
  list: SharedList<number>,
  index: number,
  n: number,
  start: Barrier,
): void {
  start.wait(PATIENCE);
  for (let i = 0; i < n; i++) list.update(index, (x) => x + 1);
}

/** Counters of the producer/consumer test, indices into an Int32Array. */
export const PRODUCED = 0;
export const CONSUMED = 1;
/** A consumer saw a producer's items out of that producer's order. */
export const OUT_OF_ORDER = 2;
/** A consumer got an item that no producer pushed. */
export const BAD_ITEMS = 3;
/** A consumer gave up (PATIENCE passed). */
export const GAVE_UP = 4;

/** What a producer pushes. */
export interface Item {
  producer: number;
  seq: number;
}

/** Pushes {producer, seq} for seq 0..n-1, counting them in `counters`. */
export function produce(
  list: SharedList<Item>,
  producer: number,
  n: number,
  counters: Int32Array,
  start: Barrier,
): void {
  start.wait(PATIENCE);
  for (let seq = 0; seq < n; seq++) {
    list.push({ producer, seq });
    Atomics.add(counters, PRODUCED, 1);
    Atomics.notify(counters, PRODUCED);
  }
}

/**
 * Shifts items until `total` have been consumed (by every consumer), adding
 * one to `seen[producer * perProducer + seq]` for each. Waits on the
 * PRODUCED counter while the list is empty.
 */
export function consume(
  list: SharedList<Item>,
  producers: number,
  perProducer: number,
  counters: Int32Array,
  seen: Int32Array,
  start: Barrier,
): void {
  start.wait(PATIENCE);
  const total = producers * perProducer;
  const last = new Array<number>(producers).fill(-1);
  const deadline = performance.now() + PATIENCE;
  while (Atomics.load(counters, CONSUMED) < total) {
    if (performance.now() > deadline) {
      Atomics.add(counters, GAVE_UP, 1);
      break;
    }
    const produced = Atomics.load(counters, PRODUCED);
    const item = list.shift();
    if (item === undefined) {
      // Woken by the next push; the timeout only covers the end of the run.
      Atomics.wait(counters, PRODUCED, produced, 5);
      continue;
    }
    const { producer, seq } = item;
    if (
      !Number.isInteger(producer) || producer < 0 || producer >= producers ||
      !Number.isInteger(seq) || seq < 0 || seq >= perProducer
    ) {
      Atomics.add(counters, BAD_ITEMS, 1);
    } else {
      Atomics.add(seen, producer * perProducer + seq, 1);
      if (seq <= last[producer]) Atomics.add(counters, OUT_OF_ORDER, 1);
      last[producer] = seq;
    }
    Atomics.add(counters, CONSUMED, 1);
  }
  Atomics.notify(counters, PRODUCED);
}

/** Gets a list from the queue, then pushes 0..n-1 to it. */
export function pushFromQueue(
  queue: Queue<SharedList<number>>,
  n: number,
): void {
  const list = queue.get({ timeout: PATIENCE });
  for (let i = 0; i < n; i++) list.push(i);
}

/** Replaces every element of the list by its double, and appends the sum. */
export function doubleAndSum(list: SharedList<number>): void {
  let sum = 0;
  for (let i = 0; i < list.length; i++) {
    sum += list.update(i, (x) => x * 2);
  }
  list.push(sum);
}

/** Holds the Lock found at list[0] until `release` is set. */
export function holdListedLock(
  list: SharedList<Lock>,
  held: Event,
  release: Event,
): void {
  const lock = list.at(0)!;
  lock.acquire();
  held.set();
  release.wait(PATIENCE);
  lock.release();
}

// --- SharedMap ----------------------------------------------------------

/** n times `map.update(keys[i % keys.length], v => (v ?? 0) + 1)`. */
export function countKeys(
  map: SharedMap<SharedKey, number>,
  keys: SharedKey[],
  n: number,
  start: Barrier,
): void {
  start.wait(PATIENCE);
  for (let i = 0; i < n; i++) {
    map.update(keys[i % keys.length], (v) => (v ?? 0) + 1);
  }
}

/** Sets [thread, i] => { thread, i } for i 0..n-1. */
export function setOwnKeys(
  map: SharedMap<[number, number], { thread: number; i: number }>,
  thread: number,
  n: number,
  start: Barrier,
): void {
  start.wait(PATIENCE);
  for (let i = 0; i < n; i++) map.set([thread, i], { thread, i });
}

/**
 * All threads race `setDefault(i, thread)` for keys 0..n-1; each writes what
 * it got back to out[thread * n + i].
 */
export function raceSetDefault(
  map: SharedMap<number, number>,
  thread: number,
  n: number,
  out: Int32Array,
  start: Barrier,
): void {
  start.wait(PATIENCE);
  for (let i = 0; i < n; i++) {
    Atomics.store(out, thread * n + i, map.setDefault(i, thread));
  }
}

/** Sums the map's number values under "sum", and deletes "remove me". */
export function sumValues(map: SharedMap<string, number>): void {
  let sum = 0;
  for (const [key, value] of map) if (key !== "sum") sum += value;
  map.delete("remove me");
  map.set("sum", sum);
}

/** Gets a map from the queue, then sets key => key * 10 for the keys. */
export function fillFromQueue(
  queue: Queue<SharedMap<number, number>>,
  keys: number[],
): void {
  const map = queue.get({ timeout: PATIENCE });
  for (const key of keys) map.set(key, key * 10);
}

/** Sets the Event found under "event", and adds 1 to the "value" SharedValue. */
export function useStoredPrimitives(
  map: SharedMap<string, Event | SharedValue<number>>,
): void {
  (map.get("event") as Event).set();
  (map.get("value") as SharedValue<number>).update((v) => v + 1);
}

/** Pushes `item` to the SharedList stored under "list". */
export function pushToStoredList(
  map: SharedMap<string, SharedList<string>>,
  item: string,
): void {
  map.get("list")!.push(item);
}

/** Ends its thread (Deno.exit) inside `map`'s update(): the mutex stays held. */
export function exitInUpdate(map: SharedMap<string, number>): void {
  map.update("k", () => Deno.exit(0));
}

// --- Items this thread cannot rebuild -------------------------------------

function attempt(what: string, f: () => unknown): unknown {
  try {
    return { what, got: f() };
  } catch (error) {
    return {
      what,
      error: `${(error as Error).name}: ${(error as Error).message}`,
      value: (error as { value?: unknown }).value,
    };
  }
}

/**
 * With `list` holding [U, "keep", U, U], where no thread can rebuild a U:
 * shift(), pop() and removeAt(1) each throw, the item in the error, and
 * take it out. Reports it all as JSON on `out`.
 */
export function takeUnrebuildable(
  list: SharedList<unknown>,
  out: Queue<string>,
): void {
  out.put(JSON.stringify({
    takes: [
      attempt("shift", () => list.shift()),
      attempt("pop", () => list.pop()),
      attempt("removeAt", () => list.removeAt(1)),
    ],
    left: list.toArray(),
  }));
}

/**
 * With `map` holding "u" => U, where no thread can rebuild a U: get("u")
 * throws, twice, and leaves it. Reports it all as JSON on `out`.
 */
export function readUnrebuildable(
  map: SharedMap<string, unknown>,
  out: Queue<string>,
): void {
  out.put(JSON.stringify({
    reads: [
      attempt("get", () => map.get("u")),
      attempt("get", () => map.get("u")),
    ],
    stays: { has: map.has("u"), size: map.size },
  }));
}
