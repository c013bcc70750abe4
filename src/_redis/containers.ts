// SharedValue and SharedList on Redis (SharedMap: src/_redis/shared_map.ts):
// the local classes' methods, each one command or script; values encoded
// and decoded in the caller's thread.
import type { RedisConnection } from "./connection.ts";
import { checkInteger, describeValue } from "../_core/validate.ts";
import { ownerOfObject, RedisObject } from "./base.ts";
import { fromRedis, toRedis } from "./codec.ts";
import {
  casArgs,
  command,
  commandAsync,
  initWith,
  script,
  scriptAsync,
} from "./container_base.ts";
import { baseKey } from "./base.ts";

export { RedisSharedMap } from "./shared_map.ts";

function checkFn(fn: unknown): void {
  if (typeof fn !== "function") {
    throw new TypeError(
      `Cannot update: fn must be a function, received ${describeValue(fn)}`,
    );
  }
}

function read(object: RedisObject, bytes: unknown): unknown {
  return bytes === null ? undefined : fromRedis(
    bytes as Uint8Array,
    `${object.name}`,
    ownerOfObject(object),
  );
}

/**
 * Python's shared value across processes (the local SharedValue): one
 * value in Redis, read and written whole; `update()` is an atomic
 * read-modify-write.
 *
 * @typeParam T The value's type.
 *
 * @example
 * ```ts ignore
 * import { connect } from "@weft/threading/redis";
 *
 * await using redis = await connect("redis://127.0.0.1:6379");
 * const hits = new redis.SharedValue("hits", 0);
 * hits.update((n) => n + 1);
 * console.log(hits.get());
 * ```
 */
export class RedisSharedValue<T> extends RedisObject {
  /**
   * Names a value; `initial` is written only if the name is new.
   *
   * @param owner The connection.
   * @param name Its name.
   * @param initial Its first value.
   */
  constructor(owner: RedisConnection, name: string, initial?: T) {
    super(owner, "value", name, {});
    initWith(
      this,
      "v",
      initial === undefined ? [] : [toRedis(initial, "initial")],
    );
  }

  /**
   * The value (a copy), `undefined` while none was set.
   *
   * @returns The value.
   * @throws {TypeError} A value this process cannot read.
   */
  get(): T {
    return read(this, command(this, ["GET", baseKey(this)])) as T;
  }

  /**
   * {@linkcode get} without blocking the event loop.
   *
   * @returns The value.
   */
  async getAsync(): Promise<T> {
    return read(this, await commandAsync(this, ["GET", baseKey(this)])) as T;
  }

  /**
   * Replaces the value.
   *
   * @param value The new value.
   */
  set(value: T): void {
    command(this, ["SET", baseKey(this), toRedis(value, "value")]);
  }

  /**
   * {@linkcode set} without blocking the event loop.
   *
   * @param value The new value.
   * @returns When set.
   */
  async setAsync(value: T): Promise<void> {
    await commandAsync(this, ["SET", baseKey(this), toRedis(value, "value")]);
  }

  /**
   * Replaces the value with `fn(value)`, atomically across processes: if
   * another write came between, `fn` runs again on the newer value. If
   * `fn` throws, nothing changes.
   *
   * @param fn The update (it may run more than once).
   * @returns The new value.
   */
  update(fn: (value: T) => T): T {
    checkFn(fn);
    for (;;) {
      const old = command(this, ["GET", baseKey(this)]) as Uint8Array | null;
      const next = fn(read(this, old) as T);
      const bytes = toRedis(next, "value");
      if (script(this, "cas", casArgs("v", bytes, old)) === 1) return next;
    }
  }

  /**
   * {@linkcode update} without blocking the event loop (`fn` may be
   * async).
   *
   * @param fn The update.
   * @returns The new value.
   */
  async updateAsync(fn: (value: T) => T | Promise<T>): Promise<T> {
    checkFn(fn);
    for (;;) {
      const old = await commandAsync(this, ["GET", baseKey(this)]) as
        | Uint8Array
        | null;
      const next = await fn(read(this, old) as T);
      const bytes = toRedis(next, "value");
      if (await scriptAsync(this, "cas", casArgs("v", bytes, old)) === 1) {
        return next;
      }
    }
  }
}

function checkIndex(index: unknown): number {
  return checkInteger(
    index,
    "index",
    -Number.MAX_SAFE_INTEGER,
    Number.MAX_SAFE_INTEGER,
  );
}

function outside(index: number): RangeError {
  return new RangeError(`list index ${index} out of range`);
}

/**
 * A list across processes (the local SharedList): each method one atomic
 * command or script; `update()` an atomic read-modify-write of one item.
 *
 * @typeParam T The items' type.
 *
 * @example
 * ```ts ignore
 * import { connect } from "@weft/threading/redis";
 *
 * await using redis = await connect("redis://127.0.0.1:6379");
 * const log = new redis.SharedList<string>("log");
 * log.push("started");
 * console.log(log.toArray());
 * ```
 */
export class RedisSharedList<T> extends RedisObject implements Iterable<T> {
  /**
   * Names a list; `items` are written only if the name is new.
   *
   * @param owner The connection.
   * @param name Its name.
   * @param items Its first items.
   */
  constructor(owner: RedisConnection, name: string, items?: Iterable<T>) {
    super(owner, "list", name, {});
    if (items !== undefined && typeof items?.[Symbol.iterator] !== "function") {
      throw new TypeError(
        `Cannot make a SharedList: items must be iterable, received ${
          describeValue(items)
        }`,
      );
    }
    initWith(
      this,
      "l",
      items === undefined
        ? []
        : [...items].map((v, i) => toRedis(v, `items[${i}]`)),
    );
  }

  #items(values: T[]): Uint8Array[] {
    return values.map((v, i) => toRedis(v, `items[${i}]`));
  }

  /** The number of items. */
  get length(): number {
    return command(this, ["LLEN", baseKey(this)]) as number;
  }

  /**
   * The number of items, without blocking the event loop.
   *
   * @returns The length.
   */
  async lengthAsync(): Promise<number> {
    return await commandAsync(this, ["LLEN", baseKey(this)]) as number;
  }

  /**
   * The item at `index` (negative: from the end), or undefined.
   *
   * @param index Where.
   * @returns A copy of the item.
   */
  at(index: number): T | undefined {
    const i = checkIndex(index);
    return read(this, command(this, ["LINDEX", baseKey(this), String(i)])) as
      | T
      | undefined;
  }

  /**
   * {@linkcode at} without blocking the event loop.
   *
   * @param index Where.
   * @returns A copy of the item.
   */
  async atAsync(index: number): Promise<T | undefined> {
    const i = checkIndex(index);
    return read(
      this,
      await commandAsync(this, ["LINDEX", baseKey(this), String(i)]),
    ) as T | undefined;
  }

  /**
   * Replaces the item at `index`.
   *
   * @param index Where (negative: from the end).
   * @param value The item.
   * @throws {RangeError} Outside the list.
   */
  set(index: number, value: T): void {
    const i = checkIndex(index);
    const bytes = toRedis(value, "value");
    if (script(this, "cas", ["l", bytes, "2", "", String(i)]) === -1) {
      throw outside(i);
    }
  }

  /**
   * Appends items.
   *
   * @param items The items.
   * @returns The new length.
   */
  push(...items: T[]): number {
    if (items.length === 0) return this.length;
    return command(this, [
      "RPUSH",
      baseKey(this),
      ...this.#items(items),
    ]) as number;
  }

  /**
   * {@linkcode push} without blocking the event loop.
   *
   * @param items The items.
   * @returns The new length.
   */
  async pushAsync(...items: T[]): Promise<number> {
    if (items.length === 0) return await this.lengthAsync();
    return await commandAsync(this, [
      "RPUSH",
      baseKey(this),
      ...this.#items(items),
    ]) as number;
  }

  /**
   * Removes the last item.
   *
   * @returns It, or undefined when the list is empty.
   */
  pop(): T | undefined {
    return read(this, command(this, ["RPOP", baseKey(this)])) as T | undefined;
  }

  /**
   * {@linkcode pop} without blocking the event loop.
   *
   * @returns It, or undefined.
   */
  async popAsync(): Promise<T | undefined> {
    return read(this, await commandAsync(this, ["RPOP", baseKey(this)])) as
      | T
      | undefined;
  }

  /**
   * Puts items first, in their order.
   *
   * @param items The items.
   * @returns The new length.
   */
  unshift(...items: T[]): number {
    if (items.length === 0) return this.length;
    return command(this, [
      "LPUSH",
      baseKey(this),
      ...this.#items(items).reverse(),
    ]) as number;
  }

  /**
   * Removes the first item.
   *
   * @returns It, or undefined when the list is empty.
   */
  shift(): T | undefined {
    return read(this, command(this, ["LPOP", baseKey(this)])) as T | undefined;
  }

  /**
   * {@linkcode shift} without blocking the event loop.
   *
   * @returns It, or undefined.
   */
  async shiftAsync(): Promise<T | undefined> {
    return read(this, await commandAsync(this, ["LPOP", baseKey(this)])) as
      | T
      | undefined;
  }

  /**
   * Inserts an item before `index`, as Python's list.insert.
   *
   * @param index Where (past either end: that end).
   * @param value The item.
   */
  insert(index: number, value: T): void {
    const i = checkIndex(index);
    script(this, "insert", [String(i), toRedis(value, "value")]);
  }

  /**
   * Removes the item at `index`.
   *
   * @param index Where (negative: from the end).
   * @returns The item.
   * @throws {RangeError} Outside the list.
   */
  removeAt(index: number): T {
    const i = checkIndex(index);
    const r = script(this, "remove", [String(i), crypto.randomUUID()]) as [
      number,
      Uint8Array?,
    ];
    if (r[0] !== 1) throw outside(i);
    return read(this, r[1]) as T;
  }

  /**
   * Replaces the item at `index` with `fn(item)`, atomically across
   * processes (`fn` runs again if the item changed meanwhile).
   *
   * @param index Where.
   * @param fn The update.
   * @returns The new item.
   * @throws {RangeError} Outside the list.
   */
  update(index: number, fn: (value: T) => T): T {
    const i = checkIndex(index);
    checkFn(fn);
    for (;;) {
      const old = command(this, ["LINDEX", baseKey(this), String(i)]) as
        | Uint8Array
        | null;
      if (old === null) throw outside(i);
      const next = fn(read(this, old) as T);
      const r = script(
        this,
        "cas",
        casArgs("l", toRedis(next, "value"), old, String(i)),
      );
      if (r === -1) throw outside(i);
      if (r === 1) return next;
    }
  }

  /** Removes every item. */
  clear(): void {
    command(this, ["DEL", baseKey(this)]);
  }

  /**
   * A copy of the items.
   *
   * @returns The items, in order.
   */
  toArray(): T[] {
    const all = command(this, [
      "LRANGE",
      baseKey(this),
      "0",
      "-1",
    ]) as Uint8Array[];
    return all.map((b) => read(this, b) as T);
  }

  /**
   * {@linkcode toArray} without blocking the event loop.
   *
   * @returns The items, in order.
   */
  async toArrayAsync(): Promise<T[]> {
    const all = await commandAsync(this, [
      "LRANGE",
      baseKey(this),
      "0",
      "-1",
    ]) as Uint8Array[];
    return all.map((b) => read(this, b) as T);
  }

  /**
   * Iterates over a snapshot.
   *
   * @returns An iterator of the items.
   */
  [Symbol.iterator](): Iterator<T> {
    return this.toArray()[Symbol.iterator]();
  }
}
