// Lock, RLock, Semaphore, BoundedSemaphore and Event on Redis: the local
// classes' methods, each a request to the connection's I/O thread (see
// src/_redis/io_locks.ts for what it does in Redis).
import type { RedisConnection } from "./connection.ts";
import {
  type AcquireOptions,
  acquireTimeout,
  type AsyncAcquireOptions,
  checkInteger,
  checkOptions,
  lenientTimeout,
  liveSignal,
} from "../_core/validate.ts";
import {
  type HoldAsyncOptions,
  holdLock,
  holdLockAsync,
} from "../_core/hold.ts";
import { getIdent } from "../thread.ts";
import {
  checkMs,
  optionsObject,
  RedisObject,
  send,
  sendAsync,
} from "./base.ts";

/** Options of a Redis lock or semaphore. */
export interface LeaseOptions {
  /**
   * How long a unit stays held without renewal, in ms. The holder's process
   * renews it every third of that while it lives; a holder that dies frees
   * it at most `lease` ms later.
   *
   * @default {30_000}
   */
  lease?: number;
}

const DEFAULT_LEASE = 30_000;

function leaseOf(options: LeaseOptions): number {
  return options.lease === undefined
    ? DEFAULT_LEASE
    : checkMs(options.lease, "lease");
}

/**
 * What {@linkcode RedisLock} and {@linkcode RedisRLock} share: one
 * implementation, re-entrant or not.
 */
export abstract class RedisLockBase extends RedisObject {
  readonly #lease: number;
  readonly #reentrant: boolean;
  #held: Disposable | undefined;

  /**
   * Names a lock.
   *
   * @param owner The connection.
   * @param kind "lock" or "rlock".
   * @param name Its name.
   * @param options Its lease.
   * @param reentrant Whether its thread may take it again.
   */
  constructor(
    owner: RedisConnection,
    kind: string,
    name: string,
    options: LeaseOptions | undefined,
    reentrant: boolean,
  ) {
    const opts = optionsObject(options);
    const lease = leaseOf(opts);
    super(owner, kind, name, { lease });
    this.#lease = lease;
    this.#reentrant = reentrant;
  }

  #fields(blocking: boolean): Record<string, unknown> {
    return {
      lease: this.#lease,
      reentrant: this.#reentrant,
      ident: this.#reentrant ? getIdent() : 0,
      blocking,
    };
  }

  /**
   * Acquires the lock, blocking the calling thread (only) until it is free.
   *
   * @param options `blocking: false` tries once; `timeout` (ms) bounds the
   * wait.
   * @returns Whether the lock was acquired.
   * @throws {TypeError} `blocking: false` with a timeout, or wrong types.
   * @throws {RangeError} A negative timeout or one above `TIMEOUT_MAX`.
   * @throws {ConnectionError} Redis could not be reached in time.
   */
  acquire(options?: AcquireOptions): boolean {
    const timeout = acquireTimeout(options);
    return send(
      this,
      "lock.acquire",
      this.#fields(timeout !== 0),
      timeout,
    ) !== false;
  }

  /**
   * Acquires the lock without blocking the event loop.
   *
   * @param options As {@linkcode acquire}, plus an AbortSignal (aborting
   * rejects with its reason; the lock is then not taken).
   * @returns Whether the lock was acquired.
   */
  async acquireAsync(options?: AsyncAcquireOptions): Promise<boolean> {
    const timeout = acquireTimeout(options);
    const signal = liveSignal(options?.signal);
    return await sendAsync(
      this,
      "lock.acquire",
      this.#fields(timeout !== 0),
      timeout,
      signal,
    ) !== false;
  }

  /**
   * Acquires the lock if it is free, without waiting.
   *
   * @returns Whether the lock was acquired.
   */
  tryAcquire(): boolean {
    return this.acquire({ blocking: false });
  }

  /**
   * Releases the lock.
   *
   * @throws {ThreadError} Not held by this process (RLock: by this thread),
   * or its lease was lost (then nothing changes).
   */
  release(): void {
    send(this, "lock.release", this.#fields(false));
  }

  /**
   * {@linkcode release} without blocking the event loop.
   *
   * @returns When released.
   */
  async releaseAsync(): Promise<void> {
    await sendAsync(this, "lock.release", this.#fields(false));
  }

  /**
   * Whether any process holds the lock.
   *
   * @returns `true` when locked.
   */
  locked(): boolean {
    return send(this, "lock.locked") as boolean;
  }

  /**
   * {@linkcode locked} without blocking the event loop.
   *
   * @returns `true` when locked.
   */
  async lockedAsync(): Promise<boolean> {
    return await sendAsync(this, "lock.locked") as boolean;
  }

  /**
   * The fencing token of this process's current hold (for an RLock: this
   * thread's), `undefined` when it does not hold the lock. Tokens strictly
   * increase with each acquisition by anyone: pass it to the storage the
   * lock protects, which refuses writes with a token older than one it has
   * seen (a holder paused past its lease holds a stale token).
   */
  get fence(): bigint | undefined {
    return send(this, "lock.fence", this.#fields(false)) as
      | bigint
      | undefined;
  }

  /**
   * Python's `with lock:`: `lock.hold(() => ...)` runs the callback with
   * the lock held; `using _ = lock.hold();` holds it to the end of the
   * block.
   *
   * @returns The releasing Disposable.
   */
  hold(): Disposable;
  /**
   * Runs `fn` with the lock held, and releases it.
   *
   * @typeParam R What `fn` returns.
   * @param fn What to run.
   * @returns What `fn` returns.
   */
  hold<R>(fn: () => R): R;
  hold<R>(fn?: () => R): R | Disposable {
    return holdLock(
      this,
      this.#held ??= { [Symbol.dispose]: () => this.release() },
      fn,
    );
  }

  /**
   * The asynchronous twin of {@linkcode hold}.
   *
   * @param options An AbortSignal for the wait.
   * @returns The releasing Disposable.
   */
  holdAsync(options?: HoldAsyncOptions): Promise<Disposable>;
  /**
   * Runs `fn` (which may be async) with the lock held, and releases it.
   *
   * @typeParam R What `fn` returns.
   * @param fn What to run.
   * @param options An AbortSignal for the wait.
   * @returns The promise of what `fn` returns.
   */
  holdAsync<R>(fn: () => R, options?: HoldAsyncOptions): Promise<Awaited<R>>;
  holdAsync<R>(
    fnOrOptions?: (() => R) | HoldAsyncOptions,
    options?: HoldAsyncOptions,
  ): Promise<Awaited<R> | Disposable> {
    return holdLockAsync(
      this,
      this.#held ??= { [Symbol.dispose]: () => this.release() },
      fnOrOptions,
      options,
    );
  }
}

/**
 * Python's `threading.Lock` across processes: held by the process that
 * acquired it (any of its threads may release it), as a lease renewed
 * while that process lives. Each acquisition gets a strictly larger
 * fencing token ({@linkcode RedisLock.fence}).
 *
 * @example
 * ```ts ignore
 * import { connect } from "@weft/threading/redis";
 *
 * await using redis = await connect("redis://127.0.0.1:6379");
 * const lock = new redis.Lock("reports", { lease: 30_000 });
 * lock.hold(() => console.log("held, token", lock.fence));
 * ```
 */
export class RedisLock extends RedisLockBase {
  /**
   * Names a lock (nothing is written until it is acquired).
   *
   * @param owner The connection.
   * @param name Its name.
   * @param options The lease (default 30 s).
   */
  constructor(owner: RedisConnection, name: string, options?: LeaseOptions) {
    super(owner, "lock", name, options, false);
  }
}

/**
 * Python's `threading.RLock` across processes: held by one thread of one
 * process, which may acquire it again and must release it as many times.
 *
 * @example
 * ```ts ignore
 * import { connect } from "@weft/threading/redis";
 *
 * await using redis = await connect("redis://127.0.0.1:6379");
 * const lock = new redis.RLock("tree");
 * lock.hold(() => lock.hold(() => console.log("twice")));
 * ```
 */
export class RedisRLock extends RedisLockBase {
  /**
   * Names a re-entrant lock.
   *
   * @param owner The connection.
   * @param name Its name.
   * @param options The lease (default 30 s).
   */
  constructor(owner: RedisConnection, name: string, options?: LeaseOptions) {
    super(owner, "rlock", name, options, true);
  }
}

/**
 * Python's `threading.Semaphore` across processes: `value` units, each a
 * lease held by the process that acquired it (any of its threads may
 * release it) and renewed while that process lives. Releasing a unit this
 * process does not hold is a ThreadError (Python would add a unit: here
 * units are leases).
 *
 * @example
 * ```ts ignore
 * import { connect } from "@weft/threading/redis";
 *
 * await using redis = await connect("redis://127.0.0.1:6379");
 * const api = new redis.Semaphore("api", 4);
 * api.hold(() => console.log(api.value, "units left"));
 * ```
 */
export class RedisSemaphore extends RedisObject {
  readonly #lease: number;
  readonly #value: number;
  #held: Disposable | undefined;

  /**
   * Names a semaphore. Its number of units is written by the first
   * process that uses the name; later ones use what is there.
   *
   * @param owner The connection.
   * @param name Its name.
   * @param value Its units (default 1).
   * @param options The lease of each unit (default 30 s).
   * @throws {RangeError} A negative value.
   */
  constructor(
    owner: RedisConnection,
    name: string,
    value = 1,
    options?: LeaseOptions,
  ) {
    checkInteger(value, "value", 0, Number.MAX_SAFE_INTEGER);
    const opts = optionsObject(options);
    const lease = leaseOf(opts);
    const bounded = new.target === RedisBoundedSemaphore ||
      new.target.prototype instanceof RedisBoundedSemaphore;
    // Bounded or not, one kind in Redis; `bounded` travels with it.
    super(owner, "semaphore", name, { value, lease, bounded });
    this.#value = value;
    this.#lease = lease;
  }

  #fields(blocking: boolean): Record<string, unknown> {
    return { lease: this.#lease, value: this.#value, blocking };
  }

  /**
   * Takes a unit, blocking the calling thread until one is free.
   *
   * @param options `blocking: false` tries once; `timeout` bounds the
   * wait (a negative one counts as 0).
   * @returns Whether a unit was taken.
   */
  acquire(options?: AcquireOptions): boolean {
    const timeout = acquireTimeout(options, true);
    return send(
      this,
      "sem.acquire",
      this.#fields(timeout !== 0),
      timeout,
    ) !== false;
  }

  /**
   * {@linkcode acquire} without blocking the event loop.
   *
   * @param options As acquire's, plus an AbortSignal.
   * @returns Whether a unit was taken.
   */
  async acquireAsync(options?: AsyncAcquireOptions): Promise<boolean> {
    const timeout = acquireTimeout(options, true);
    const signal = liveSignal(options?.signal);
    return await sendAsync(
      this,
      "sem.acquire",
      this.#fields(timeout !== 0),
      timeout,
      signal,
    ) !== false;
  }

  /**
   * Takes a unit if one is free, without waiting.
   *
   * @returns Whether a unit was taken.
   */
  tryAcquire(): boolean {
    return this.acquire({ blocking: false });
  }

  /**
   * Gives back `n` units this process holds.
   *
   * @param n How many (default 1).
   * @throws {ThreadError} This process holds fewer (nothing changes), or
   * their leases were lost.
   */
  release(n = 1): void {
    checkInteger(n, "n", 1, Number.MAX_SAFE_INTEGER);
    send(this, "sem.release", { n, lease: this.#lease });
  }

  /**
   * {@linkcode release} without blocking the event loop.
   *
   * @param n How many (default 1).
   * @returns When released.
   */
  async releaseAsync(n = 1): Promise<void> {
    checkInteger(n, "n", 1, Number.MAX_SAFE_INTEGER);
    await sendAsync(this, "sem.release", { n, lease: this.#lease });
  }

  /** The number of free units, read from Redis. */
  get value(): number {
    return send(this, "sem.value", this.#fields(false)) as number;
  }

  /**
   * {@linkcode value} without blocking the event loop.
   *
   * @returns The number of free units.
   */
  async valueAsync(): Promise<number> {
    return await sendAsync(this, "sem.value", this.#fields(false)) as number;
  }

  /**
   * Python's `with sem:` (see {@linkcode RedisLock.hold}).
   *
   * @returns The releasing Disposable.
   */
  hold(): Disposable;
  /**
   * Runs `fn` holding a unit, and releases it.
   *
   * @typeParam R What `fn` returns.
   * @param fn What to run.
   * @returns What `fn` returns.
   */
  hold<R>(fn: () => R): R;
  hold<R>(fn?: () => R): R | Disposable {
    return holdLock(
      this,
      this.#held ??= { [Symbol.dispose]: () => this.release() },
      fn,
    );
  }

  /**
   * The asynchronous twin of {@linkcode hold}.
   *
   * @param options An AbortSignal for the wait.
   * @returns The releasing Disposable.
   */
  holdAsync(options?: HoldAsyncOptions): Promise<Disposable>;
  /**
   * Runs `fn` (which may be async) holding a unit, and releases it.
   *
   * @typeParam R What `fn` returns.
   * @param fn What to run.
   * @param options An AbortSignal for the wait.
   * @returns The promise of what `fn` returns.
   */
  holdAsync<R>(fn: () => R, options?: HoldAsyncOptions): Promise<Awaited<R>>;
  holdAsync<R>(
    fnOrOptions?: (() => R) | HoldAsyncOptions,
    options?: HoldAsyncOptions,
  ): Promise<Awaited<R> | Disposable> {
    return holdLockAsync(
      this,
      this.#held ??= { [Symbol.dispose]: () => this.release() },
      fnOrOptions,
      options,
    );
  }
}

/**
 * Python's `threading.BoundedSemaphore` across processes. Units are
 * leases, so no process can release more than it acquired: this is
 * {@linkcode RedisSemaphore}, named as Python programs name it.
 *
 * @example
 * ```ts ignore
 * import { connect } from "@weft/threading/redis";
 *
 * await using redis = await connect("redis://127.0.0.1:6379");
 * const pool = new redis.BoundedSemaphore("connections", 10);
 * ```
 */
export class RedisBoundedSemaphore extends RedisSemaphore {}

/**
 * Python's `threading.Event` across processes: a flag in Redis; `set()`
 * wakes every waiting thread of every process, even when `clear()`
 * follows at once.
 *
 * @example
 * ```ts ignore
 * import { connect } from "@weft/threading/redis";
 *
 * await using redis = await connect("redis://127.0.0.1:6379");
 * const ready = new redis.Event("ready");
 * ready.set();
 * console.log(ready.wait(1_000));
 * ```
 */
export class RedisEvent extends RedisObject {
  /**
   * Names an event (unset until someone sets it).
   *
   * @param owner The connection.
   * @param name Its name.
   */
  constructor(owner: RedisConnection, name: string) {
    super(owner, "event", name, {});
  }

  /**
   * Whether the flag is set.
   *
   * @returns The flag.
   */
  isSet(): boolean {
    return send(this, "event.isSet") as boolean;
  }

  /**
   * {@linkcode isSet} without blocking the event loop.
   *
   * @returns The flag.
   */
  async isSetAsync(): Promise<boolean> {
    return await sendAsync(this, "event.isSet") as boolean;
  }

  /** Sets the flag and wakes every waiter, in every process. */
  set(): void {
    send(this, "event.set");
  }

  /**
   * {@linkcode set} without blocking the event loop.
   *
   * @returns When set.
   */
  async setAsync(): Promise<void> {
    await sendAsync(this, "event.set");
  }

  /** Clears the flag. */
  clear(): void {
    send(this, "event.clear");
  }

  /**
   * {@linkcode clear} without blocking the event loop.
   *
   * @returns When cleared.
   */
  async clearAsync(): Promise<void> {
    await sendAsync(this, "event.clear");
  }

  /**
   * Blocks the calling thread until the flag is set or `timeout` passes.
   *
   * @param timeout Milliseconds at most (default: forever; negative: 0).
   * @returns `true` if it was set (even if cleared since), `false` on
   * timeout.
   */
  wait(timeout?: number): boolean {
    const t = lenientTimeout(timeout);
    return send(this, "event.wait", {}, t) as boolean;
  }

  /**
   * {@linkcode wait} without blocking the event loop.
   *
   * @param timeout Milliseconds at most (default: forever).
   * @param options An AbortSignal: aborting rejects with its reason.
   * @returns `true` if it was set, `false` on timeout.
   */
  async waitAsync(
    timeout?: number,
    options?: { signal?: AbortSignal },
  ): Promise<boolean> {
    const t = lenientTimeout(timeout);
    const signal = liveSignal(checkOptions(options)?.signal);
    return await sendAsync(this, "event.wait", {}, t, signal) as boolean;
  }
}
