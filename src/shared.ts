/**
 * Explicit sharing by name: {@linkcode shared} returns the one value
 * registered under a name in this process, made once by the first thread
 * that asks; {@linkcode setModuleSharing} turns the implicit sharing of
 * module-level primitives on or off.
 *
 * @module
 */
import { describeValue } from "./_core/validate.ts";
import { encodeKey } from "./_codec/key_codec.ts";
import {
  abandon,
  claim,
  PINNED,
  publish,
  recordWords,
  SET,
  unhold,
} from "./_sharing/registry.ts";
import {
  SR_HOLDERS,
  SR_KIND,
  SR_MESSAGE,
  SR_REF,
  SR_STATE,
} from "./_core/layout.ts";
import { adopt, onReleaseAll, release, shareOf } from "./_core/handles.ts";
import { dropMessage, loadMessage, storeMessage } from "./_codec/message.ts";
import { callerModules } from "./_core/call_sites.ts";
import { setSharing, unnamed } from "./_sharing/module_level.ts";

/** What this isolate got for a name: the value, or a weak reference to it. */
interface Got {
  value: unknown;
  weak: WeakRef<object> | undefined;
}

/** Names without a module scope, then names by module URL. */
const unscoped = new Map<string, Got>();
const scoped = new Map<string, Map<string, Got>>();

// Holds this isolate has on records whose value is an object kept as a
// message: dropped when the object is collected, or when the isolate closes.
const holds = new Map<number, number>();
const collected = new FinalizationRegistry<number>(letGo);

function letGo(record: number): void {
  const n = holds.get(record)! - 1;
  if (n === 0) holds.delete(record);
  else holds.set(record, n);
  const message = unhold(record);
  if (message !== 0) dropMessage(message);
}

onReleaseAll(() => {
  for (const [record, n] of holds) {
    for (let i = 0; i < n; i++) {
      const message = unhold(record);
      if (message !== 0) dropMessage(message);
    }
  }
  holds.clear();
});

/**
 * The one value registered under `name` in this process, made by `make`
 * the first time any thread asks. Every thread gets the same primitives: a
 * primitive (Lock, Queue, SharedMap...) is one object in every thread, and
 * a value holding primitives arrives as values passed to a thread do (data
 * copied, primitives shared, instances of exported classes rebuilt). In one
 * thread every call returns the same object.
 *
 * `make` runs once, even when threads ask at the same moment (the others
 * wait for it). If it throws, the name stays free and the caller gets the
 * error; a waiting thread then runs its own `make`. A `make` that asks for
 * its own name is a ThreadError; other names are fine.
 *
 * The name lives while any thread holds its value (a primitive: while any
 * handle on it lives anywhere), then it is free again. A value that is not
 * an object (a number, a string) stays for the life of the process.
 *
 * `shared(import.meta, name, make)` scopes the name by the module's URL:
 * `shared("x", …)` and `shared(import.meta, "x", …)` are different names.
 *
 * This is what a careful program uses: it works in any function, in bundled
 * code and in `deno compile`d programs, and after the first call in a
 * thread it costs one lookup. Module-level primitives are shared this way
 * too, implicitly, named by where they are constructed.
 *
 * @typeParam T The value's type.
 * @param name The name (any string).
 * @param make Makes the value, once in the process.
 * @returns The value registered under `name`.
 * @throws {TypeError} When `name` is not a string or `make` not a function,
 * or the value holds something that cannot cross threads (a function...).
 * @throws {ThreadError} When `make` asks for its own name.
 *
 * @example One lock for every thread, by name
 * ```ts
 * import { Lock, shared, Thread } from "@weft/threading";
 * import assert from "node:assert/strict";
 *
 * export function work(out: Int32Array): void {
 *   const lock = shared("counter lock", () => new Lock());
 *   for (let i = 0; i < 1000; i++) lock.hold(() => out[0]++);
 * }
 *
 * const out = new Int32Array(new SharedArrayBuffer(4));
 * const t = new Thread({ target: work, args: [out] });
 * t.start();
 * work(out);
 * t.join();
 * assert.equal(out[0], 2000);
 * assert.equal(shared("counter lock", () => new Lock()), shared("counter lock", () => new Lock()));
 * ```
 */
export function shared<T>(name: string, make: () => T): T;
/**
 * {@linkcode shared}, with the name scoped by the calling module's URL.
 *
 * @typeParam T The value's type.
 * @param meta The calling module's `import.meta`.
 * @param name The name within the module.
 * @param make Makes the value, once in the process.
 * @returns The value registered under the module's `name`.
 * @throws {TypeError} As {@linkcode shared}; also when `meta` is not an
 * `import.meta`.
 * @throws {ThreadError} When `make` asks for its own name.
 *
 * @example
 * ```ts
 * import { Event, shared } from "@weft/threading";
 * import assert from "node:assert/strict";
 *
 * const ready = shared(import.meta, "ready", () => new Event());
 * assert.equal(shared(import.meta, "ready", () => new Event()), ready);
 * assert.notEqual(shared("ready", () => new Event()), ready);
 * ```
 */
export function shared<T>(meta: ImportMeta, name: string, make: () => T): T;
export function shared<T>(
  first: string | ImportMeta,
  second: string | (() => T),
  third?: () => T,
): T {
  let scope = "";
  let name: unknown = first;
  let make: unknown = second;
  if (typeof first !== "string") {
    if (
      typeof first !== "object" || first === null ||
      typeof (first as ImportMeta).url !== "string"
    ) {
      throw new TypeError(
        `Cannot share a value: the first argument must be a name or import.meta, received ${
          describeValue(first)
        }`,
      );
    }
    scope = first.url;
    name = second;
    make = third;
  }
  if (typeof name !== "string") {
    throw new TypeError(
      `Cannot share a value: name must be a string, received ${
        describeValue(name)
      }`,
    );
  }
  if (typeof make !== "function") {
    throw new TypeError(
      `Cannot share a value: make must be a function, received ${
        describeValue(make)
      }`,
    );
  }
  let names = unscoped;
  if (scope !== "") {
    names = scoped.get(scope) ?? new Map();
    if (names.size === 0) scoped.set(scope, names);
  }
  const got = names.get(name);
  if (got !== undefined) {
    if (got.weak === undefined) return got.value as T;
    const value = got.weak.deref();
    if (value !== undefined) return value as T;
  }
  const value = ask(scope, name, make as () => T);
  names.set(
    name,
    typeof value === "object" && value !== null
      ? { value: undefined, weak: new WeakRef(value) }
      : { value, weak: undefined },
  );
  return value;
}

function ask<T>(scope: string, name: string, make: () => T): T {
  const what = scope === ""
    ? `the shared value "${name}"`
    : `the shared value "${name}" of ${scope}`;
  const record = claim(encodeKey(["shared", scope, name], "name"), what);
  const w = recordWords(record);
  if (w[SR_STATE] === SET) return take(record, w) as T;
  let value: T;
  try {
    value = unnamed(make);
    keep(record, value);
  } catch (error) {
    abandon(record);
    throw error;
  }
  return value;
}

/** Sets the record this thread claimed to `value`. */
function keep(record: number, value: unknown): void {
  const primitive = typeof value === "object" && value !== null
    ? shareOf(value)
    : undefined;
  if (primitive !== undefined) {
    publish(record, primitive);
    return;
  }
  const message = storeMessage(value, "shared value", callerModules);
  const pinned = typeof value !== "object" || value === null;
  try {
    publish(record, { message, pinned });
  } catch (error) {
    dropMessage(message);
    throw error;
  }
  if (!pinned) holdUntilCollected(record, value as object);
}

/** The value of a set record, for this thread (claim() took a hold for it). */
function take(record: number, w: Int32Array): unknown {
  const kind = w[SR_KIND];
  if (kind !== 0) {
    const ref = w[SR_REF];
    try {
      return adopt(kind, ref);
    } finally {
      release(ref);
    }
  }
  let value: unknown;
  try {
    value = loadMessage(w[SR_MESSAGE], false);
  } catch (error) {
    if (w[SR_HOLDERS] !== PINNED) {
      const message = unhold(record);
      if (message !== 0) dropMessage(message);
    }
    throw error;
  }
  if (w[SR_HOLDERS] !== PINNED) holdUntilCollected(record, value as object);
  return value;
}

function holdUntilCollected(record: number, value: object): void {
  holds.set(record, (holds.get(record) ?? 0) + 1);
  collected.register(value, record);
}

/**
 * Turns the implicit sharing of module-level primitives on (`"auto"`, the
 * default) or off (`"off"`), for the whole process: every thread, from now
 * on. Off, a primitive constructed at a module's top level is a new object
 * in each thread, as any other, and construction costs nothing more; the
 * warning for primitives made through a function at top level is off too.
 * {@linkcode shared} works either way.
 *
 * @param mode `"auto"` or `"off"`.
 * @throws {TypeError} When `mode` is neither.
 *
 * @example
 * ```ts
 * import { setModuleSharing } from "@weft/threading";
 *
 * setModuleSharing("off");
 * setModuleSharing("auto");
 * ```
 */
export function setModuleSharing(mode: "auto" | "off"): void {
  if (mode !== "auto" && mode !== "off") {
    throw new TypeError(
      `Cannot set module sharing: mode must be "auto" or "off", received ${
        describeValue(mode)
      }`,
    );
  }
  setSharing(mode === "auto");
}
