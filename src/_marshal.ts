// Copying values between threads. Structured clone does the copying; this
// walk adds what it cannot do: this module's primitives travel as handles on
// their shared state, instances of exported classes keep their class, and
// what cannot cross (functions...) is refused with the path where it was.
import { type CodeRef, describe, resolve, resolveSync } from "./_locate.ts";
import { sharedWords } from "./_layout.ts";
import { deserialize, serialize } from "node:v8";

interface ShareEntry {
  kind: string;
  state: (obj: object) => unknown;
}

const byProto = new Map<object, ShareEntry>();
type Factory = (state: unknown, pending?: Promise<unknown>[]) => unknown;
const factories = new Map<string, Factory>();

/**
 * Makes instances of `cls` (and its subclasses) cross threads as handles:
 * `state` gives what is sent (shared memory), `factory` rebuilds a handle on
 * it in the receiving thread. A factory may push promises the receiving
 * thread must await before the handle is used (like `decode`'s `pending`).
 */
export function registerShareable<T extends object>(
  kind: string,
  cls: abstract new (...args: never[]) => T,
  state: (obj: T) => unknown,
  factory: (state: unknown, pending?: Promise<unknown>[]) => T,
): void {
  byProto.set(cls.prototype, {
    kind,
    state: state as (obj: object) => unknown,
  });
  factories.set(kind, factory);
}

function shareEntry(proto: object | null): ShareEntry | undefined {
  for (
    let p = proto;
    p !== null && p !== Object.prototype;
    p = Object.getPrototypeOf(p)
  ) {
    const entry = byProto.get(p);
    if (entry !== undefined) return entry;
  }
  return undefined;
}

/** Words to adopt instead of allocating, while a handle is rebuilt. */
let adopting: Int32Array | undefined;

/**
 * A primitive's shared words: fresh ones, or, while {@linkcode adoptWords}
 * rebuilds a handle, the ones it received.
 */
export function words(count: number): Int32Array {
  const w = adopting ?? sharedWords(count);
  adopting = undefined;
  return w;
}

/** Builds a handle (with `make`) on words received from another thread. */
export function adoptWords<T>(state: unknown, make: () => T): T {
  adopting = state as Int32Array;
  return make();
}

const TAG = "\u0000weft";
const CLONEABLE = [
  Date,
  RegExp,
  ArrayBuffer,
  SharedArrayBuffer,
  DataView,
  Error,
  Boolean,
  Number,
  String,
  Blob,
];
const TypedArray = Object.getPrototypeOf(Uint8Array);

interface Encoder {
  modules: string[] | (() => string[]);
  seen: Map<object, unknown>;
}

/**
 * Encodes `value` for another thread. `path` names it in errors
 * (`args[1].callback`); `modules` are where its classes may be exported.
 */
export function encode(
  value: unknown,
  path: string,
  modules: string[] | (() => string[]),
): unknown {
  return enc(value, path, { modules, seen: new Map() });
}

function refuse(path: string, what: string): TypeError {
  return new TypeError(
    `Cannot pass ${what} to another thread (at ${path}): only ` +
      `structured-cloneable values, shared memory, this module's primitives ` +
      `and instances of exported classes can cross threads`,
  );
}

function enc(value: unknown, path: string, e: Encoder): unknown {
  if (typeof value === "function") {
    throw refuse(path, `a function (${value.name || "anonymous"})`);
  }
  if (typeof value === "symbol") throw refuse(path, "a symbol");
  if (value === null || typeof value !== "object") return value;
  const seen = e.seen.get(value);
  if (seen !== undefined) return seen;
  if (Array.isArray(value)) {
    const out: unknown[] = new Array(value.length);
    e.seen.set(value, out);
    for (let i = 0; i < value.length; i++) {
      out[i] = enc(value[i], `${path}[${i}]`, e);
    }
    return out;
  }
  const proto = Object.getPrototypeOf(value);
  if (proto === Object.prototype || proto === null) {
    const out: Record<string, unknown> = {};
    e.seen.set(value, out);
    encodeFields(value as Record<string, unknown>, out, path, e);
    return out;
  }
  const shared = shareEntry(proto);
  if (shared !== undefined) {
    const out = {
      [TAG]: "share",
      kind: shared.kind,
      state: shared.state(value),
    };
    e.seen.set(value, out);
    return out;
  }
  if (proto === Map.prototype || proto === Set.prototype) {
    const entries: unknown[] = [];
    const out = { [TAG]: proto === Map.prototype ? "map" : "set", entries };
    e.seen.set(value, out);
    let i = 0;
    for (const entry of value as Iterable<unknown>) {
      entries.push(enc(entry, `${path}.<entry ${i++}>`, e));
    }
    return out;
  }
  if (
    value instanceof TypedArray || CLONEABLE.some((c) => value instanceof c)
  ) {
    return value;
  }
  const ctor = proto?.constructor;
  if (typeof ctor !== "function" || isNative(ctor)) {
    throw refuse(path, `a ${ctor?.name || "non-plain object"}`);
  }
  const fields: Record<string, unknown> = {};
  if (typeof e.modules === "function") e.modules = e.modules();
  const out = { [TAG]: "inst", ref: describe(ctor, e.modules), fields };
  e.seen.set(value, out);
  encodeFields(value as Record<string, unknown>, fields, path, e);
  return out;
}

function encodeFields(
  from: Record<string, unknown>,
  to: Record<string, unknown>,
  path: string,
  e: Encoder,
): void {
  for (const key of Object.keys(from)) {
    to[key] = enc(from[key], `${path}.${key}`, e);
  }
}

function isNative(fn: (...args: never[]) => unknown): boolean {
  return Function.prototype.toString.call(fn).endsWith("{ [native code] }");
}

/**
 * Rebuilds an encoded value. Classes that must first be imported are patched
 * in when found: their promises are pushed to `pending`, which the caller
 * awaits. Without `pending`, classes must be found at once (already resolved
 * in this thread, or self-contained), or a TypeError is thrown.
 */
export function decode(value: unknown, pending?: Promise<unknown>[]): unknown {
  return dec(value, new Map(), pending);
}

function dec(
  value: unknown,
  seen: Map<object, unknown>,
  pending: Promise<unknown>[] | undefined,
): unknown {
  if (value === null || typeof value !== "object") return value;
  const done = seen.get(value);
  if (done !== undefined) return done;
  if (Array.isArray(value)) {
    const out: unknown[] = new Array(value.length);
    seen.set(value, out);
    for (let i = 0; i < value.length; i++) {
      out[i] = dec(value[i], seen, pending);
    }
    return out;
  }
  if (Object.getPrototypeOf(value) !== Object.prototype) return value;
  const node = value as Record<string, unknown>;
  switch (node[TAG]) {
    case undefined: {
      const out: Record<string, unknown> = {};
      seen.set(value, out);
      for (const key of Object.keys(node)) {
        out[key] = dec(node[key], seen, pending);
      }
      return out;
    }
    case "share": {
      const factory = factories.get(node.kind as string);
      if (factory === undefined) {
        throw new TypeError(`Unknown shared object kind: ${node.kind}`);
      }
      const out = factory(node.state, pending);
      seen.set(value, out);
      return out;
    }
    case "map":
    case "set": {
      const out = node[TAG] === "map" ? new Map() : new Set();
      seen.set(value, out);
      for (const entry of node.entries as unknown[]) {
        const item = dec(entry, seen, pending);
        if (out instanceof Map) {
          const [k, v] = item as [unknown, unknown];
          out.set(k, v);
        } else out.add(item);
      }
      return out;
    }
    case "inst": {
      const out: Record<string, unknown> = {};
      seen.set(value, out);
      const fields = node.fields as Record<string, unknown>;
      for (const key of Object.keys(fields)) {
        out[key] = dec(fields[key], seen, pending);
      }
      adoptClass(out, node.ref as CodeRef, pending);
      return out;
    }
    default:
      throw new TypeError(`Unknown encoded value: ${String(node[TAG])}`);
  }
}

function adoptClass(
  obj: object,
  ref: CodeRef,
  pending: Promise<unknown>[] | undefined,
): void {
  const now = resolveSync(ref, pending === undefined);
  if (now !== undefined) {
    Object.setPrototypeOf(obj, now.fn.prototype);
    return;
  }
  if (pending === undefined) {
    throw new TypeError(
      `Class ${ref.name} is not loaded in this thread yet: import its module here first`,
    );
  }
  pending.push(
    resolve(ref).then(({ fn }) => Object.setPrototypeOf(obj, fn.prototype)),
  );
}

const SharedTypedArrays = [
  Int8Array,
  Uint8Array,
  Uint8ClampedArray,
  Int16Array,
  Uint16Array,
  Int32Array,
  Uint32Array,
  Float32Array,
  Float64Array,
  BigInt64Array,
  BigUint64Array,
];

/**
 * Replaces every SharedArrayBuffer (and view over one) in an encoded tree by
 * a numbered placeholder, collecting the buffers in `sabs`, so the tree can
 * be serialized into bytes. {@linkcode restoreSabs} undoes it.
 */
export function extractSabs(tree: unknown, sabs: SharedArrayBuffer[]): unknown {
  return walk(tree, new Map(), (value) => {
    const buffer = value instanceof SharedArrayBuffer
      ? value
      : ArrayBuffer.isView(value) && value.buffer instanceof SharedArrayBuffer
      ? value.buffer
      : undefined;
    if (buffer === undefined) return undefined;
    let index = sabs.indexOf(buffer);
    if (index < 0) index = sabs.push(buffer) - 1;
    if (buffer === value) return { [TAG]: "sab", index };
    const view = value as ArrayBufferView;
    const kind = view instanceof DataView
      ? -1
      : SharedTypedArrays.findIndex((c) => view instanceof c);
    const length = view instanceof DataView
      ? view.byteLength
      : (view as Int32Array).length;
    return { [TAG]: "sab", index, kind, offset: view.byteOffset, length };
  });
}

/** Puts the buffers back where {@linkcode extractSabs} left placeholders. */
export function restoreSabs(tree: unknown, sabs: SharedArrayBuffer[]): unknown {
  return walk(tree, new Map(), (value) => {
    const node = value as Record<string, number>;
    if (
      Object.getPrototypeOf(value) !== Object.prototype ||
      node[TAG] as unknown !== "sab"
    ) {
      return undefined;
    }
    const buffer = sabs[node.index];
    if (node.kind === undefined) return buffer;
    if (node.kind === -1) return new DataView(buffer, node.offset, node.length);
    const View = SharedTypedArrays[node.kind] as unknown as new (
      buffer: SharedArrayBuffer,
      offset: number,
      length: number,
    ) => ArrayBufferView;
    return new View(buffer, node.offset, node.length);
  });
}

/** Copies a tree of plain objects and arrays, letting `swap` replace nodes. */
function walk(
  value: unknown,
  seen: Map<object, unknown>,
  swap: (value: object) => unknown,
): unknown {
  if (value === null || typeof value !== "object") return value;
  const done = seen.get(value);
  if (done !== undefined) return done;
  const swapped = swap(value);
  if (swapped !== undefined) {
    seen.set(value, swapped);
    return swapped;
  }
  if (Array.isArray(value)) {
    const out: unknown[] = new Array(value.length);
    seen.set(value, out);
    for (let i = 0; i < value.length; i++) out[i] = walk(value[i], seen, swap);
    return out;
  }
  if (Object.getPrototypeOf(value) !== Object.prototype) return value;
  const out: Record<string, unknown> = {};
  seen.set(value, out);
  for (const key of Object.keys(value)) {
    out[key] = walk((value as Record<string, unknown>)[key], seen, swap);
  }
  return out;
}

/**
 * Serializes an encoded tree into bytes for shared memory; its
 * SharedArrayBuffers are collected in `sabs`, to travel apart (the relay).
 */
export function toBytes(tree: unknown, sabs: SharedArrayBuffer[]): Uint8Array {
  return serialize(extractSabs(tree, sabs));
}

/**
 * The tree {@linkcode toBytes} wrote, with its SharedArrayBuffers put back;
 * without `sabs`, its shared parts become null (enough to compare values).
 */
export function fromBytes(
  bytes: Uint8Array,
  sabs?: SharedArrayBuffer[],
): unknown {
  const tree = deserialize(bytes);
  if (sabs !== undefined) return restoreSabs(tree, sabs);
  return walk(tree, new Map(), (value) => {
    const tag = (value as Record<string, unknown>)[TAG];
    return Object.getPrototypeOf(value) === Object.prototype &&
        (tag === "sab" || tag === "share")
      ? null
      : undefined;
  });
}
