/**
 * {@linkcode SharedList}: a list in shared memory, each operation atomic
 * across threads, O(1) at both ends and by index.
 *
 * @module
 */
import { describeValue } from "./_core/validate.ts";
import {
  INDEX_COUNT,
  K_SHARED_LIST,
  LIST_BYTES,
  LIST_ITEMS,
  LIST_MAX_BYTES,
  LIST_MUTEX,
  LIST_WORDS,
} from "./_core/layout.ts";
import { adoption, create, defineKind, track } from "./_core/handles.ts";
import { wordsAt } from "./_core/heap.ts";
import {
  get,
  release as releaseRefs,
  reserve,
  set,
} from "./_structures/ref_array.ts";
import {
  ringInsert,
  ringPop,
  ringPush,
  ringRemove,
  ringShift,
  ringUnshift,
} from "./_structures/ref_ring.ts";
import { withMutex } from "./_core/mutex.ts";
import {
  dropValue,
  maxBytesOf,
  readValue,
  storedSize,
  storeValue,
  takeValue,
} from "./_codec/stored_value.ts";

/** Options of {@linkcode SharedList}. */
export interface SharedListOptions {
  /**
   * Most bytes its items may take, encoded (default 64 MiB); its storage
   * grows to that.
   */
  maxBytes?: number;
}

const DEFAULT_BYTES = 64 * 1024 * 1024;
const WHAT = "SharedList";

function storeAll(items: readonly unknown[]): number[] {
  const refs: number[] = [];
  try {
    for (const item of items) refs.push(storeValue(item, WHAT));
  } catch (error) {
    for (const ref of refs) dropValue(ref);
    throw error;
  }
  return refs;
}

function sizeOf(refs: readonly number[]): number {
  let bytes = 0;
  for (const ref of refs) bytes += storedSize(ref);
  return bytes;
}

function tooLarge(action: string, bytes: number, max: number): RangeError {
  return new RangeError(
    `Cannot ${action}: the SharedList's items would take ${bytes} bytes encoded, at most ${max} (maxBytes)`,
  );
}

/**
 * A list in shared memory: every thread that gets it (as an argument, in a
 * queue item, or as a module-level constant) sees and changes the same
 * list, and each call is atomic. Items are stored as copies, as
 * {@linkcode SharedValue} stores its value: reading returns a copy, and
 * this module's primitives in an item stay shared. Reading or changing
 * either end, or an item by index, takes O(1); `insert()` and `removeAt()`
 * move the items between the index and the nearer end.
 *
 * @typeParam T The items' type.
 *
 * @example Two threads push into one list
 * ```ts
 * import { SharedList, Thread } from "@weft/threading";
 * import assert from "node:assert/strict";
 *
 * export function fill(list: SharedList<number>, from: number): void {
 *   for (let i = from; i < from + 3; i++) list.push(i);
 * }
 *
 * const list = new SharedList<number>();
 * const t = new Thread({ target: fill, args: [list, 10] });
 * t.start();
 * fill(list, 0);
 * t.join();
 * assert.deepEqual(list.toArray().sort((a, b) => a - b), [0, 1, 2, 10, 11, 12]);
 * ```
 */
export class SharedList<T> implements Iterable<T> {
  #ref: number;
  #w: Int32Array;

  /**
   * Creates a list holding copies of `items`.
   *
   * @param items The first items, in order.
   * @param options The most bytes the items may take.
   * @throws {TypeError} If an item cannot cross threads, or the arguments
   * have wrong types.
   * @throws {RangeError} If the items exceed `maxBytes`, or `maxBytes` is
   * not a positive integer.
   */
  constructor(items?: Iterable<T>, options?: SharedListOptions) {
    let ref = adoption(K_SHARED_LIST);
    if (ref === 0) {
      const maxBytes = maxBytesOf(options, DEFAULT_BYTES);
      if (
        items !== undefined && typeof items?.[Symbol.iterator] !== "function"
      ) {
        throw new TypeError(
          `Cannot create a SharedList: items must be iterable, received ${
            describeValue(items)
          }`,
        );
      }
      const refs = items === undefined ? [] : storeAll([...items]);
      const bytes = sizeOf(refs);
      try {
        if (bytes > maxBytes) {
          throw tooLarge("create the SharedList", bytes, maxBytes);
        }
        ref = create(K_SHARED_LIST, LIST_WORDS * 4);
      } catch (error) {
        for (const item of refs) dropValue(item);
        throw error;
      }
      const w = wordsAt(ref, LIST_WORDS);
      w[LIST_MAX_BYTES] = maxBytes;
      w[LIST_BYTES] = bytes;
      reserve(w, LIST_ITEMS, refs.length);
      for (const item of refs) ringPush(w, LIST_ITEMS, item);
      Atomics.store(w, LIST_ITEMS + INDEX_COUNT, refs.length);
    }
    this.#ref = ref;
    this.#w = wordsAt(ref, LIST_WORDS);
    track(this, ref);
  }

  static {
    defineKind(K_SHARED_LIST, SharedList, (l) => l.#ref, {
      destroy: (ref) => {
        const w = wordsAt(ref, LIST_WORDS);
        const n = w[LIST_ITEMS + INDEX_COUNT];
        for (let i = 0; i < n; i++) dropValue(get(w, LIST_ITEMS, i));
        releaseRefs(w, LIST_ITEMS);
      },
    });
  }

  /** How many items the list holds. */
  get length(): number {
    return Atomics.load(this.#w, LIST_ITEMS + INDEX_COUNT);
  }

  /** The most bytes its items may take, encoded. */
  get maxBytes(): number {
    return this.#w[LIST_MAX_BYTES];
  }

  /** Runs `fn` with the list locked. */
  #locked<R>(fn: (w: Int32Array) => R): R {
    return withMutex(this.#w, LIST_MUTEX, WHAT, fn);
  }

  /** Position of `index` (negative from the end) or -1 when outside. */
  #position(index: number, what: string): number {
    if (typeof index !== "number" || !Number.isInteger(index)) {
      throw new TypeError(
        `Cannot ${what}: index must be an integer, received ${
          describeValue(index)
        }`,
      );
    }
    const n = this.#w[LIST_ITEMS + INDEX_COUNT];
    const i = index < 0 ? index + n : index;
    return i >= 0 && i < n ? i : -1;
  }

  #outside(what: string, index: number): RangeError {
    return new RangeError(
      `Cannot ${what}: index ${index} is outside the list (length ${this.length})`,
    );
  }

  /** Adds stored items at one end, all or none. */
  #add(refs: number[], atFront: boolean, action: string): number {
    try {
      return this.#locked((w) => {
        const bytes = w[LIST_BYTES] + sizeOf(refs);
        if (bytes > w[LIST_MAX_BYTES]) {
          throw tooLarge(action, bytes, w[LIST_MAX_BYTES]);
        }
        reserve(w, LIST_ITEMS, refs.length);
        if (atFront) {
          for (let k = refs.length - 1; k >= 0; k--) {
            ringUnshift(w, LIST_ITEMS, refs[k]);
          }
        } else {
          for (const ref of refs) ringPush(w, LIST_ITEMS, ref);
        }
        w[LIST_BYTES] = bytes;
        return w[LIST_ITEMS + INDEX_COUNT];
      });
    } catch (error) {
      for (const ref of refs) dropValue(ref);
      throw error;
    }
  }

  /** Takes the item at one end out, or undefined when empty. */
  #take(fromFront: boolean): T | undefined {
    const ref = this.#locked((w) => {
      if (w[LIST_ITEMS + INDEX_COUNT] === 0) return 0;
      const taken = fromFront
        ? ringShift(w, LIST_ITEMS)
        : ringPop(w, LIST_ITEMS);
      w[LIST_BYTES] -= storedSize(taken);
      return taken;
    });
    return ref === 0 ? undefined : takeValue(ref) as T;
  }

  /**
   * A copy of the item at `index`; a negative index counts from the end.
   *
   * @param index The position.
   * @returns The item, or undefined when the index is outside the list.
   * @throws {TypeError} If `index` is not an integer, or the item holds an
   * instance of a class this thread has not loaded.
   */
  at(index: number): T | undefined {
    return this.#locked((w) => {
      const i = this.#position(index, "read an item");
      return i < 0 ? undefined : readValue(get(w, LIST_ITEMS, i)) as T;
    });
  }

  /**
   * Replaces the item at `index` (negative counts from the end).
   *
   * @param index The position.
   * @param value The new item (copied).
   * @throws {RangeError} If `index` is outside the list, or the items would
   * exceed `maxBytes`; the list is unchanged.
   * @throws {TypeError} If `index` is not an integer or `value` cannot
   * cross threads.
   */
  set(index: number, value: T): void {
    const ref = storeValue(value, WHAT);
    let old = 0;
    try {
      old = this.#locked((w) => {
        const i = this.#position(index, "set an item");
        if (i < 0) throw this.#outside("set an item", index);
        const before = get(w, LIST_ITEMS, i);
        const bytes = w[LIST_BYTES] - storedSize(before) + storedSize(ref);
        if (bytes > w[LIST_MAX_BYTES]) {
          throw tooLarge("set an item", bytes, w[LIST_MAX_BYTES]);
        }
        set(w, LIST_ITEMS, i, ref);
        w[LIST_BYTES] = bytes;
        return before;
      });
    } catch (error) {
      dropValue(ref);
      throw error;
    }
    dropValue(old);
  }

  /**
   * Appends items at the end, all of them or (on an error) none.
   *
   * @param items The items (copied).
   * @returns The new length.
   * @throws {TypeError} If an item cannot cross threads.
   * @throws {RangeError} If the items would exceed `maxBytes`.
   */
  push(...items: T[]): number {
    return this.#add(storeAll(items), false, "push to the SharedList");
  }

  /**
   * Removes the last item.
   *
   * @returns It, or undefined when the list is empty.
   * @throws {TypeError} If it holds an instance of a class this thread
   * cannot reach now: it is removed all the same, its data (such instances
   * as plain objects) in the error's `value`.
   */
  pop(): T | undefined {
    return this.#take(false);
  }

  /**
   * Inserts items at the start, in their order, all of them or none.
   *
   * @param items The items (copied).
   * @returns The new length.
   * @throws {TypeError} If an item cannot cross threads.
   * @throws {RangeError} If the items would exceed `maxBytes`.
   */
  unshift(...items: T[]): number {
    return this.#add(storeAll(items), true, "unshift to the SharedList");
  }

  /**
   * Removes the first item.
   *
   * @returns It, or undefined when the list is empty.
   * @throws {TypeError} If it holds an instance of a class this thread
   * cannot reach now: it is removed all the same, its data (such instances
   * as plain objects) in the error's `value`.
   */
  shift(): T | undefined {
    return this.#take(true);
  }

  /**
   * Inserts an item before position `index`, as Python's `list.insert()`:
   * `length` appends, a negative index counts from the end.
   *
   * @param index Where it goes, from `-length` to `length`.
   * @param value The item (copied).
   * @throws {RangeError} If `index` is outside that range, or the items
   * would exceed `maxBytes`; the list is unchanged.
   * @throws {TypeError} If `index` is not an integer or `value` cannot
   * cross threads.
   */
  insert(index: number, value: T): void {
    const ref = storeValue(value, WHAT);
    try {
      this.#locked((w) => {
        const n = w[LIST_ITEMS + INDEX_COUNT];
        const i = index === n ? n : this.#position(index, "insert an item");
        if (i < 0) throw this.#outside("insert an item", index);
        const bytes = w[LIST_BYTES] + storedSize(ref);
        if (bytes > w[LIST_MAX_BYTES]) {
          throw tooLarge("insert an item", bytes, w[LIST_MAX_BYTES]);
        }
        reserve(w, LIST_ITEMS);
        ringInsert(w, LIST_ITEMS, i, ref);
        w[LIST_BYTES] = bytes;
      });
    } catch (error) {
      dropValue(ref);
      throw error;
    }
  }

  /**
   * Removes the item at `index` (negative counts from the end).
   *
   * @param index The position.
   * @returns The item removed.
   * @throws {RangeError} If `index` is outside the list.
   * @throws {TypeError} If `index` is not an integer, or the item holds an
   * instance of a class this thread cannot reach now: it is removed all the
   * same, its data (such instances as plain objects) in the error's `value`.
   */
  removeAt(index: number): T {
    const ref = this.#locked((w) => {
      const i = this.#position(index, "remove an item");
      if (i < 0) throw this.#outside("remove an item", index);
      const taken = ringRemove(w, LIST_ITEMS, i);
      w[LIST_BYTES] -= storedSize(taken);
      return taken;
    });
    return takeValue(ref) as T;
  }

  /**
   * Atomically replaces the item at `index` with `fn(item)`: no other thread
   * reads or changes the list in between. If `fn` throws, nothing changes.
   *
   * @param index The position (negative counts from the end).
   * @param fn Computes the new item from a copy of the current one; it must
   * not call this list (that is a ThreadError).
   * @returns The new item.
   * @throws {RangeError} If `index` is outside the list, or the result would
   * exceed `maxBytes`.
   * @throws {TypeError} If `fn` is not a function or its result cannot
   * cross threads.
   */
  update(index: number, fn: (value: T) => T): T {
    if (typeof fn !== "function") {
      throw new TypeError(
        `Cannot update an item: fn must be a function, received ${
          describeValue(fn)
        }`,
      );
    }
    let old = 0;
    const next = this.#locked((w) => {
      const i = this.#position(index, "update an item");
      if (i < 0) throw this.#outside("update an item", index);
      const before = get(w, LIST_ITEMS, i);
      const value = fn(readValue(before) as T);
      const ref = storeValue(value, WHAT);
      const bytes = w[LIST_BYTES] - storedSize(before) + storedSize(ref);
      if (bytes > w[LIST_MAX_BYTES]) {
        dropValue(ref);
        throw tooLarge("update an item", bytes, w[LIST_MAX_BYTES]);
      }
      set(w, LIST_ITEMS, i, ref);
      w[LIST_BYTES] = bytes;
      old = before;
      return value;
    });
    dropValue(old);
    return next;
  }

  /** Removes every item. */
  clear(): void {
    const refs = this.#locked((w) => {
      const n = w[LIST_ITEMS + INDEX_COUNT];
      const out: number[] = new Array(n);
      for (let i = 0; i < n; i++) out[i] = get(w, LIST_ITEMS, i);
      releaseRefs(w, LIST_ITEMS);
      w[LIST_BYTES] = 0;
      return out;
    });
    for (const ref of refs) dropValue(ref);
  }

  /**
   * Copies of every item, in order, taken at one instant.
   *
   * @returns A new array.
   * @throws {TypeError} If an item holds an instance of a class this thread
   * has not loaded.
   */
  toArray(): T[] {
    return this.#locked((w) => {
      const n = w[LIST_ITEMS + INDEX_COUNT];
      const out: T[] = new Array(n);
      for (let i = 0; i < n; i++) {
        out[i] = readValue(get(w, LIST_ITEMS, i)) as T;
      }
      return out;
    });
  }

  /**
   * Iterates over a snapshot: copies of the items as they were when the
   * iteration began.
   *
   * @returns An iterator over the snapshot.
   */
  [Symbol.iterator](): Iterator<T> {
    return this.toArray()[Symbol.iterator]();
  }
}
