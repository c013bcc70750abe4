/**
 * {@linkcode SharedMap}: a map in shared memory, each operation atomic
 * across threads, keys compared by value.
 *
 * @module
 */
import { describeValue } from "./_core/validate.ts";
import {
  K_SHARED_MAP,
  MAP_BYTES,
  MAP_MAX_BYTES,
  MAP_MUTEX,
  MAP_TABLE,
  MAP_WORDS,
} from "./_core/layout.ts";
import { adoption, create, defineKind, track } from "./_core/handles.ts";
import { free, heap, wordsAt } from "./_core/heap.ts";
import {
  decodeKey,
  type EncodedKey,
  encodeKeyInto,
  type SharedKey,
} from "./_codec/key_codec.ts";
import {
  entryAfter,
  entryKeyStart,
  entryValue,
  setEntryValue,
  tableAdd,
  tableClear,
  tableFind,
  tableFirst,
  tableRemove,
  tableSize,
} from "./_structures/hash_table.ts";
import { enterMutex, leaveMutex, withMutex } from "./_core/mutex.ts";
import {
  dropValue,
  maxBytesOf,
  readValue,
  storedSize,
  storeValue,
} from "./_codec/stored_value.ts";

export type { SharedKey };

/** Options of {@linkcode SharedMap}. */
export interface SharedMapOptions {
  /**
   * Most bytes its keys and values may take, encoded (default 64 MiB); its
   * storage grows to that.
   */
  maxBytes?: number;
}

const DEFAULT_BYTES = 64 * 1024 * 1024;
const WHAT = "SharedMap";

function tooLarge(action: string, bytes: number, max: number): RangeError {
  return new RangeError(
    `Cannot ${action}: the SharedMap's keys and values would take ${bytes} bytes encoded, at most ${max} (maxBytes)`,
  );
}

/**
 * The key of the call under way, encoded before the map is locked (so that
 * the lock is held for the table alone). User code a call runs (update()'s
 * fn, an array key's elements) may encode keys too: a call encodes again
 * after it.
 */
const prepared: EncodedKey = { bytes: new Uint8Array(0), length: 0, hash: 0 };

function prepareKey(key: unknown): void {
  encodeKeyInto(key, WHAT, prepared);
}

/**
 * A map in shared memory, as Python's `dict` shared by every thread that
 * gets it (as an argument, in a queue item, or as a module-level constant).
 * Each call is atomic; `update()` and `setDefault()` read and write in one
 * step. Keys are strings, numbers, bigints, booleans, null, or arrays of
 * them, compared by value: `1` and `1.0` are one key, `"1"` and `1n` others,
 * `[1, "a"]` matches any array with those elements. Values are stored as
 * copies, as {@linkcode SharedValue} stores its value: reading returns a
 * copy, and this module's primitives in a value stay shared. Iteration is in
 * insertion order, over a snapshot. `get`, `set`, `has` and `delete` take
 * O(1).
 *
 * @typeParam K The keys' type.
 * @typeParam V The values' type.
 *
 * @example Counting words from two threads
 * ```ts
 * import { SharedMap, Thread } from "@weft/threading";
 * import assert from "node:assert/strict";
 *
 * export function count(counts: SharedMap<string, number>, text: string): void {
 *   for (const word of text.split(" ")) counts.update(word, (n) => (n ?? 0) + 1);
 * }
 *
 * const counts = new SharedMap<string, number>();
 * const t = new Thread({ target: count, args: [counts, "a b a"] });
 * t.start();
 * count(counts, "b a");
 * t.join();
 * assert.equal(counts.get("a"), 3);
 * assert.equal(counts.get("b"), 2);
 * ```
 */
export class SharedMap<K extends SharedKey, V> implements Iterable<[K, V]> {
  #ref: number;
  #w: Int32Array;

  /**
   * Creates a map holding copies of `entries`.
   *
   * @param entries The first entries; a later one replaces an earlier one
   * with an equal key.
   * @param options The most bytes its keys and values may take.
   * @throws {TypeError} If a key is not a {@linkcode SharedKey}, a value
   * cannot cross threads, or the arguments have wrong types.
   * @throws {RangeError} If the entries exceed `maxBytes`, or `maxBytes` is
   * not a positive integer.
   */
  constructor(entries?: Iterable<readonly [K, V]>, options?: SharedMapOptions) {
    let ref = adoption(K_SHARED_MAP);
    if (ref === 0) {
      const maxBytes = maxBytesOf(options, DEFAULT_BYTES);
      const list = entries === undefined ? [] : [...checkEntries(entries)];
      for (const entry of list) {
        if (!Array.isArray(entry)) {
          throw new TypeError(
            `Cannot create a SharedMap: each entry must be a [key, value] array, received ${
              describeValue(entry)
            }`,
          );
        }
        prepareKey(entry[0]);
      }
      ref = create(K_SHARED_MAP, MAP_WORDS * 4);
      const w = wordsAt(ref, MAP_WORDS);
      w[MAP_MAX_BYTES] = maxBytes;
      try {
        for (const [key, value] of list) this.#put(w, key, value);
      } catch (error) {
        destroy(ref);
        free(ref);
        throw error;
      }
    }
    this.#ref = ref;
    this.#w = wordsAt(ref, MAP_WORDS);
    track(this, ref);
  }

  static {
    defineKind(K_SHARED_MAP, SharedMap, (m) => m.#ref, { destroy });
  }

  /** How many entries the map holds. */
  get size(): number {
    return tableSize(this.#w, MAP_TABLE);
  }

  /** The most bytes its keys and values may take, encoded. */
  get maxBytes(): number {
    return this.#w[MAP_MAX_BYTES];
  }

  /** Runs `fn` with the map locked. */
  #locked<R>(fn: (w: Int32Array) => R): R {
    return withMutex(this.#w, MAP_MUTEX, WHAT, fn);
  }

  /**
   * Stores the value `ref` refers to under the prepared key, whose entry is
   * `entry` (0: none yet), the map locked (or not shared yet); returns what
   * it replaced, 0 for nothing.
   */
  #store(w: Int32Array, entry: number, ref: number, action: string): number {
    const before = entry === 0 ? 0 : entryValue(entry);
    const bytes = w[MAP_BYTES] + storedSize(ref) +
      (entry === 0 ? prepared.length : -storedSize(before));
    if (bytes > w[MAP_MAX_BYTES]) {
      throw tooLarge(action, bytes, w[MAP_MAX_BYTES]);
    }
    if (entry === 0) {
      tableAdd(
        w,
        MAP_TABLE,
        prepared.bytes,
        prepared.length,
        prepared.hash,
        ref,
      );
    } else setEntryValue(entry, ref);
    w[MAP_BYTES] = bytes;
    return before;
  }

  /** Encodes and stores one entry into a map not shared yet. */
  #put(w: Int32Array, key: unknown, value: unknown): void {
    const ref = storeValue(value, WHAT);
    try {
      prepareKey(key);
      const before = this.#store(w, this.#find(w), ref, "create the SharedMap");
      if (before !== 0) dropValue(before);
    } catch (error) {
      dropValue(ref);
      throw error;
    }
  }

  /** The entry of the prepared key, 0 for none (the map locked). */
  #find(w: Int32Array): number {
    return tableFind(
      w,
      MAP_TABLE,
      prepared.bytes,
      prepared.length,
      prepared.hash,
    );
  }

  /**
   * A copy of the value stored under `key`.
   *
   * @param key The key.
   * @returns The value, or undefined when the key is absent.
   * @throws {TypeError} If `key` is not a {@linkcode SharedKey}, or the
   * value holds an instance of a class this thread has not loaded (the
   * value stays; the error names the class and its module).
   */
  get(key: K): V | undefined {
    prepareKey(key);
    const w = this.#w;
    enterMutex(w, MAP_MUTEX, WHAT);
    try {
      const entry = this.#find(w);
      return entry === 0 ? undefined : readValue(entryValue(entry)) as V;
    } finally {
      leaveMutex(w, MAP_MUTEX);
    }
  }

  /**
   * Whether `key` is in the map.
   *
   * @param key The key.
   * @returns True when it is.
   * @throws {TypeError} If `key` is not a {@linkcode SharedKey}.
   */
  has(key: K): boolean {
    prepareKey(key);
    const w = this.#w;
    enterMutex(w, MAP_MUTEX, WHAT);
    try {
      return this.#find(w) !== 0;
    } finally {
      leaveMutex(w, MAP_MUTEX);
    }
  }

  /**
   * Stores a copy of `value` under `key`, replacing what was there; a new
   * key goes last in the order, a key already there keeps its place.
   *
   * @param key The key.
   * @param value The value (copied).
   * @returns This map.
   * @throws {TypeError} If `key` is not a {@linkcode SharedKey} or `value`
   * cannot cross threads.
   * @throws {RangeError} If it would exceed `maxBytes`; the map is
   * unchanged.
   */
  set(key: K, value: V): this {
    const ref = storeValue(value, WHAT);
    const w = this.#w;
    let before = 0;
    try {
      prepareKey(key);
      enterMutex(w, MAP_MUTEX, WHAT);
      try {
        before = this.#store(w, this.#find(w), ref, "set a key");
      } finally {
        leaveMutex(w, MAP_MUTEX);
      }
    } catch (error) {
      dropValue(ref);
      throw error;
    }
    if (before !== 0) dropValue(before);
    return this;
  }

  /**
   * Removes `key` and its value.
   *
   * @param key The key.
   * @returns Whether it was there.
   * @throws {TypeError} If `key` is not a {@linkcode SharedKey}.
   */
  delete(key: K): boolean {
    prepareKey(key);
    const w = this.#w;
    let before = 0;
    enterMutex(w, MAP_MUTEX, WHAT);
    try {
      const entry = this.#find(w);
      if (entry === 0) return false;
      before = entryValue(entry);
      w[MAP_BYTES] -= prepared.length + storedSize(before);
      tableRemove(w, MAP_TABLE, entry);
    } finally {
      leaveMutex(w, MAP_MUTEX);
    }
    dropValue(before);
    return true;
  }

  /** Removes every entry. */
  clear(): void {
    const values = this.#locked((w) => {
      const out: number[] = [];
      for (let e = tableFirst(w, MAP_TABLE); e !== 0; e = entryAfter(e)) {
        out.push(entryValue(e));
      }
      tableClear(w, MAP_TABLE);
      w[MAP_BYTES] = 0;
      return out;
    });
    for (const ref of values) dropValue(ref);
  }

  /**
   * Atomically replaces the value under `key` with `fn(value)`: no other
   * thread reads or changes the map in between. If `fn` throws, nothing
   * changes.
   *
   * @param key The key.
   * @param fn Computes the new value from a copy of the current one
   * (undefined when the key is absent); it must not call this map (that is a
   * ThreadError).
   * @returns The new value.
   * @throws {TypeError} If `key` is not a {@linkcode SharedKey}, `fn` is not
   * a function, or its result cannot cross threads.
   * @throws {RangeError} If the result would exceed `maxBytes`.
   */
  update(key: K, fn: (value: V | undefined) => V): V {
    if (typeof fn !== "function") {
      throw new TypeError(
        `Cannot update a key: fn must be a function, received ${
          describeValue(fn)
        }`,
      );
    }
    prepareKey(key);
    const w = this.#w;
    let before = 0;
    let value: V;
    enterMutex(w, MAP_MUTEX, WHAT);
    try {
      const entry = this.#find(w);
      value = fn(
        entry === 0 ? undefined : readValue(entryValue(entry)) as V,
      );
      const ref = storeValue(value, WHAT);
      try {
        // fn may have encoded keys (another map's call): a new key is
        // encoded again before it is added. (The map itself cannot have
        // changed: a call on it inside fn throws.)
        if (entry === 0) prepareKey(key);
        before = this.#store(w, entry, ref, "update a key");
      } catch (error) {
        dropValue(ref);
        throw error;
      }
    } finally {
      leaveMutex(w, MAP_MUTEX);
    }
    if (before !== 0) dropValue(before);
    return value;
  }

  /**
   * Python's `dict.setdefault()`: the value under `key`, after storing
   * `value` there when the key was absent.
   *
   * @param key The key.
   * @param value What to store when it is absent (copied).
   * @returns A copy of the value stored under `key` before, or `value`.
   * @throws {TypeError} If `key` is not a {@linkcode SharedKey} or `value`
   * cannot cross threads.
   * @throws {RangeError} If storing it would exceed `maxBytes`.
   */
  setDefault(key: K, value: V): V {
    const ref = storeValue(value, WHAT);
    let stored = false;
    try {
      prepareKey(key);
      const found = this.#locked((w) => {
        const entry = this.#find(w);
        if (entry !== 0) return { value: readValue(entryValue(entry)) as V };
        this.#store(w, 0, ref, "set a default");
        stored = true;
        return undefined;
      });
      if (found !== undefined) {
        dropValue(ref);
        return found.value;
      }
    } catch (error) {
      if (!stored) dropValue(ref);
      throw error;
    }
    return value;
  }

  /** Copies of every entry, in insertion order, taken at one instant. */
  #snapshot(): [K, V][] {
    return this.#locked((w) => {
      const out: [K, V][] = [];
      const u8 = heap().u8;
      for (let e = tableFirst(w, MAP_TABLE); e !== 0; e = entryAfter(e)) {
        out.push([
          decodeKey(u8, entryKeyStart(e)) as K,
          readValue(entryValue(e)) as V,
        ]);
      }
      return out;
    });
  }

  /**
   * The keys, in insertion order, over a snapshot.
   *
   * @returns An iterator over copies of the keys.
   */
  keys(): IterableIterator<K> {
    return this.#locked((w) => {
      const out: K[] = [];
      const u8 = heap().u8;
      for (let e = tableFirst(w, MAP_TABLE); e !== 0; e = entryAfter(e)) {
        out.push(decodeKey(u8, entryKeyStart(e)) as K);
      }
      return out;
    }).values();
  }

  /**
   * The values, in insertion order, over a snapshot.
   *
   * @returns An iterator over copies of the values.
   * @throws {TypeError} If a value holds an instance of a class this thread
   * has not loaded.
   */
  values(): IterableIterator<V> {
    return this.#snapshot().map((entry) => entry[1]).values();
  }

  /**
   * The entries, in insertion order, over a snapshot.
   *
   * @returns An iterator over `[key, value]` copies.
   * @throws {TypeError} If a value holds an instance of a class this thread
   * has not loaded.
   */
  entries(): IterableIterator<[K, V]> {
    return this.#snapshot().values();
  }

  /**
   * Calls `fn(value, key, map)` for each entry of a snapshot, in insertion
   * order, as `Map.prototype.forEach` does.
   *
   * @param fn What to call.
   * @throws {TypeError} If `fn` is not a function.
   */
  forEach(fn: (value: V, key: K, map: this) => void): void {
    if (typeof fn !== "function") {
      throw new TypeError(
        `Cannot iterate over the SharedMap: fn must be a function, received ${
          describeValue(fn)
        }`,
      );
    }
    for (const [key, value] of this.#snapshot()) fn(value, key, this);
  }

  /**
   * Iterates over the entries of a snapshot, as `entries()`.
   *
   * @returns An iterator over `[key, value]` copies.
   */
  [Symbol.iterator](): IterableIterator<[K, V]> {
    return this.entries();
  }
}

function checkEntries<T>(entries: Iterable<T>): Iterable<T> {
  if (typeof entries?.[Symbol.iterator] !== "function") {
    throw new TypeError(
      `Cannot create a SharedMap: entries must be iterable, received ${
        describeValue(entries)
      }`,
    );
  }
  return entries;
}

function destroy(ref: number): void {
  const w = wordsAt(ref, MAP_WORDS);
  for (let e = tableFirst(w, MAP_TABLE); e !== 0; e = entryAfter(e)) {
    dropValue(entryValue(e));
  }
  tableClear(w, MAP_TABLE);
}
