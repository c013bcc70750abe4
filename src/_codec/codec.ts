// The codec: every value that crosses threads (thread arguments, queue items,
// SharedValue...) is written as bytes by this module and read back from them.
//
// Fidelity is structuredClone's (holes, -0, NaN, cycles and shared
// references, Map/Set/Date/RegExp/BigInt/boxed primitives, errors with their
// cause, ArrayBuffers, DataViews and typed arrays), plus this library's
// sharing rules: SharedArrayBuffers and views over them are shared (they are
// handed back to the caller to carry), this library's primitives are written
// as references to their shared memory, and instances of classes keep their
// class. A copied view arrives over a buffer of its own holding only its
// bytes, unless the value also holds its buffer or another view over it.
//
// Data is data: every tag is a byte this module wrote, so no plain object is
// ever read as anything but a plain object, and nothing in a value is
// evaluated. Classes are only looked up, among the modules this thread has
// loaded (sync) or by importing the modules the sender named (async).
//
// Classes. An instance is written with its class's description: name,
// source, and home, the module that exports it, as the sender found it
// (_locate.ts). An instance of a class that the modules the sender can read
// show is not exported (declared without export, or declared nowhere) is
// refused where it is sent, with its path; a class from a module whose
// source cannot be read here (remote, npm:, no read permission) cannot be
// checked, and crosses. An Error subclass that is not exported crosses as
// its nearest built-in type. A synchronous read finds the class among the
// modules its thread can reach without evaluating anything (_modules.ts):
// the modules on its stack, the modules this library imported (a thread's
// target module...), their static imports (an import used only for types
// loads nothing), and, in the main thread, the program's entry module once
// its top level has finished, or, while the top level waits at an `await`,
// from the next turn of the event loop (Deno 2.9) — never while the top
// level runs synchronously (including what it calls before its first
// `await`): declare such classes in a module of their own, which the entry
// module imports, to use them then. An instance whose class a read cannot
// reach is read all the same, as a plain object with its fields, and the
// read throws a TypeError naming the class, its module and what to do, the
// value in `error.value`: a taking operation (a queue's get(), a list's
// pop()...) has taken the item, so nothing is lost and nothing blocks the
// items behind it. An asynchronous read imports the home module instead.
//
// Values that leave the process (stored in Redis) are "foreign": written
// without anything that lives in one process (shared memory, this library's
// local primitives, threads), and read back under stricter rules, since
// anyone with access to the store could have written them: the receiver
// marks them (markForeign), and a foreign message rebuilds classes only from
// modules this thread has loaded (never importing, async included), refuses
// handles and shared buffers, and any fault in it is a TypeError.
//
// Properties set on an array besides its elements are not carried (finding
// them costs ~60x the array's own encoding), nor are symbols, non-enumerable
// or private fields; a view that tracks the length of a resizable buffer
// arrives with the length it had (JavaScript cannot tell it from a view of
// fixed length).
import {
  cannotRebuild,
  type ClassRef,
  type CodeRef,
  describeClass,
  resolveClass,
  resolveClassSync,
} from "../_locate/locate.ts";
import { adopt, release, retain, shareOf } from "../_core/handles.ts";
import { heap } from "../_core/heap.ts";

const T_UNDEFINED = 0;
const T_NULL = 1;
const T_FALSE = 2;
const T_TRUE = 3;
const T_INT = 4;
const T_FLOAT = 5;
const T_BIGINT = 6; // u8 sign, u32 n, n bytes of magnitude (most significant first)
const T_LATIN1 = 7; // u8 length, latin1 bytes (strings shorter than 256)
const T_UTF16 = 9; // u32 length, UTF-16 code units (not Latin-1 and short, or not well formed)
const T_UTF8 = 10; // u32 byte length, UTF-8 bytes (the rest)
const T_ARRAY = 11; // u32 length, elements
const T_SPARSE = 12; // u32 length, u32 count, (u32 index, value)*
const T_OBJECT = 13; // u32 count, (key, value)*
const T_NULL_PROTO = 14; // as T_OBJECT, with a null prototype
const T_BACKREF = 15; // u32 index of an object written before
const T_MAP = 16;
const T_SET = 17;
const T_DATE = 18;
const T_REGEXP = 19;
const T_BOXED_TRUE = 20;
const T_BOXED_FALSE = 21;
const T_BOXED_NUMBER = 22;
const T_BOXED_STRING = 23;
const T_BOXED_BIGINT = 24;
const T_ERROR = 25; // u8 type, i32 class, name, message, stack?, cause?, fields
const T_BUFFER = 26; // u32 index in the buffer table
const T_VIEW = 27; // u8 type, u32 buffer, u32 offset, u32 length
const T_SAB = 28; // u32 index among the shared buffers
const T_SAB_VIEW = 29; // u8 type, u32 shared buffer, u32 offset, u32 length
const T_HANDLE = 30; // u8 kind, u32 ref
const T_INSTANCE = 31; // u32 class, then as T_OBJECT
const T_EXTENSION = 32; // the extension's name, then its state as a value

// A message: one flags byte, the side section's offset when there is one,
// the value, then the side section: buffers, classes and handle refs.
const F_SIDE = 1;
const F_HANDLES = 2;
const F_SABS = 4;
const F_CLASSES = 8;
/** Set by the receiver on a value from outside the process (see above). */
const F_FOREIGN = 16;
/** Flags and side offset. */
const HEAD = 5;
/** The most bytes a value takes encoded: its length fits an Int32 word. */
export const MAX_ENCODED_BYTES = 2 ** 31 - 1;

// Errors arrive as these types (the nearest of them up their prototype
// chain); Deno's own (Deno.errors.NotFound...) are the same in every thread.
const ERROR_TYPES: ErrorConstructor[] = [
  Error,
  EvalError,
  RangeError,
  ReferenceError,
  SyntaxError,
  TypeError,
  URIError,
  ...Object.values(Deno.errors) as ErrorConstructor[],
];
const VIEW_TYPES = [
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
  DataView,
  // Last: a view's type is its position here.
  ...("Float16Array" in globalThis
    ? [
      (globalThis as unknown as { Float16Array: typeof Float32Array })
        .Float16Array,
    ]
    : []),
] as const;
type AnyView = InstanceType<typeof VIEW_TYPES[number]>;
type ViewType = new (
  buffer: ArrayBufferLike,
  byteOffset?: number,
  length?: number,
) => AnyView;

interface Extension {
  /** What it is known by in every thread (modules define them in any order). */
  name: string;
  prototype: object;
  state: (value: object) => unknown;
  build: (
    state: unknown,
    async: Promise<unknown>[] | undefined,
    foreign: boolean,
  ) => object;
  /** Whether it may leave the process (its state is all it needs). */
  foreign: boolean;
}
const extensions: Extension[] = [];
const extensionsByName = new Map<string, Extension>();

/**
 * Makes instances of `cls` cross threads as `build(state(value))`: for this
 * library's objects that are not blocks of shared memory (Thread, ThreadLocal).
 * `build` may push promises to `async` (an asynchronous decode awaits them),
 * and gets `undefined` when decoding synchronously. With `foreign`, instances
 * may also leave the process (see above); `build` is told when its state
 * comes from outside (anyone could have written it: check it). An extension
 * travels by `name` (default: the class's name); a thread that has not
 * loaded its module cannot rebuild it (a TypeError), so a module loaded late
 * should make its state hold an instance of one of its exported classes:
 * an asynchronous decode then imports the module first.
 */
export function defineExtension<T extends object>(
  cls: abstract new (...args: never[]) => T,
  state: (value: T) => unknown,
  build: (
    state: unknown,
    async: Promise<unknown>[] | undefined,
    foreign: boolean,
  ) => T,
  options: { foreign?: boolean; name?: string } = {},
): void {
  const extension: Extension = {
    name: options.name ?? cls.name,
    prototype: cls.prototype,
    state: state as (value: object) => unknown,
    build,
    foreign: options.foreign ?? false,
  };
  extensions.push(extension);
  extensionsByName.set(extension.name, extension);
}

function extensionOf(proto: object | null): number {
  for (let p = proto; p !== null; p = Object.getPrototypeOf(p)) {
    for (let i = 0; i < extensions.length; i++) {
      if (extensions[i].prototype === p) return i;
    }
  }
  return -1;
}

const MAX_U64 = 0xffff_ffff_ffff_ffffn;

/** Uint8Array's hexadecimal methods (ES2026; in V8 since 14.0). */
interface HexBytes extends Uint8Array {
  setFromHex(hex: string): { read: number; written: number };
  toHex(): string;
}

const utf8 = new TextEncoder();
const utf8Decoder = new TextDecoder();

/**
 * Where `target` sits in `root` (named `name`), as a path like
 * `args[1].callback`: looked for only once encoding failed there, so that
 * encoding keeps no path as it goes.
 */
function pathTo(root: unknown, name: string, target: unknown): string {
  const seen = new Set<object>();
  const join = (path: string, key: string): string =>
    path === "" ? key : `${path}.${key}`;
  const search = (v: unknown, path: string): string | undefined => {
    if (v === target) return path;
    if (typeof v !== "object" || v === null || seen.has(v)) return undefined;
    seen.add(v);
    const extension = extensionOf(Object.getPrototypeOf(v));
    if (extension >= 0) return search(extensions[extension].state(v), path);
    if (v instanceof Map) {
      let i = 0;
      for (const [key, value] of v) {
        const found = search(key, join(path, `<key ${i}>`)) ??
          search(value, join(path, `<value ${i}>`));
        if (found !== undefined) return found;
        i++;
      }
      return undefined;
    }
    if (v instanceof Set) {
      let i = 0;
      for (const item of v) {
        const found = search(item, join(path, `<item ${i++}>`));
        if (found !== undefined) return found;
      }
      return undefined;
    }
    for (const key of Object.keys(v)) {
      const at = Array.isArray(v) ? `${path}[${key}]` : join(path, key);
      const found = search((v as Record<string, unknown>)[key], at);
      if (found !== undefined) return found;
    }
    if (v instanceof Error && "cause" in v) {
      return search(v.cause, join(path, "cause"));
    }
    return undefined;
  };
  return search(root, name) ?? name;
}

function refuse(path: string, what: string): TypeError {
  return new TypeError(
    `Cannot pass ${what} to another thread (at ${path}): only ` +
      `structured-cloneable values, shared memory, this module's primitives ` +
      `and instances of exported classes can cross threads`,
  );
}

function describeType(value: object): string {
  const name = Object.getPrototypeOf(value)?.constructor?.name;
  return name ? `a ${name}` : "a non-plain object";
}

/** Whether `for…in` over `proto` yields anything (it is rarely so). */
function enumerates(proto: object | null): boolean {
  for (const _ in proto) return true;
  return false;
}

/**
 * Whether `fn` is a global of the runtime (URL, Headers, Blob...): written
 * in JavaScript, yet no module exports it.
 */
function isGlobal(fn: { name: string }): boolean {
  return (globalThis as Record<string, unknown>)[fn.name] === fn;
}

function isNative(fn: unknown): boolean {
  return typeof fn === "function" &&
    Function.prototype.toString.call(fn).endsWith("{ [native code] }");
}

/** Where the classes of an encoded value may be exported, asked for lazily. */
export type Modules = () => string[];

/** An encoded value: its bytes and the SharedArrayBuffers it shares. */
export interface Encoded {
  /** The message (a view of scratch memory: copy it before the next encode). */
  bytes: Uint8Array;
  /** Shared buffers the value holds; they travel apart (postMessage). */
  sabs: SharedArrayBuffer[];
}

const NO_SABS: SharedArrayBuffer[] = [];
/** Small values look their objects up in a list: cheaper than a Map. */
const SEEN_LIST = 16;

/** Writes values into bytes. One per thread is reused (see {@linkcode encode}). */
class Writer {
  buf = new Uint8Array(4096);
  view = new DataView(this.buf.buffer);
  pos = 0;
  /** Objects written so far, for back-references: the first few in a list. */
  seenList: (object | undefined)[] = new Array(SEEN_LIST).fill(undefined);
  seen = new Map<object, number>();
  objects = 0;
  buffers: ArrayBufferLike[] = [];
  /** Per buffer: the one view standing for it (compact copy), or null: whole. */
  bufferViews: (AnyView | null)[] = [];
  /** Per buffer: where the offsets of views over it were written. */
  viewOffsets: number[][] = [];
  classes: ClassRef[] = [];
  /** Per class: whether only errors use it (then it may be missing). */
  classOptional: boolean[] = [];
  classIndex = new Map<object, number>();
  handles: number[] = [];
  sabs: SharedArrayBuffer[] = [];
  modules: Modules | string[] = [];
  /** Writing a value that leaves the process (see above). */
  foreign = false;
  busy = false;
  /** What is written, and its name, for the path in an error. */
  root: unknown = undefined;
  name = "";

  reset(
    modules: Modules,
    root: unknown,
    name: string,
    foreign: boolean,
  ): void {
    this.pos = HEAD;
    this.objects = 0;
    this.modules = modules;
    this.root = root;
    this.name = name;
    this.foreign = foreign;
  }

  refuse(v: unknown, what: string): TypeError {
    const path = pathTo(this.root, this.name, v);
    if (!this.foreign) return refuse(path, what);
    return new TypeError(
      `Cannot store ${what} outside this process (at ${path}): it lives in ` +
        `this process only; values stored in Redis hold data, instances of ` +
        `exported classes and Redis objects (by name)`,
    );
  }

  clear(): void {
    this.root = undefined;
    if (this.objects > 0) {
      // Let go of what was written; no length change (that costs more).
      this.seenList.fill(undefined, 0, Math.min(this.objects, SEEN_LIST));
      if (this.objects > SEEN_LIST) this.seen.clear();
    }
    if (this.buffers.length > 0) {
      this.buffers = [];
      this.bufferViews = [];
      this.viewOffsets = [];
    }
    if (this.classes.length > 0) {
      this.classes = [];
      this.classOptional = [];
      this.classIndex.clear();
    }
    if (this.handles.length > 0) this.handles = [];
    if (this.sabs.length > 0) this.sabs = [];
  }

  grow(n: number): void {
    // Refused before the copy, which could take gigabytes.
    if (this.pos + n > MAX_ENCODED_BYTES) {
      throw new RangeError(
        `Cannot copy a value of more than ${MAX_ENCODED_BYTES} bytes ` +
          `encoded: received one of over ${this.pos + n} bytes`,
      );
    }
    let size = this.buf.length * 2;
    while (size < this.pos + n) size *= 2;
    // Never longer than that bound, so that every write past it grows.
    const next = new Uint8Array(Math.min(size, MAX_ENCODED_BYTES));
    next.set(this.buf.subarray(0, this.pos));
    this.buf = next;
    this.view = new DataView(next.buffer);
  }

  u8(v: number): void {
    if (this.pos + 1 > this.buf.length) this.grow(1);
    this.buf[this.pos++] = v;
  }

  u32(v: number): void {
    if (this.pos + 4 > this.buf.length) this.grow(4);
    this.view.setUint32(this.pos, v, true);
    this.pos += 4;
  }

  i32(v: number): void {
    if (this.pos + 4 > this.buf.length) this.grow(4);
    this.view.setInt32(this.pos, v, true);
    this.pos += 4;
  }

  f64(v: number): void {
    if (this.pos + 8 > this.buf.length) this.grow(8);
    this.view.setFloat64(this.pos, v, true);
    this.pos += 8;
  }

  raw(bytes: Uint8Array): void {
    if (this.pos + bytes.length > this.buf.length) this.grow(bytes.length);
    this.buf.set(bytes, this.pos);
    this.pos += bytes.length;
  }

  /** A string, without its tag byte choice left to the caller. */
  string(s: string): void {
    const n = s.length;
    if (n < 256) {
      if (this.pos + 2 + n > this.buf.length) this.grow(2 + n);
      const buf = this.buf;
      const start = this.pos + 2;
      let i = 0;
      for (; i < n; i++) {
        const c = s.charCodeAt(i);
        if (c > 255) break;
        buf[start + i] = c;
      }
      if (i === n) {
        buf[this.pos] = T_LATIN1;
        buf[this.pos + 1] = n;
        this.pos = start + n;
        return;
      }
      this.utf16(s);
      return;
    }
    // UTF-8 would turn lone surrogates into U+FFFD.
    if (!s.isWellFormed()) {
      this.utf16(s);
      return;
    }
    this.u8(T_UTF8);
    const at = this.pos;
    this.pos += 4;
    if (this.pos + 3 * n > this.buf.length) this.grow(3 * n);
    const { written } = utf8.encodeInto(
      s,
      this.buf.subarray(this.pos, this.pos + 3 * n),
    );
    this.view.setUint32(at, written, true);
    this.pos += written;
  }

  utf16(s: string): void {
    const n = s.length;
    this.u8(T_UTF16);
    this.u32(n);
    if (this.pos + 2 * n > this.buf.length) this.grow(2 * n);
    for (let j = 0; j < n; j++) {
      this.view.setUint16(this.pos + 2 * j, s.charCodeAt(j), true);
    }
    this.pos += 2 * n;
  }

  /**
   * Sign, byte count, then the magnitude's bytes, most significant first.
   * Past 64 bits they go through hexadecimal text, which V8 converts both
   * ways in linear time (shifting the BigInt word by word is quadratic).
   */
  bigint(v: bigint): void {
    const negative = v < 0n;
    const magnitude = negative ? -v : v;
    this.u8(negative ? 1 : 0);
    if (magnitude <= MAX_U64) {
      this.u32(8);
      if (this.pos + 8 > this.buf.length) this.grow(8);
      this.view.setBigUint64(this.pos, magnitude, false);
      this.pos += 8;
      return;
    }
    const digits = magnitude.toString(16);
    const hex = digits.length % 2 === 0 ? digits : "0" + digits;
    const n = hex.length >> 1;
    this.u32(n);
    if (this.pos + n > this.buf.length) this.grow(n);
    (this.buf.subarray(this.pos, this.pos + n) as HexBytes).setFromHex(hex);
    this.pos += n;
  }

  value(v: unknown): void {
    switch (typeof v) {
      case "number":
        if ((v | 0) === v && (v !== 0 || 1 / v > 0)) {
          if (this.pos + 5 > this.buf.length) this.grow(5);
          this.buf[this.pos] = T_INT;
          this.view.setInt32(this.pos + 1, v, true);
          this.pos += 5;
        } else {
          this.u8(T_FLOAT);
          this.f64(v);
        }
        return;
      case "string":
        this.string(v);
        return;
      case "boolean":
        this.u8(v ? T_TRUE : T_FALSE);
        return;
      case "undefined":
        this.u8(T_UNDEFINED);
        return;
      case "bigint":
        this.u8(T_BIGINT);
        this.bigint(v);
        return;
      case "object":
        if (v === null) this.u8(T_NULL);
        else this.object(v);
        return;
      case "function":
        throw this.refuse(v, `a function (${v.name || "anonymous"})`);
      default:
        throw this.refuse(v, "a symbol");
    }
  }

  object(v: object): void {
    const seen = this.indexOf(v);
    if (seen >= 0) {
      this.u8(T_BACKREF);
      this.u32(seen);
      return;
    }
    if (Array.isArray(v)) {
      this.remember(v);
      this.array(v);
      return;
    }
    const proto = Object.getPrototypeOf(v);
    if (proto === Object.prototype || proto === null) {
      this.remember(v);
      this.u8(proto === null ? T_NULL_PROTO : T_OBJECT);
      this.fields(v as Record<string, unknown>);
      return;
    }
    this.special(v, proto);
  }

  array(v: unknown[]): void {
    const n = v.length;
    // Holes first: a sparse array is written otherwise, and what is written
    // cannot be taken back (objects in it are numbered as they are written).
    // A hole reads through to the prototype: when that has enumerable keys
    // (an index set on Array.prototype), every element is checked as own.
    const inherited = enumerates(Object.getPrototypeOf(v));
    for (let i = 0; i < n; i++) {
      if ((inherited || v[i] === undefined) && !Object.hasOwn(v, i)) {
        this.sparse(v);
        return;
      }
    }
    this.u8(T_ARRAY);
    this.u32(n);
    for (let i = 0; i < n; i++) this.value(v[i]);
  }

  /** Only own elements: `for…in` would add inherited enumerable indices. */
  sparse(v: unknown[]): void {
    const n = v.length;
    this.u8(T_SPARSE);
    this.u32(n);
    const countAt = this.pos;
    this.u32(0);
    let count = 0;
    for (const key of Object.keys(v)) {
      const index = Number(key);
      if (!Number.isInteger(index) || index < 0 || index >= n) continue;
      this.u32(index);
      this.value(v[index]);
      count++;
    }
    this.view.setUint32(countAt, count, true);
  }

  fields(v: Record<string, unknown>): void {
    const keys = Object.keys(v);
    this.u32(keys.length);
    for (let i = 0; i < keys.length; i++) {
      const key = keys[i];
      this.string(key);
      this.value(v[key]);
    }
  }

  /** Numbers an object about to be written (see indexOf). */
  remember(v: object): void {
    const index = this.objects++;
    if (index < SEEN_LIST) this.seenList[index] = v;
    else this.seen.set(v, index);
  }

  /** The number of an object written before, or -1. */
  indexOf(v: object): number {
    const list = this.seenList;
    for (let i = Math.min(this.objects, SEEN_LIST) - 1; i >= 0; i--) {
      if (list[i] === v) return i;
    }
    return this.objects <= SEEN_LIST ? -1 : this.seen.get(v) ?? -1;
  }

  special(v: object, proto: object): void {
    this.remember(v);
    if (proto === Map.prototype) {
      const map = v as Map<unknown, unknown>;
      this.u8(T_MAP);
      this.u32(map.size);
      for (const [key, value] of map) {
        this.value(key);
        this.value(value);
      }
      return;
    }
    if (proto === Set.prototype) {
      const set = v as Set<unknown>;
      this.u8(T_SET);
      this.u32(set.size);
      for (const item of set) this.value(item);
      return;
    }
    if (v instanceof Date) {
      this.u8(T_DATE);
      this.f64(v.getTime());
      return;
    }
    if (v instanceof RegExp) {
      this.u8(T_REGEXP);
      this.string(v.source);
      this.string(v.flags);
      return;
    }
    if (ArrayBuffer.isView(v)) {
      this.view_(v as AnyView);
      return;
    }
    if (v instanceof ArrayBuffer) {
      this.u8(T_BUFFER);
      this.u32(this.bufferIndex(v, null));
      return;
    }
    if (v instanceof SharedArrayBuffer) {
      if (this.foreign) throw this.refuse(v, "a SharedArrayBuffer");
      this.u8(T_SAB);
      this.u32(this.sabIndex(v));
      return;
    }
    if (v instanceof Boolean) {
      this.u8(v.valueOf() ? T_BOXED_TRUE : T_BOXED_FALSE);
      return;
    }
    if (v instanceof Number) {
      this.u8(T_BOXED_NUMBER);
      this.f64(v.valueOf());
      return;
    }
    if (v instanceof String) {
      this.u8(T_BOXED_STRING);
      this.string(v.valueOf());
      return;
    }
    if (v instanceof BigInt) {
      this.u8(T_BOXED_BIGINT);
      this.bigint((v as unknown as { valueOf(): bigint }).valueOf());
      return;
    }
    if (v instanceof Error) {
      this.error(v);
      return;
    }
    const shared = shareOf(v);
    if (shared !== undefined) {
      if (this.foreign) throw this.refuse(v, describeType(v));
      retain(shared.ref);
      this.handles.push(shared.ref);
      this.u8(T_HANDLE);
      this.u8(shared.kind);
      this.u32(shared.ref);
      return;
    }
    const extension = extensionOf(proto);
    if (extension >= 0) {
      if (this.foreign && !extensions[extension].foreign) {
        throw this.refuse(v, describeType(v));
      }
      this.u8(T_EXTENSION);
      this.string(extensions[extension].name);
      this.value(extensions[extension].state(v));
      return;
    }
    const ctor = (proto as { constructor?: unknown }).constructor;
    if (typeof ctor !== "function" || isNative(ctor) || isGlobal(ctor)) {
      throw this.refuse(v, describeType(v));
    }
    const index = this.classRef(ctor as abstract new () => unknown, v);
    this.u8(T_INSTANCE);
    this.u32(index);
    this.fields(v as Record<string, unknown>);
  }

  error(v: Error): void {
    let type = 0;
    let proto = Object.getPrototypeOf(v);
    let cls = -1;
    for (let p = proto; p !== null; p = Object.getPrototypeOf(p)) {
      const builtin = ERROR_TYPES.findIndex((e) => e.prototype === p);
      if (builtin >= 0) {
        type = builtin;
        break;
      }
    }
    while (proto !== null && !Object.hasOwn(proto, "constructor")) {
      proto = Object.getPrototypeOf(proto);
    }
    const ctor = proto?.constructor;
    if (
      typeof ctor === "function" && !isNative(ctor) && !isGlobal(ctor) &&
      ERROR_TYPES.every((e) => e !== ctor)
    ) {
      cls = this.classRef(ctor, v, true);
    }
    this.u8(T_ERROR);
    this.u8(type);
    this.i32(cls);
    this.value(String(v.name));
    this.value(String(v.message));
    const stack = v.stack;
    this.value(typeof stack === "string" ? stack : undefined);
    const hasCause = Object.hasOwn(v, "cause");
    this.u8(hasCause ? 1 : 0);
    if (hasCause) this.value(v.cause);
    const own: Record<string, unknown> = {};
    for (const key of Object.keys(v)) {
      if (key !== "cause" && key !== "message" && key !== "stack") {
        own[key] = (v as unknown as Record<string, unknown>)[key];
      }
    }
    this.fields(own);
  }

  view_(v: AnyView): void {
    const type = VIEW_TYPES.findIndex((t) => v instanceof t);
    if (type < 0) throw this.refuse(v, describeType(v));
    const length = v instanceof DataView
      ? v.byteLength
      : (v as Int8Array).length;
    if (v.buffer instanceof SharedArrayBuffer) {
      if (this.foreign) throw this.refuse(v, "a view of shared memory");
      this.u8(T_SAB_VIEW);
      this.u8(type);
      this.u32(this.sabIndex(v.buffer));
      this.u32(v.byteOffset);
      this.u32(length);
      return;
    }
    const buffer = this.bufferIndex(v.buffer, v);
    this.u8(T_VIEW);
    this.u8(type);
    this.u32(buffer);
    this.viewOffsets[buffer].push(this.pos);
    this.u32(v.byteOffset);
    this.u32(length);
  }

  bufferIndex(buffer: ArrayBufferLike, view: AnyView | null): number {
    const at = this.buffers.indexOf(buffer);
    if (at >= 0) {
      // A second view, or the buffer itself: the whole buffer travels.
      this.bufferViews[at] = null;
      return at;
    }
    this.buffers.push(buffer);
    this.bufferViews.push(view);
    this.viewOffsets.push([]);
    return this.buffers.length - 1;
  }

  sabIndex(sab: SharedArrayBuffer): number {
    const at = this.sabs.indexOf(sab);
    if (at >= 0) return at;
    this.sabs.push(sab);
    return this.sabs.length - 1;
  }

  /**
   * The index of `ctor` in the class table. An error's class is `optional`:
   * where it cannot be found, the error arrives as its built-in type. Any
   * other class must be exported (`v`, its instance, is named if not).
   */
  classRef(
    ctor: abstract new (...args: never[]) => unknown,
    v: object,
    optional = false,
  ): number {
    let index = this.classIndex.get(ctor);
    if (index === undefined) {
      index = this.classes.push(describeClass(ctor, this.modules)) - 1;
      this.classOptional.push(true);
      this.classIndex.set(ctor, index);
    }
    if (!optional && this.classOptional[index]) {
      const { unexported } = this.classes[index];
      if (unexported !== undefined) {
        throw this.refuse(
          v,
          `an instance of class ${ctor.name || "(anonymous)"}, which is ` +
            `not exported (${unexported})`,
        );
      }
      this.classOptional[index] = false;
    }
    return index;
  }

  /** Writes the side section and the head; returns the message's length. */
  finish(): number {
    let flags = 0;
    if (
      this.buffers.length > 0 || this.classes.length > 0 ||
      this.handles.length > 0
    ) {
      flags |= F_SIDE;
      this.view.setUint32(1, this.pos, true);
      this.u32(this.buffers.length);
      for (let i = 0; i < this.buffers.length; i++) this.buffer(i);
      this.u32(this.classes.length);
      this.classes.forEach((ref, i) => {
        this.u8(this.classOptional[i] ? 1 : 0);
        this.codeRef(ref);
      });
      this.u32(this.handles.length);
      for (const ref of this.handles) this.u32(ref);
    }
    if (this.handles.length > 0) flags |= F_HANDLES;
    if (this.classes.length > 0) flags |= F_CLASSES;
    if (this.sabs.length > 0) flags |= F_SABS;
    this.buf[0] = flags;
    return this.pos;
  }

  buffer(i: number): void {
    const buffer = this.buffers[i] as ArrayBuffer;
    const view = this.bufferViews[i];
    if (view !== null) {
      // Only one view over it: its bytes alone, at offset 0.
      const bytes = new Uint8Array(buffer, view.byteOffset, view.byteLength);
      for (const at of this.viewOffsets[i]) this.view.setUint32(at, 0, true);
      this.u8(0);
      this.u32(bytes.length);
      this.raw(bytes);
      return;
    }
    this.u8(buffer.resizable ? 1 : 0);
    this.u32(buffer.byteLength);
    if (buffer.resizable) this.u32(buffer.maxByteLength);
    this.raw(new Uint8Array(buffer));
  }

  codeRef(ref: CodeRef): void {
    this.string(ref.name);
    this.string(ref.source);
    this.u32(ref.modules.length);
    for (const url of ref.modules) this.string(url);
    // This library's own classes (ThreadError...) are found by their name.
    this.string(ref.lib ?? "");
    this.string(ref.home ?? "");
  }
}

let writer = new Writer();

/** An encoded value in this thread's buffer (see {@linkcode encodeRaw}). */
export interface RawEncoded {
  /** The writer's buffer: the message is its first `length` bytes. */
  buffer: Uint8Array;
  length: number;
  sabs: SharedArrayBuffer[];
  /**
   * The buffer is the caller's own: no later encode writes into it (so it
   * may be kept, or transferred). Otherwise the next encode reuses it.
   */
  owned: boolean;
}

/** Bytes of buffer a thread's writer keeps for its next encode. */
const KEPT_BYTES = 1 << 20;
const raw: RawEncoded = {
  buffer: new Uint8Array(0),
  length: 0,
  sabs: NO_SABS,
  owned: false,
};

/**
 * Encodes `value` into this thread's buffer, valid until the next encode,
 * without creating a view of it (the fast path of queue items). `path` names
 * it in errors (`args[1].callback`); `modules` lists where the classes of
 * instances in it may be exported. Primitives in the value are retained for
 * the encoded copy: consume the bytes with {@linkcode decode} or drop them
 * with {@linkcode discard}. The result object is reused: take its fields at
 * once. With `foreign`, the value is to leave the process (see above).
 *
 * @throws {TypeError} When the value holds something that cannot cross.
 */
export function encodeRaw(
  value: unknown,
  path: string,
  modules: Modules,
  foreign = false,
): RawEncoded {
  // A getter read while encoding may itself encode: it gets its own writer.
  const w = writer.busy ? new Writer() : writer;
  w.busy = true;
  w.reset(modules, value, path, foreign);
  try {
    w.value(value);
    const length = w.finish();
    const sabs = w.sabs.length > 0 ? w.sabs : NO_SABS;
    if (w === writer && w.buf.length <= KEPT_BYTES) {
      raw.length = length;
      raw.buffer = w.buf;
      raw.sabs = sabs;
      return raw;
    }
    // A large buffer is let go (a fresh object, so that none of this
    // module's keeps it alive).
    return { buffer: w.buf, length, sabs, owned: true };
  } catch (error) {
    for (const ref of w.handles) release(ref);
    throw error;
  } finally {
    w.clear();
    w.busy = false;
    if (w === writer && w.buf.length > KEPT_BYTES) writer = new Writer();
  }
}

/**
 * Encodes `value`: as {@linkcode encodeRaw}, with a view of exactly the
 * message's bytes.
 *
 * @throws {TypeError} When the value holds something that cannot cross.
 */
export function encode(
  value: unknown,
  path: string,
  modules: Modules,
  foreign = false,
): Encoded {
  const { buffer, length, sabs } = encodeRaw(value, path, modules, foreign);
  return { bytes: buffer.subarray(0, length), sabs };
}

/**
 * Marks a message that came from outside the process (in place): it is
 * decoded as foreign from now on, wherever it goes (see above).
 */
export function markForeign(bytes: Uint8Array): void {
  if (bytes.length > 0) bytes[0] |= F_FOREIGN;
}

/** Whether a message was marked foreign. */
export function isForeign(bytes: Message): boolean {
  return (flagsOf(bytes) & F_FOREIGN) !== 0;
}

/**
 * An encoded value: a view of its bytes, or, for one in shared memory, the
 * heap offset where it starts (which spares creating a view).
 */
export type Message = Uint8Array | number;

function flagsOf(bytes: Message): number {
  return typeof bytes === "number" ? heap().u8[bytes] : bytes[0];
}

/**
 * Whether an encoded value whose first byte is `first` holds references to
 * primitives (what {@linkcode discard} drops).
 */
export function holdsReferences(first: number): boolean {
  return (first & F_HANDLES) !== 0;
}

/**
 * Whether an encoded value whose first byte is `first` holds instances of
 * classes (what {@linkcode missingClass} looks for).
 */
export function holdsClasses(first: number): boolean {
  return (first & F_CLASSES) !== 0;
}

/** Drops the references an encoded copy holds (it will not be decoded). */
export function discard(bytes: Message): void {
  if ((flagsOf(bytes) & F_HANDLES) === 0) return;
  const r = Reader.take(bytes, NO_SABS);
  try {
    r.skipToHandles();
    for (let n = r.u32(); n > 0; n--) release(r.u32());
  } finally {
    r.done();
  }
}

/**
 * The error for a value holding an instance that cannot be rebuilt here:
 * a TypeError that names the class and its module, carrying the value with
 * such instances as plain objects (`error.value`), so that nothing is lost.
 */
function unrebuildable(
  message: string,
  value: unknown,
  cause?: unknown,
): TypeError {
  const error = new TypeError(
    message,
    cause === undefined ? undefined : { cause },
  ) as TypeError & { value: unknown };
  error.value = value;
  return error;
}

/**
 * Decodes a message with the shared buffers that travelled with it. Unless
 * `spend` is false, the message is used up: the references it held are
 * dropped (the handles it rebuilt hold their own).
 *
 * @throws {TypeError} When it holds an instance of a class this thread
 * cannot reach now (see _locate.ts): the message is read all the same (and
 * used up unless `spend` is false), and the error's `value` holds what it
 * holds, such instances as plain objects.
 */
export function decode(
  bytes: Message,
  sabs: SharedArrayBuffer[] = NO_SABS,
  spend = true,
): unknown {
  const value = read(bytes, sabs, spend);
  if (unreachable !== undefined) {
    const ref = unreachable;
    unreachable = undefined;
    throw unrebuildable(
      unreachableForeign ? fromOutside(ref) : cannotRebuild(ref),
      value,
    );
  }
  return value;
}

/**
 * Why a class named by a value from outside this process (stored in Redis)
 * is not rebuilt: such a value never imports a module on its own say-so.
 */
function fromOutside(ref: CodeRef): string {
  return `Cannot rebuild an instance of class ${
    ref.name || "(anonymous)"
  } from outside this process: its module (${
    ref.home ?? ref.modules[0] ?? "its module"
  }) is not loaded in this thread, and a value from outside never imports a ` +
    `module on its own say-so. Import the module in this program first.`;
}

/**
 * Decodes a message without using it up, as data: an instance of a class
 * this thread cannot reach now comes back as a plain object holding its
 * fields, with no error (to order queued items, which only their fields do).
 */
export function decodeData(
  bytes: Message,
  sabs: SharedArrayBuffer[] = NO_SABS,
): unknown {
  const value = read(bytes, sabs, false);
  unreachable = undefined;
  return value;
}

/** The first class the last read() could not reach, if any. */
let unreachable: CodeRef | undefined;
/** Whether that read was of a value from outside this process. */
let unreachableForeign = false;

function read(
  bytes: Message,
  sabs: SharedArrayBuffer[],
  spend: boolean,
): unknown {
  const r = Reader.take(bytes, sabs);
  try {
    if ((r.flags() & F_SIDE) !== 0) {
      r.side();
      for (let i = 0; i < r.classRefs.length; i++) {
        const found = resolveClassSync(r.classRefs[i]);
        if (found === undefined && !r.classOptional[i]) {
          unreachable ??= r.classRefs[i];
          unreachableForeign = r.foreign;
        }
        r.classes.push(found ?? null);
      }
    }
    const value = r.value();
    if (r.foreign && r.pos !== r.valueEnd()) {
      throw new TypeError("Corrupt message: bytes left after its value");
    }
    if (spend) r.releaseHandles();
    return value;
  } catch (error) {
    unreachable = undefined;
    throw r.foreign ? corrupt(error) : error;
  } finally {
    r.done();
  }
}

/** A fault in a foreign message, as the TypeError it is to its reader. */
function corrupt(error: unknown): TypeError {
  if (error instanceof TypeError) return error;
  return new TypeError(
    `Cannot decode a value from outside this process: it was not written ` +
      `by this library's codec, or is damaged (${
        error instanceof Error ? error.message : String(error)
      })`,
    { cause: error },
  );
}

/**
 * Decodes a message (and, unless `spend` is false, uses it up), importing
 * the modules of classes this thread has not loaded yet (the modules the
 * sender named).
 *
 * @throws {TypeError} (rejects) When a class it holds cannot be found even
 * so: the message is read all the same, as by {@linkcode decode}.
 */
export async function decodeAsync(
  bytes: Uint8Array,
  sabs: SharedArrayBuffer[] = NO_SABS,
  spend = true,
): Promise<unknown> {
  // Its own reader: the awaits would let other decodes in meanwhile.
  const r = new Reader();
  r.start(bytes, sabs);
  // A foreign value imports nothing on its say-so: what is loaded, or the
  // TypeError that carries its data.
  if (r.foreign) return decode(bytes, sabs, spend);
  let failure: { ref: CodeRef; error: unknown } | undefined;
  if ((r.flags() & F_SIDE) !== 0) {
    r.side();
    r.classes = await Promise.all(
      r.classRefs.map((ref, i) =>
        resolveClass(ref).catch((error) => {
          if (!r.classOptional[i]) failure ??= { ref, error };
          return null;
        })
      ),
    );
  }
  const pending: Promise<unknown>[] = [];
  r.async = pending;
  const value = r.value();
  if (spend) r.releaseHandles();
  await Promise.all(pending);
  if (failure !== undefined) {
    const { ref, error } = failure;
    throw unrebuildable(
      `Cannot rebuild an instance of class ${ref.name || "(anonymous)"}: ${
        (error as Error)?.message ?? String(error)
      }`,
      value,
      error,
    );
  }
  return value;
}

/** The first class an encoded value holds that this thread has not loaded. */
export function missingClass(bytes: Message): CodeRef | undefined {
  if ((flagsOf(bytes) & F_CLASSES) === 0) return undefined;
  const r = Reader.take(bytes, NO_SABS);
  try {
    r.side();
    return r.classRefs.find((ref, i) =>
      !r.classOptional[i] && resolveClassSync(ref) === undefined
    );
  } finally {
    r.done();
  }
}

// Short strings repeat (keys above all): a direct-mapped cache of them.
const STRING_CACHE = 4096;
const strings: (string | undefined)[] = new Array(STRING_CACHE);

type Constructor = abstract new () => unknown;

const NO_BYTES = new Uint8Array(0);

/** Reads values from a message. One per thread is reused (see take()). */
class Reader {
  /** The whole buffer the message lies in, and a view of it. */
  buf: Uint8Array = NO_BYTES;
  view: DataView = new DataView(NO_BYTES.buffer);
  /** Where the message starts in `buf`. */
  base = 0;
  pos = 0;
  sabs: SharedArrayBuffer[] = NO_SABS;
  objects: unknown[] = [];
  buffers: ArrayBufferLike[] = [];
  classRefs: CodeRef[] = [];
  classOptional: boolean[] = [];
  /** The classes, resolved; null for an error's class not found here. */
  classes: (Constructor | null)[] = [];
  handlesAt = -1;
  async: Promise<unknown>[] | undefined;
  /** A foreign message (see above), and where its bytes end. */
  foreign = false;
  end = 0;
  busy = false;

  static #free = new Reader();

  /** The thread's reader (a new one when it is busy), set on a message. */
  static take(bytes: Message, sabs: SharedArrayBuffer[]): Reader {
    const r = Reader.#free.busy ? new Reader() : Reader.#free;
    r.busy = true;
    r.start(bytes, sabs);
    return r;
  }

  start(bytes: Message, sabs: SharedArrayBuffer[]): void {
    const h = heap();
    if (typeof bytes === "number" || bytes.buffer === h.sab) {
      // Messages in the heap need no view of their own.
      this.buf = h.u8;
      this.view = h.view;
    } else if (bytes.buffer !== this.buf.buffer) {
      this.buf = new Uint8Array(bytes.buffer);
      this.view = new DataView(bytes.buffer);
    }
    this.base = typeof bytes === "number" ? bytes : bytes.byteOffset;
    this.pos = this.base + HEAD;
    this.sabs = sabs;
    this.foreign = (this.buf[this.base] & F_FOREIGN) !== 0;
    this.end = typeof bytes === "number"
      ? this.buf.length
      : bytes.byteOffset + bytes.length;
  }

  /** Lets go of what the last message held, for the next one. */
  done(): void {
    if (this.objects.length > 0) this.objects.length = 0;
    if (this.buffers.length > 0) this.buffers.length = 0;
    if (this.classRefs.length > 0) {
      this.classRefs.length = 0;
      this.classOptional.length = 0;
      this.classes.length = 0;
    }
    this.sabs = NO_SABS;
    this.async = undefined;
    this.handlesAt = -1;
    this.busy = false;
  }

  flags(): number {
    return this.buf[this.base];
  }

  u8(): number {
    return this.buf[this.pos++];
  }

  u32(): number {
    const v = this.view.getUint32(this.pos, true);
    this.pos += 4;
    return v;
  }

  i32(): number {
    const v = this.view.getInt32(this.pos, true);
    this.pos += 4;
    return v;
  }

  f64(): number {
    const v = this.view.getFloat64(this.pos, true);
    this.pos += 8;
    return v;
  }

  /** Reads the side section, then comes back to the value. */
  side(): void {
    const back = this.pos;
    this.pos = this.base + this.view.getUint32(this.base + 1, true);
    for (let n = this.u32(); n > 0; n--) this.buffers.push(this.buffer());
    for (let n = this.u32(); n > 0; n--) {
      this.classOptional.push(this.u8() === 1);
      this.classRefs.push(this.codeRef());
    }
    this.handlesAt = this.pos;
    this.pos = back;
  }

  skipToHandles(): void {
    this.side();
    this.pos = this.handlesAt;
  }

  releaseHandles(): void {
    if ((this.flags() & F_HANDLES) === 0) return;
    this.pos = this.handlesAt;
    for (let n = this.u32(); n > 0; n--) release(this.u32());
  }

  buffer(): ArrayBufferLike {
    const kind = this.u8();
    const length = this.u32();
    const max = kind === 1 ? this.u32() : undefined;
    if (
      this.foreign && (length > this.end - this.pos || (max ?? 0) > 1 << 30)
    ) {
      throw new TypeError("Corrupt message: a buffer longer than the message");
    }
    const buffer = new ArrayBuffer(
      length,
      max === undefined ? undefined : { maxByteLength: max },
    );
    new Uint8Array(buffer).set(this.buf.subarray(this.pos, this.pos + length));
    this.pos += length;
    return buffer;
  }

  codeRef(): CodeRef {
    const name = this.string(this.u8());
    const source = this.string(this.u8());
    const modules: string[] = [];
    for (let n = this.u32(); n > 0; n--) modules.push(this.string(this.u8()));
    const lib = this.string(this.u8());
    const home = this.string(this.u8());
    const ref: CodeRef = { name, source, modules };
    if (lib !== "") ref.lib = lib;
    if (home !== "") ref.home = home;
    return ref;
  }

  string(tag: number): string {
    switch (tag) {
      case T_LATIN1:
        return this.latin1(this.u8());
      case T_UTF16: {
        const n = this.u32();
        let out = "";
        for (let i = 0; i < n; i++) {
          out += String.fromCharCode(this.view.getUint16(this.pos, true));
          this.pos += 2;
        }
        return out;
      }
      case T_UTF8: {
        const n = this.u32();
        // TextDecoder refuses views of shared memory: copy those.
        const bytes = this.buf.buffer instanceof SharedArrayBuffer
          ? this.buf.slice(this.pos, this.pos + n)
          : this.buf.subarray(this.pos, this.pos + n);
        this.pos += n;
        return utf8Decoder.decode(bytes);
      }
      default:
        throw new TypeError(`Corrupt message: a string expected, got ${tag}`);
    }
  }

  latin1(n: number): string {
    const b = this.buf;
    const s = this.pos;
    this.pos += n;
    if (n > 32) return latin1(b, s, n);
    let h = n;
    for (let i = 0; i < n; i++) h = Math.imul(h ^ b[s + i], 16777619);
    const slot = h >>> 20;
    const known = strings[slot];
    if (known !== undefined && known.length === n) {
      let i = 0;
      while (i < n && known.charCodeAt(i) === b[s + i]) i++;
      if (i === n) return known;
    }
    return strings[slot] = latin1(b, s, n);
  }

  bigint(): bigint {
    const negative = this.u8() === 1;
    const n = this.u32();
    let v: bigint;
    if (n === 8) {
      v = this.view.getBigUint64(this.pos, false);
    } else {
      const bytes = this.buf.subarray(this.pos, this.pos + n) as HexBytes;
      v = BigInt("0x" + bytes.toHex());
    }
    this.pos += n;
    return negative ? -v : v;
  }

  value(): unknown {
    const tag = this.buf[this.pos++];
    switch (tag) {
      case T_INT: {
        const v = this.view.getInt32(this.pos, true);
        this.pos += 4;
        return v;
      }
      case T_LATIN1:
        return this.latin1(this.buf[this.pos++]);
      case T_UNDEFINED:
        return undefined;
      case T_NULL:
        return null;
      case T_FALSE:
        return false;
      case T_TRUE:
        return true;
      case T_FLOAT:
        return this.f64();
      case T_BIGINT:
        return this.bigint();
      case T_UTF16:
      case T_UTF8:
        return this.string(tag);
      case T_ARRAY: {
        const n = this.u32();
        const out = new Array(n);
        this.objects.push(out);
        for (let i = 0; i < n; i++) out[i] = this.value();
        return out;
      }
      case T_SPARSE: {
        const out = new Array(this.u32());
        this.objects.push(out);
        for (let n = this.u32(); n > 0; n--) {
          const index = this.u32();
          out[index] = this.value();
        }
        return out;
      }
      case T_OBJECT: {
        const out: Record<string, unknown> = {};
        this.objects.push(out);
        this.fields(out);
        return out;
      }
      case T_NULL_PROTO: {
        const out = Object.create(null) as Record<string, unknown>;
        this.objects.push(out);
        this.fields(out);
        return out;
      }
      case T_BACKREF:
        return this.objects[this.index(this.objects.length)];
      default:
        return this.special(tag);
    }
  }

  fields(out: Record<string, unknown>, define = false): void {
    for (let n = this.u32(); n > 0; n--) {
      const key = this.string(this.u8());
      const value = this.value();
      if (define || key === "__proto__") {
        Object.defineProperty(out, key, {
          value,
          writable: true,
          enumerable: true,
          configurable: true,
        });
      } else {
        out[key] = value;
      }
    }
  }

  special(tag: number): unknown {
    switch (tag) {
      case T_MAP: {
        const out = new Map();
        this.objects.push(out);
        for (let n = this.u32(); n > 0; n--) {
          const key = this.value();
          out.set(key, this.value());
        }
        return out;
      }
      case T_SET: {
        const out = new Set();
        this.objects.push(out);
        for (let n = this.u32(); n > 0; n--) out.add(this.value());
        return out;
      }
      case T_DATE:
        return this.push(new Date(this.f64()));
      case T_REGEXP: {
        const source = this.string(this.u8());
        return this.push(new RegExp(source, this.string(this.u8())));
      }
      case T_BOXED_TRUE:
        return this.push(Object(true));
      case T_BOXED_FALSE:
        return this.push(Object(false));
      case T_BOXED_NUMBER:
        return this.push(Object(this.f64()));
      case T_BOXED_STRING:
        return this.push(Object(this.string(this.u8())));
      case T_BOXED_BIGINT:
        return this.push(Object(this.bigint()));
      case T_ERROR:
        return this.error();
      case T_BUFFER:
        return this.push(this.buffers[this.index(this.buffers.length)]);
      case T_VIEW: {
        const type = VIEW_TYPES[this.u8()] as unknown as ViewType;
        const buffer = this.buffers[this.index(this.buffers.length)];
        const offset = this.u32();
        return this.push(new type(buffer, offset, this.u32()));
      }
      case T_SAB:
        this.local(tag);
        return this.push(this.sab(this.u32()));
      case T_SAB_VIEW: {
        this.local(tag);
        const type = VIEW_TYPES[this.u8()] as unknown as ViewType;
        const sab = this.sab(this.u32());
        const offset = this.u32();
        return this.push(new type(sab, offset, this.u32()));
      }
      case T_HANDLE: {
        this.local(tag);
        const kind = this.u8();
        return this.push(adopt(kind, this.u32(), this.async));
      }
      case T_EXTENSION: {
        const index = this.objects.length;
        this.objects.push(undefined);
        const name = this.string(this.u8());
        const extension = extensionsByName.get(name);
        if (extension === undefined) {
          throw new TypeError(
            `Cannot rebuild a ${name}: the module that defines it is not ` +
              `loaded in this thread`,
          );
        }
        if (this.foreign && !extension.foreign) this.local(tag);
        const out = extension.build(this.value(), this.async, this.foreign);
        this.objects[index] = out;
        return out;
      }
      case T_INSTANCE: {
        // A class not found here: its fields, as a plain object.
        const cls = this.classes[this.u32()];
        const out =
          (cls === null ? {} : Object.create(cls.prototype)) as Record<
            string,
            unknown
          >;
        this.objects.push(out);
        this.fields(out, true);
        return out;
      }
      default:
        throw new TypeError(`Corrupt message: unknown tag ${tag}`);
    }
  }

  push<T>(value: T): T {
    this.objects.push(value);
    return value;
  }

  /** An index into a table of `size`, checked when the message is foreign. */
  index(size: number): number {
    const i = this.u32();
    if (this.foreign && i >= size) {
      throw new TypeError("Corrupt message: a reference to nothing");
    }
    return i;
  }

  /** Where the value must end: at the side section, or the message's end. */
  valueEnd(): number {
    return (this.flags() & F_SIDE) !== 0
      ? this.base + this.view.getUint32(this.base + 1, true)
      : this.end;
  }

  /** Refuses, in a foreign message, what only this process can hold. */
  local(tag: number): void {
    if (this.foreign) {
      throw new TypeError(
        `Corrupt message: a value from outside this process refers to ` +
          `this process's memory (tag ${tag})`,
      );
    }
  }

  sab(index: number): SharedArrayBuffer {
    const sab = this.sabs[index];
    if (sab === undefined) {
      throw new TypeError("Corrupt message: a shared buffer is missing");
    }
    return sab;
  }

  error(): Error {
    const type = ERROR_TYPES[this.u8()];
    const index = this.i32();
    const cls = index >= 0 ? this.classes[index] : null;
    // A real error (with its internal slot), of its class where known here.
    const out = new type();
    if (cls !== null) Object.setPrototypeOf(out, cls.prototype);
    this.objects.push(out);
    const name = this.value() as string;
    const message = this.value() as string;
    const stack = this.value();
    const hidden = (key: string, value: unknown): void => {
      Object.defineProperty(out, key, {
        value,
        writable: true,
        enumerable: false,
        configurable: true,
      });
    };
    hidden("message", message);
    if (stack !== undefined) hidden("stack", stack);
    if (this.u8() === 1) hidden("cause", this.value());
    if (out.name !== name) hidden("name", name);
    this.fields(out as unknown as Record<string, unknown>, true);
    return out;
  }
}

function latin1(b: Uint8Array, s: number, n: number): string {
  if (n <= 4) {
    switch (n) {
      case 0:
        return "";
      case 1:
        return String.fromCharCode(b[s]);
      case 2:
        return String.fromCharCode(b[s], b[s + 1]);
      case 3:
        return String.fromCharCode(b[s], b[s + 1], b[s + 2]);
      default:
        return String.fromCharCode(b[s], b[s + 1], b[s + 2], b[s + 3]);
    }
  }
  let out = "";
  for (let i = 0; i < n; i += 4096) {
    out += String.fromCharCode.apply(
      null,
      b.subarray(s + i, s + Math.min(n, i + 4096)) as unknown as number[],
    );
  }
  return out;
}
