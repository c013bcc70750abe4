/**
 * {@linkcode SharedValue}: one structured-cloneable value in shared memory,
 * read and updated atomically from every thread.
 *
 * @module
 */
import { checkInteger, checkOptions, describeValue } from "./_validate.ts";
import {
  K_RAW,
  K_SHARED_VALUE,
  VALUE_CAPACITY,
  VALUE_DATA,
  VALUE_LENGTH,
  VALUE_MUTEX,
  VALUE_WORDS,
} from "./_layout.ts";
import { adoption, create, defineKind, track } from "./_handles.ts";
import { alloc, bytesAt, capacity, free, heap, wordsAt } from "./_heap.ts";
import { callerModules } from "./_locate.ts";
import { decode, discard, encode } from "./_codec.ts";
import { enter, leave } from "./_mutex.ts";

/** Options of {@linkcode SharedValue}. */
export interface SharedValueOptions {
  /** Most bytes the encoded value may take (default 64 KiB); it grows to that. */
  maxBytes?: number;
}

const DEFAULT_BYTES = 64 * 1024;
const MAX_BYTES = 2 ** 30;

/** The encoded value held by the SharedValue block `ref`. */
function valueBytes(ref: number): Uint8Array {
  const w = heap().i32;
  return bytesAt(w[ref + VALUE_DATA], w[ref + VALUE_LENGTH]);
}

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
      const maxBytes = checkInteger(
        checkOptions(options)?.maxBytes ?? DEFAULT_BYTES,
        "maxBytes",
        1,
        MAX_BYTES,
      );
      const bytes = toBytes(initial, maxBytes);
      ref = create(K_SHARED_VALUE, VALUE_WORDS * 4);
      const w = wordsAt(ref, VALUE_WORDS);
      w[VALUE_CAPACITY] = maxBytes;
      w[VALUE_DATA] = alloc(bytes.length, K_RAW);
      write(w, bytes);
    }
    this.#ref = ref;
    this.#w = wordsAt(ref, VALUE_WORDS);
    track(this, ref);
  }

  static {
    defineKind(K_SHARED_VALUE, SharedValue, (v) => v.#ref, {
      destroy: (ref) => {
        discard(valueBytes(ref));
        free(heap().i32[ref + VALUE_DATA]);
      },
    });
  }

  /** The most bytes the encoded value may take. */
  get maxBytes(): number {
    return this.#w[VALUE_CAPACITY];
  }

  #lock(): void {
    enter(this.#w, VALUE_MUTEX, "SharedValue");
  }

  #unlock(): void {
    leave(this.#w, VALUE_MUTEX);
  }

  #read(): T {
    return decode(valueBytes(this.#ref), [], false) as T;
  }

  /**
   * A copy of the current value.
   *
   * @returns The value.
   * @throws {ThreadError} If called inside this value's `update()`.
   */
  get(): T {
    this.#lock();
    try {
      return this.#read();
    } finally {
      this.#unlock();
    }
  }

  /**
   * Replaces the value.
   *
   * @param value The new value (copied).
   * @throws {TypeError} If it cannot be cloned (a function...).
   * @throws {RangeError} If it exceeds the capacity; the value is unchanged.
   */
  set(value: T): void {
    const data = toBytes(value, this.maxBytes);
    this.#lock();
    try {
      write(this.#w, data);
    } finally {
      this.#unlock();
    }
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
    this.#lock();
    try {
      const next = fn(this.#read());
      write(this.#w, toBytes(next, this.maxBytes));
      return next;
    } finally {
      this.#unlock();
    }
  }
}

/** Encodes a value for a SharedValue: a copy of the bytes, at most `max`. */
function toBytes(value: unknown, max: number): Uint8Array {
  const { bytes, sabs } = encode(value, "value", callerModules);
  if (sabs.length > 0) {
    discard(bytes);
    throw new TypeError(
      "A SharedValue cannot hold a SharedArrayBuffer or a view over one: " +
        "pass shared memory to threads directly",
    );
  }
  if (bytes.length > max) {
    discard(bytes);
    throw new RangeError(
      `Value too large for this SharedValue: ${bytes.length} bytes encoded, at most ${max}`,
    );
  }
  return bytes.slice();
}

/**
 * Replaces the value held by `w` (its lock held, or not shared yet); the old
 * value's references are dropped. The storage grows when needed.
 */
function write(w: Int32Array, bytes: Uint8Array): void {
  const ref = w.byteOffset >> 2;
  const old = valueBytes(ref).slice();
  let data = w[VALUE_DATA];
  if (capacity(data) < bytes.length) {
    const bigger = alloc(bytes.length, K_RAW);
    free(data);
    data = bigger;
    w[VALUE_DATA] = data;
  }
  bytesAt(data, bytes.length).set(bytes);
  Atomics.store(w, VALUE_LENGTH, bytes.length);
  if (old.length > 0) discard(old);
}
