// What every Redis object is: a name on a connection, and the way it talks
// to the connection's I/O thread. Objects cross threads and Redis values by
// name (src/_redis/connection.ts defines how).
import { checkOptions, describeValue, TIMEOUT_MAX } from "../_core/validate.ts";
import { call, callAsync, type Link, post } from "./hub.ts";
import type { RedisConnection } from "./connection.ts";

/** What a Redis object's connection is, to this module. */
type Owner = RedisConnection;

const links = new WeakMap<Owner, Link>();

/** Binds a connection to its link (connection.ts, for each connection). */
export function bindLink(owner: Owner, link: Link): void {
  links.set(owner, link);
}

/** The link of a connection. */
export function linkOf(owner: Owner): Link {
  return links.get(owner)!;
}

let ownerOf!: (object: RedisObject) => Owner;
let keyOf!: (object: RedisObject) => string;
let kindOf!: (object: RedisObject) => string;
let optionsOf!: (object: RedisObject) => Record<string, unknown>;

/**
 * The base of every Redis object: a kind and a name under its
 * connection's prefix; the same name on any process is the same object.
 */
export abstract class RedisObject {
  readonly #owner: Owner;
  readonly #kind: string;
  readonly #name: string;
  readonly #key: string;
  readonly #options: Record<string, unknown>;

  /**
   * Names an object (nothing is written to Redis yet).
   *
   * @param owner The connection.
   * @param kind The kind of object (part of its key).
   * @param name Its name.
   * @param options The options it was made with (they travel with it).
   */
  constructor(
    owner: Owner,
    kind: string,
    name: unknown,
    options: Record<string, unknown>,
  ) {
    if (typeof name !== "string" || name === "") {
      throw new TypeError(
        `Cannot name a Redis ${kind}: the name must be a non-empty string, ` +
          `received ${describeValue(name)}`,
      );
    }
    this.#owner = owner;
    this.#kind = kind;
    this.#name = name;
    this.#key = `${owner.prefix}:${kind}:${name}`;
    this.#options = options;
  }

  static {
    ownerOf = (o) => o.#owner;
    keyOf = (o) => o.#key;
    kindOf = (o) => o.#kind;
    optionsOf = (o) => o.#options;
  }

  /** The object's name: the same name on any process is the same object. */
  get name(): string {
    return this.#name;
  }
}

/** The connection of an object. */
export function ownerOfObject(object: RedisObject): Owner {
  return ownerOf(object);
}

/** What an object travels as: its kind, name and options. */
export function describeObject(
  object: RedisObject,
): { kind: string; name: string; options: Record<string, unknown> } {
  return {
    kind: kindOf(object),
    name: object.name,
    options: optionsOf(object),
  };
}

/** The object's base key in Redis. */
export function baseKey(object: RedisObject): string {
  return keyOf(object);
}

/** A request about `object`, with its connection's limits. */
function request(
  object: RedisObject,
  op: string,
  fields: Record<string, unknown>,
  timeout: number,
): Record<string, unknown> {
  const owner = ownerOf(object);
  const out: Record<string, unknown> = {
    op,
    key: keyOf(object),
    ct: linkOf(owner).connectTimeout,
    ...fields,
  };
  if (timeout !== Infinity) out.t = timeout;
  return out;
}

/** Sends a request about `object`, blocking the calling thread. */
export function send(
  object: RedisObject,
  op: string,
  fields: Record<string, unknown> = {},
  timeout = Infinity,
): unknown {
  return call(linkOf(ownerOf(object)), request(object, op, fields, timeout));
}

/**
 * Sends a request about `object` without waiting for it, nor waking the
 * I/O thread: it goes with the next request, or within a beat (its
 * outcome shows in Redis; a failure other than the connection's is
 * printed).
 */
export function sendAndForget(
  object: RedisObject,
  op: string,
  fields: Record<string, unknown> = {},
): void {
  post(linkOf(ownerOf(object)), request(object, op, fields, Infinity), false);
}

/** Sends a request about `object` without blocking the event loop. */
export function sendAsync(
  object: RedisObject,
  op: string,
  fields: Record<string, unknown> = {},
  timeout = Infinity,
  signal?: AbortSignal,
): Promise<unknown> {
  return callAsync(
    linkOf(ownerOf(object)),
    request(object, op, fields, timeout),
    signal,
  );
}

/** Checks a lease (or visibility, ttl...) option: ms, from `min`. */
export function checkMs(value: unknown, what: string, min = 1): number {
  if (typeof value !== "number" || Number.isNaN(value)) {
    throw new TypeError(
      `Cannot use ${what}: it must be a number of milliseconds, received ${
        describeValue(value)
      }`,
    );
  }
  if (!Number.isInteger(value) || value < min || value > TIMEOUT_MAX) {
    throw new RangeError(
      `Cannot use ${what}: it must be an integer from ${min} to ` +
        `${TIMEOUT_MAX} ms, received ${value}`,
    );
  }
  return value;
}

/** Checks an options object and returns it (or an empty one). */
export function optionsObject<T extends object>(options: T | undefined): T {
  return checkOptions(options) ?? ({} as T);
}
