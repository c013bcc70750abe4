// SharedMap on Redis: a hash whose fields are the keys' canonical bytes
// (src/_key_codec.ts: keys equal by value have equal bytes) and whose values
// are encoded values.
import { decodeKey, encodeKey, type SharedKey } from "../_codec/key_codec.ts";
import { describeValue } from "../_core/validate.ts";
import type { RedisConnection } from "./connection.ts";
import { baseKey, ownerOfObject, RedisObject } from "./base.ts";
import { fromRedis, toRedis } from "./codec.ts";
import {
  casArgs,
  command,
  commandAsync,
  initWith,
  script,
  scriptAsync,
} from "./container_base.ts";

const WHAT = "Redis SharedMap key";

function field(key: unknown): Uint8Array {
  return encodeKey(key, WHAT);
}

/** A field read back: checked to be a key's bytes, exactly. */
function keyOf(bytes: Uint8Array): SharedKey {
  let key: SharedKey;
  try {
    key = decodeKey(bytes, 0);
  } catch (error) {
    throw notAKey(bytes, error);
  }
  const again = encodeKey(key, WHAT);
  if (again.length !== bytes.length || again.some((b, i) => b !== bytes[i])) {
    throw notAKey(bytes, undefined);
  }
  return key;
}

function notAKey(bytes: Uint8Array, cause: unknown): TypeError {
  return new TypeError(
    `Cannot read a key of a Redis SharedMap: the field in Redis was not ` +
      `written by @weft/threading (${bytes.length} bytes)`,
    { cause },
  );
}

function checkFn(fn: unknown): void {
  if (typeof fn !== "function") {
    throw new TypeError(
      `Cannot update: fn must be a function, received ${describeValue(fn)}`,
    );
  }
}

/**
 * A map across processes (the local SharedMap): keys compared by value
 * (strings, numbers, bigints, booleans, null and arrays of them), each
 * method one atomic command or script, `update()` an atomic
 * read-modify-write of one entry. Iteration is over a snapshot, in Redis's
 * order (not the order of insertion).
 *
 * @typeParam K The keys' type.
 * @typeParam V The values' type.
 *
 * @example
 * ```ts ignore
 * import { connect } from "@weft/threading/redis";
 *
 * await using redis = await connect("redis://127.0.0.1:6379");
 * const totals = new redis.SharedMap<string, number>("totals");
 * totals.update("apples", (n) => (n ?? 0) + 1);
 * console.log(totals.get("apples"));
 * ```
 */
export class RedisSharedMap<K extends SharedKey, V> extends RedisObject
  implements Iterable<[K, V]> {
  /**
   * Names a map; `entries` are written only if the name is new.
   *
   * @param owner The connection.
   * @param name Its name.
   * @param entries Its first entries.
   */
  constructor(
    owner: RedisConnection,
    name: string,
    entries?: Iterable<readonly [K, V]>,
  ) {
    super(owner, "map", name, {});
    if (
      entries !== undefined && typeof entries?.[Symbol.iterator] !== "function"
    ) {
      throw new TypeError(
        `Cannot make a SharedMap: entries must be iterable, received ${
          describeValue(entries)
        }`,
      );
    }
    const contents: Uint8Array[] = [];
    for (const [k, v] of entries ?? []) {
      contents.push(field(k), toRedis(v, "value"));
    }
    initWith(this, "m", contents);
  }

  #read(bytes: unknown): V | undefined {
    return bytes === null ? undefined : fromRedis(
      bytes as Uint8Array,
      `a value of map ${this.name}`,
      ownerOfObject(this),
    ) as V;
  }

  /** The number of entries. */
  get size(): number {
    return command(this, ["HLEN", baseKey(this)]) as number;
  }

  /**
   * The number of entries, without blocking the event loop.
   *
   * @returns The size.
   */
  async sizeAsync(): Promise<number> {
    return await commandAsync(this, ["HLEN", baseKey(this)]) as number;
  }

  /**
   * The value of `key` (a copy), or undefined.
   *
   * @param key The key.
   * @returns The value.
   * @throws {TypeError} A key of the wrong type.
   */
  get(key: K): V | undefined {
    return this.#read(command(this, ["HGET", baseKey(this), field(key)]));
  }

  /**
   * {@linkcode get} without blocking the event loop.
   *
   * @param key The key.
   * @returns The value.
   */
  async getAsync(key: K): Promise<V | undefined> {
    return this.#read(
      await commandAsync(this, ["HGET", baseKey(this), field(key)]),
    );
  }

  /**
   * Whether `key` has a value.
   *
   * @param key The key.
   * @returns Whether it is there.
   */
  has(key: K): boolean {
    return command(this, ["HEXISTS", baseKey(this), field(key)]) === 1;
  }

  /**
   * {@linkcode has} without blocking the event loop.
   *
   * @param key The key.
   * @returns Whether it is there.
   */
  async hasAsync(key: K): Promise<boolean> {
    return await commandAsync(this, ["HEXISTS", baseKey(this), field(key)]) ===
      1;
  }

  /**
   * Sets the value of `key`.
   *
   * @param key The key.
   * @param value The value.
   * @returns This map.
   */
  set(key: K, value: V): this {
    command(this, ["HSET", baseKey(this), field(key), toRedis(value, "value")]);
    return this;
  }

  /**
   * {@linkcode set} without blocking the event loop.
   *
   * @param key The key.
   * @param value The value.
   * @returns This map.
   */
  async setAsync(key: K, value: V): Promise<this> {
    await commandAsync(this, [
      "HSET",
      baseKey(this),
      field(key),
      toRedis(value, "value"),
    ]);
    return this;
  }

  /**
   * Removes `key`.
   *
   * @param key The key.
   * @returns Whether it was there.
   */
  delete(key: K): boolean {
    return command(this, ["HDEL", baseKey(this), field(key)]) === 1;
  }

  /**
   * {@linkcode delete} without blocking the event loop.
   *
   * @param key The key.
   * @returns Whether it was there.
   */
  async deleteAsync(key: K): Promise<boolean> {
    return await commandAsync(this, ["HDEL", baseKey(this), field(key)]) === 1;
  }

  /** Removes every entry. */
  clear(): void {
    command(this, ["DEL", baseKey(this)]);
  }

  /**
   * Replaces the value of `key` with `fn(value)` (undefined when absent),
   * atomically across processes: `fn` runs again if the entry changed
   * meanwhile. If `fn` throws, nothing changes.
   *
   * @param key The key.
   * @param fn The update.
   * @returns The new value.
   */
  update(key: K, fn: (value: V | undefined) => V): V {
    checkFn(fn);
    const f = field(key);
    for (;;) {
      const old = command(this, ["HGET", baseKey(this), f]) as
        | Uint8Array
        | null;
      const next = fn(this.#read(old));
      if (
        script(this, "cas", casArgs("m", toRedis(next, "value"), old, f)) === 1
      ) {
        return next;
      }
    }
  }

  /**
   * {@linkcode update} without blocking the event loop (`fn` may be
   * async).
   *
   * @param key The key.
   * @param fn The update.
   * @returns The new value.
   */
  async updateAsync(
    key: K,
    fn: (value: V | undefined) => V | Promise<V>,
  ): Promise<V> {
    checkFn(fn);
    const f = field(key);
    for (;;) {
      const old = await commandAsync(this, ["HGET", baseKey(this), f]) as
        | Uint8Array
        | null;
      const next = await fn(this.#read(old));
      const args = casArgs("m", toRedis(next, "value"), old, f);
      if (await scriptAsync(this, "cas", args) === 1) return next;
    }
  }

  /**
   * Python's `dict.setdefault`: the value of `key`, set to `value` first if
   * it had none.
   *
   * @param key The key.
   * @param value The value to set if absent.
   * @returns The value now.
   */
  setDefault(key: K, value: V): V {
    return this.#read(
      script(this, "setDefault", [field(key), toRedis(value, "value")]),
    ) as V;
  }

  /**
   * A snapshot of the entries.
   *
   * @returns The entries.
   */
  entriesArray(): [K, V][] {
    return this.#entries(command(this, ["HGETALL", baseKey(this)]));
  }

  /**
   * {@linkcode entriesArray} without blocking the event loop.
   *
   * @returns The entries.
   */
  async entriesArrayAsync(): Promise<[K, V][]> {
    return this.#entries(await commandAsync(this, ["HGETALL", baseKey(this)]));
  }

  #entries(reply: unknown): [K, V][] {
    // RESP2 answers a flat list; RESP3 a map.
    const flat = reply instanceof Map
      ? [...reply].flat()
      : reply as Uint8Array[];
    const out: [K, V][] = [];
    for (let i = 0; i < flat.length; i += 2) {
      out.push([keyOf(flat[i]) as K, this.#read(flat[i + 1]) as V]);
    }
    return out;
  }

  /**
   * The keys, over a snapshot.
   *
   * @returns An iterator of the keys.
   */
  keys(): IterableIterator<K> {
    return this.entriesArray().map(([k]) => k)[Symbol.iterator]();
  }

  /**
   * The values, over a snapshot.
   *
   * @returns An iterator of the values.
   */
  values(): IterableIterator<V> {
    return this.entriesArray().map(([, v]) => v)[Symbol.iterator]();
  }

  /**
   * The entries, over a snapshot.
   *
   * @returns An iterator of the entries.
   */
  entries(): IterableIterator<[K, V]> {
    return this.entriesArray()[Symbol.iterator]();
  }

  /**
   * Calls `fn` for each entry of a snapshot.
   *
   * @param fn Called with value, key and this map.
   */
  forEach(fn: (value: V, key: K, map: this) => void): void {
    for (const [k, v] of this.entriesArray()) fn(v, k, this);
  }

  /**
   * The entries, over a snapshot.
   *
   * @returns An iterator of the entries.
   */
  [Symbol.iterator](): IterableIterator<[K, V]> {
    return this.entries();
  }
}
