/**
 * {@linkcode SharedValue}: one structured-cloneable value in shared memory,
 * read and updated atomically from every thread.
 *
 * @module
 */
import { deserialize, serialize } from "node:v8";
import { ThreadError } from "./errors.ts";
import { checkInteger, checkOptions, describeValue } from "./_validate.ts";
import {
  VALUE_HEADER_BYTES,
  VALUE_LENGTH,
  VALUE_LOCK,
  VALUE_OWNER,
} from "./_layout.ts";
import { registerShareable } from "./_marshal.ts";
import { lockWord, unlockWord } from "./_mutex.ts";
import { _ownIdent } from "./lock.ts";

/** Options of {@linkcode SharedValue}. */
export interface SharedValueOptions {
  /** Capacity in bytes of the serialized value (default 64 KiB). */
  maxBytes?: number;
}

const DEFAULT_BYTES = 64 * 1024;
const MAX_BYTES = 0x7fffffff - VALUE_HEADER_BYTES;

let adopting: SharedArrayBuffer | undefined;

/**
 * A structured-cloneable value (numbers, strings, arrays, plain objects,
 * Maps, Dates...) in shared memory. `get()` returns a copy; `set()` and
 * `update()` replace it atomically, so no update is lost between threads.
 * A value whose serialized form exceeds the capacity is a RangeError and
 * leaves the value as it was.
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
  #w: Int32Array;
  #bytes: Uint8Array;

  /**
   * Creates a shared value.
   *
   * @param initial The first value.
   * @param options The capacity.
   * @throws {TypeError} If `initial` cannot be cloned, or options have
   * wrong types.
   * @throws {RangeError} If `initial` exceeds the capacity, or `maxBytes` is
   * not a positive integer.
   */
  constructor(initial: T, options?: SharedValueOptions) {
    let sab = adopting;
    adopting = undefined;
    if (sab === undefined) {
      const maxBytes = checkInteger(
        checkOptions(options)?.maxBytes ?? DEFAULT_BYTES,
        "maxBytes",
        1,
        MAX_BYTES,
      );
      const data = toBytes(initial, maxBytes);
      sab = new SharedArrayBuffer(VALUE_HEADER_BYTES + maxBytes);
      this.#w = new Int32Array(sab, 0, VALUE_HEADER_BYTES / 4);
      this.#bytes = new Uint8Array(sab, VALUE_HEADER_BYTES);
      this.#write(data);
      return;
    }
    this.#w = new Int32Array(sab, 0, VALUE_HEADER_BYTES / 4);
    this.#bytes = new Uint8Array(sab, VALUE_HEADER_BYTES);
  }

  static {
    registerShareable(
      "SharedValue",
      SharedValue,
      (v) => v.#w.buffer,
      (state) => {
        adopting = state as SharedArrayBuffer;
        return new SharedValue<never>(undefined as never);
      },
    );
  }

  /** The capacity, in bytes. */
  get maxBytes(): number {
    return this.#bytes.length;
  }

  #lock(): void {
    const w = this.#w;
    if (Atomics.load(w, VALUE_OWNER) === _ownIdent()) {
      throw new ThreadError(
        "SharedValue is already locked by this thread (a get, set or update inside update()?)",
      );
    }
    lockWord(w, VALUE_LOCK, Infinity);
    Atomics.store(w, VALUE_OWNER, _ownIdent());
  }

  #unlock(): void {
    Atomics.store(this.#w, VALUE_OWNER, 0);
    unlockWord(this.#w, VALUE_LOCK);
  }

  #read(): T {
    return deserialize(
      this.#bytes.slice(0, Atomics.load(this.#w, VALUE_LENGTH)),
    );
  }

  #write(data: Uint8Array): void {
    this.#bytes.set(data);
    Atomics.store(this.#w, VALUE_LENGTH, data.length);
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
    const data = toBytes(value, this.#bytes.length);
    this.#lock();
    this.#write(data);
    this.#unlock();
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
      this.#write(toBytes(next, this.#bytes.length));
      return next;
    } finally {
      this.#unlock();
    }
  }
}

function toBytes(value: unknown, capacity: number): Uint8Array {
  let data: Uint8Array;
  try {
    data = serialize(value);
  } catch (error) {
    throw new TypeError(
      `SharedValue cannot hold this value: ${(error as Error).message}`,
      {
        cause: error,
      },
    );
  }
  if (data.length > capacity) {
    throw new RangeError(
      `Value too large for this SharedValue: ${data.length} bytes, capacity ${capacity}`,
    );
  }
  return data;
}
