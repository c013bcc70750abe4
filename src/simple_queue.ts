/**
 * {@linkcode SimpleQueue}: Python's `queue.SimpleQueue`, an unbounded FIFO
 * over a {@linkcode Queue}.
 *
 * @module
 */
import type { AcquireOptions, AsyncAcquireOptions } from "./_core/validate.ts";
import {
  K_QUEUE,
  K_SIMPLE_QUEUE,
  SIMPLE_QUEUE,
  SIMPLE_WORDS,
} from "./_core/layout.ts";
import {
  adopt,
  adoption,
  create,
  defineKind,
  kindClass,
  release,
  retain,
  shareOf,
  track,
} from "./_core/handles.ts";
import { heap } from "./_core/heap.ts";
// Only types from queue.ts, which re-exports this module: the class comes
// from the kinds (declared by queue.ts, loaded whenever this is).
import type { Queue, QueueOptions } from "./queue.ts";

/**
 * An unbounded FIFO queue without task tracking: Python's `queue.SimpleQueue`.
 * A `put()` never blocks: the storage grows.
 *
 * @typeParam T The items' type.
 *
 * @example
 * ```ts
 * import { SimpleQueue } from "@weft/threading";
 * import assert from "node:assert/strict";
 *
 * const q = new SimpleQueue<string>();
 * q.put("a");
 * assert.equal(q.qsize(), 1);
 * assert.equal(q.get(), "a");
 * assert.equal(q.empty(), true);
 * ```
 */
export class SimpleQueue<T = unknown> {
  #ref: number;
  #queue: Queue<T>;

  /**
   * Creates a queue.
   *
   * @param options A bound on the bytes of its items.
   * @throws {TypeError} Wrong types.
   * @throws {RangeError} A bad `maxBytes`.
   */
  constructor(options?: QueueOptions) {
    let ref = adoption(K_SIMPLE_QUEUE);
    if (ref !== 0) {
      this.#queue = adopt(K_QUEUE, heap().i32[ref + SIMPLE_QUEUE]) as Queue<T>;
    } else {
      const QueueClass = kindClass(K_QUEUE) as typeof Queue;
      this.#queue = new QueueClass<T>(0, options);
      ref = create(K_SIMPLE_QUEUE, SIMPLE_WORDS * 4);
      const inner = shareOf(this.#queue)!.ref;
      retain(inner);
      heap().i32[ref + SIMPLE_QUEUE] = inner;
    }
    this.#ref = ref;
    track(this, ref);
  }

  static {
    defineKind(K_SIMPLE_QUEUE, SimpleQueue, (q) => q.#ref, {
      destroy: (ref) => release(heap().i32[ref + SIMPLE_QUEUE]),
    });
  }

  /**
   * Puts an item; never waits (without `maxBytes`).
   *
   * @param item The item.
   * @param options A timeout for room under `maxBytes`.
   */
  put(item: T, options?: AcquireOptions): void {
    this.#queue.put(item, options);
  }

  /**
   * Puts an item without blocking the event loop.
   *
   * @param item The item.
   * @param options A timeout and an AbortSignal.
   */
  putAsync(item: T, options?: AsyncAcquireOptions): Promise<void> {
    return this.#queue.putAsync(item, options);
  }

  /**
   * Puts an item if it fits now.
   *
   * @param item The item.
   */
  putNowait(item: T): void {
    this.#queue.putNowait(item);
  }

  /**
   * Takes the next item, waiting while empty.
   *
   * @param options `blocking: false` or a `timeout` (ms).
   * @returns The item.
   * @throws {QueueEmpty} No item in time.
   */
  get(options?: AcquireOptions): T {
    return this.#queue.get(options);
  }

  /**
   * Takes the next item without blocking the event loop.
   *
   * @param options A timeout and an AbortSignal.
   * @returns The item.
   */
  getAsync(options?: AsyncAcquireOptions): Promise<T> {
    return this.#queue.getAsync(options);
  }

  /**
   * Takes an item if there is one now.
   *
   * @returns The item.
   * @throws {QueueEmpty} The queue is empty.
   */
  getNowait(): T {
    return this.#queue.getNowait();
  }

  /**
   * How many items are queued.
   *
   * @returns The number of items.
   */
  qsize(): number {
    return this.#queue.qsize();
  }

  /**
   * Whether the queue is empty.
   *
   * @returns `true` when empty.
   */
  empty(): boolean {
    return this.#queue.empty();
  }
}
