/**
 * {@linkcode SharedValue}: one structured-cloneable value in shared memory,
 * read and updated atomically from every thread.
 *
 * @module
 */
import { describeValue } from "./_core/validate.ts";
import {
  K_SHARED_VALUE,
  VALUE_MAX_BYTES,
  VALUE_MUTEX,
  VALUE_RECORD,
  VALUE_WORDS,
} from "./_core/layout.ts";
import { adoption, create, defineKind, track } from "./_core/handles.ts";
import { heap, wordsAt } from "./_core/heap.ts";
import { withMutex } from "./_core/mutex.ts";
import {
  dropValue,
  maxBytesOf,
  readValue,
  storedSize,
  storeValue,
} from "./_codec/stored_value.ts";

/** Options of {@linkcode SharedValue}. */
export interface SharedValueOptions {
  /** Most bytes the encoded value may take (default 64 KiB); it grows to that. */
  maxBytes?: number;
}

const DEFAULT_BYTES = 64 * 1024;

/**
 * A value (numbers, strings, arrays, plain objects, Maps, Dates, this
 * module's primitives...) in shared memory. `get()` returns a copy; `set()`
 * and `update()` replace it atomically, so no update is lost between
 * threads. Its storage grows as needed up to `maxBytes`; a value whose
 * encoded form exceeds that is a RangeError and leaves the value as it was.
 *
 * @typeParam T The value's type.
 *
 * @example Four increments from two threads
 * ```ts
 * import { SharedValue, Thread } from "@weft/threading";
 * import assert from "node:assert/strict";
 *
 * const total = new SharedValue({ count: 0 });
 * const add = (v: SharedValue<{ count: number }>) => {
 *   for (let i = 0; i < 2; i++) v.update((x) => ({ count: x.count + 1 }));
 * };
 * const t = new Thread({ target: add, args: [total] });
 * t.start();
 * add(total);
 * t.join();
 * assert.deepEqual(total.get(), { count: 4 });
 * ```
 */
export class SharedValue<T> {
  #ref: number;
  #w: Int32Array;

  /**
   * Creates a shared value.
   *
   * @param initial The first value.
   * @param options The most bytes it may take.
   * @throws {TypeError} If `initial` cannot cross threads, or options have
   * wrong types.
   * @throws {RangeError} If `initial` exceeds `maxBytes`, or `maxBytes` is
   * not a positive integer.
   */
  constructor(initial: T, options?: SharedValueOptions) {
    let ref = adoption(K_SHARED_VALUE);
    if (ref === 0) {
      const maxBytes = maxBytesOf(options, DEFAULT_BYTES);
      const record = store(initial, maxBytes);
      ref = create(K_SHARED_VALUE, VALUE_WORDS * 4);
      const w = wordsAt(ref, VALUE_WORDS);
      w[VALUE_MAX_BYTES] = maxBytes;
      w[VALUE_RECORD] = record;
    }
    this.#ref = ref;
    this.#w = wordsAt(ref, VALUE_WORDS);
    track(this, ref);
  }

  static {
    defineKind(K_SHARED_VALUE, SharedValue, (v) => v.#ref, {
      destroy: (ref) => dropValue(heap().i32[ref + VALUE_RECORD]),
    });
  }

  /** The most bytes the encoded value may take. */
  get maxBytes(): number {
    return this.#w[VALUE_MAX_BYTES];
  }

  /** Runs `fn` with the value locked. */
  #locked<R>(fn: () => R): R {
    return withMutex(this.#w, VALUE_MUTEX, "SharedValue", fn);
  }

  #read(): T {
    return readValue(this.#w[VALUE_RECORD]) as T;
  }

  /** Puts `record` in place of the value (locked); returns the old one's. */
  #swap(record: number): number {
    const old = this.#w[VALUE_RECORD];
    this.#w[VALUE_RECORD] = record;
    return old;
  }

  /**
   * A copy of the current value.
   *
   * @returns The value.
   * @throws {ThreadError} If called inside this value's `update()`.
   */
  get(): T {
    return this.#locked(() => this.#read());
  }

  /**
   * Replaces the value.
   *
   * @param value The new value (copied).
   * @throws {TypeError} If it cannot be cloned (a function...).
   * @throws {RangeError} If it exceeds the capacity; the value is unchanged.
   */
  set(value: T): void {
    const record = store(value, this.maxBytes);
    dropValue(this.#locked(() => this.#swap(record)));
  }

  /**
   * Atomically replaces the value with `fn(current)`: no other thread reads
   * or writes it in between. If `fn` throws, the value is unchanged.
   *
   * @param fn Computes the new value from a copy of the current one.
   * @returns The new value.
   * @throws {TypeError} If `fn` is not a function or its result cannot be
   * cloned.
   * @throws {RangeError} If the result exceeds the capacity.
   */
  update(fn: (value: T) => T): T {
    if (typeof fn !== "function") {
      throw new TypeError(`fn must be a function, got ${describeValue(fn)}`);
    }
    let next!: T;
    dropValue(this.#locked(() => {
      next = fn(this.#read());
      return this.#swap(store(next, this.maxBytes));
    }));
    return next;
  }
}

/** Stores a copy of `value` in a record of its own, at most `max` bytes. */
function store(value: unknown, max: number): number {
  const record = storeValue(value, "SharedValue");
  const size = storedSize(record);
  if (size > max) {
    dropValue(record);
    throw new RangeError(
      `Value too large for this SharedValue: ${size} bytes encoded, at most ${max}`,
    );
  }
  return record;
}
