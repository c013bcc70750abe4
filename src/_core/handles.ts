// Rebuilding a handle in another thread: the one owner of how a primitive's
// object (a Lock, a Queue...) is made again, in any thread, over the block of
// shared memory that holds its state.
//
// Each primitive's block counts its references: one per live handle in any
// thread, one per encoded copy (a queue item, a thread's arguments...) not yet
// consumed. A handle's reference is dropped when the handle is collected (a
// FinalizationRegistry) or when its isolate closes (releaseAll); the last one
// frees the block, after the kind's `destroy` dropped what the block holds.
// Registering a handle costs ~300 ns, less than the SharedArrayBuffer each
// primitive used to allocate (600-900 ns).
import {
  alloc,
  flushMagazines,
  free,
  kindOf,
  retain,
  unretain,
} from "./heap.ts";
import { KINDS } from "./layout.ts";

// deno-lint-ignore no-explicit-any
type Constructor = abstract new (...args: any[]) => object;

interface Kind {
  cls: Constructor;
  refOf: (handle: object) => number;
  destroy: ((ref: number) => void) | undefined;
  prepare: ((handle: object, async: Promise<unknown>[]) => void) | undefined;
}

/** What a kind may add to {@linkcode defineKind}'s required parts. */
export interface KindOptions<T> {
  /** Drops what the block holds, before the block is freed. */
  destroy?: (ref: number) => void;
  /** Starts, in an asynchronous decode, what the handle will need at once. */
  prepare?: (handle: T, async: Promise<unknown>[]) => void;
}

const kinds: (Kind | undefined)[] = new Array(KINDS);
const byPrototype = new Map<object, number>();
// The references this isolate's handles hold, released when it closes: a
// slot each (no hashing: a handle is made per task of an executor), the
// slots of collected handles reused.
let held = new Int32Array(1024);
let used = 0;
const vacant: number[] = [];
let closed = false;
const finalizer = new FinalizationRegistry<number>((slot) => {
  if (closed) return;
  const ref = held[slot];
  held[slot] = 0;
  vacant.push(slot);
  release(ref);
});

let adopting = 0;

/** Declares a primitive: its class and how to read a handle's ref. */
export function defineKind<T extends object>(
  kind: number,
  cls: abstract new (...args: never[]) => T,
  refOf: (handle: T) => number,
  options: KindOptions<T> = {},
): void {
  kinds[kind] = {
    cls: cls as unknown as Constructor,
    refOf: refOf as (handle: object) => number,
    destroy: options.destroy,
    prepare: options.prepare as Kind["prepare"],
  };
  byPrototype.set(cls.prototype, kind);
}

/**
 * What naming does at a primitive's construction: module-level sharing
 * (_module_level.ts) makes a primitive constructed at a module's top level
 * the one kept under its site's name.
 */
export interface Naming {
  /** The block (retained once) a new primitive of `kind` is built over, or 0. */
  ref(kind: number): number;
  /** A block of `kind` was made for the construction under way. */
  created(ref: number, kind: number): void;
  /** Its handle is complete; true when its reference was taken already. */
  settle(ref: number): boolean;
  /** The last reference to `ref` is gone. */
  forget(ref: number): void;
}

let naming: Naming | undefined;

/** Installs the naming (once, from _module_level.ts). */
export function setNaming(n: Naming): void {
  naming = n;
}

/**
 * The class of `kind` (declared when its module loaded): for a primitive
 * built on another, whose module would otherwise import it back.
 */
export function kindClass(kind: number): Constructor {
  const entry = kinds[kind];
  if (entry === undefined) {
    throw new Error(`@weft/threading: kind ${kind} is not declared`);
  }
  return entry.cls;
}

/**
 * The name of `kind`, the name of its class ("Lock", "SharedMap"...): how
 * reports and traces label it. Undefined for a kind not declared here (raw
 * storage).
 */
export function kindName(kind: number): string | undefined {
  return kinds[kind]?.cls.name;
}

/**
 * For a primitive's constructor: the ref of the block of `kind` it is being
 * rebuilt over (a handle from another thread, or a module-level primitive
 * another thread made: see _module_level.ts), or 0 when it is a new
 * primitive. Call it first, once.
 */
export function adoption(kind: number): number {
  const ref = adopting;
  if (ref === 0) return naming === undefined ? 0 : naming.ref(kind);
  adopting = 0;
  return ref;
}

/** What observation (_observe.ts) does when blocks are made and freed. */
export interface Observer {
  /** Whether anything is observed now: then `created` is called. */
  active(): boolean;
  created(ref: number, kind: number): void;
  destroyed(ref: number): void;
}

let observer: Observer | undefined;

/** Installs the observer (once, from _observe.ts). */
export function setObserver(o: Observer): void {
  observer = o;
}

/** Allocates the block of a new primitive (see {@linkcode track}). */
export function create(kind: number, bytes: number): number {
  const ref = alloc(bytes, kind);
  if (observer?.active()) observer.created(ref, kind);
  naming?.created(ref, kind);
  return ref;
}

/** Makes `handle` hold a reference on `ref` for as long as it lives. */
export function track(handle: object, ref: number): void {
  if (naming === undefined || !naming.settle(ref)) retain(ref);
  let slot = vacant.pop();
  if (slot === undefined) {
    if (used === held.length) {
      const more = new Int32Array(used * 2);
      more.set(held);
      held = more;
    }
    slot = used++;
  }
  held[slot] = ref;
  finalizer.register(handle, slot);
}

/**
 * Builds a handle on `ref`, a block of `kind`: the primitive, in this thread.
 * An asynchronous decode passes `async` for what the kind prepares.
 */
export function adopt(
  kind: number,
  ref: number,
  async?: Promise<unknown>[],
): object {
  const entry = kinds[kind];
  if (entry === undefined || kindOf(ref) !== kind) {
    throw new TypeError(
      `Cannot rebuild a shared object: block ${ref} does not hold kind ${kind}`,
    );
  }
  adopting = ref;
  let handle: object;
  try {
    handle = Reflect.construct(entry.cls, []);
  } finally {
    adopting = 0;
  }
  if (async !== undefined) entry.prepare?.(handle, async);
  return handle;
}

/** The kind and ref of a primitive, or undefined for any other object. */
export function shareOf(
  value: object,
): { kind: number; ref: number } | undefined {
  for (
    let p = Object.getPrototypeOf(value);
    p !== null && p !== Object.prototype;
    p = Object.getPrototypeOf(p)
  ) {
    const kind = byPrototype.get(p);
    if (kind !== undefined) return { kind, ref: kinds[kind]!.refOf(value) };
  }
  return undefined;
}

/** Counts a reference that an encoded copy holds (see {@linkcode release}). */
export { retain };

/** Drops one reference; the last one destroys and frees the block. */
export function release(ref: number): void {
  if (!unretain(ref)) return;
  naming?.forget(ref);
  kinds[kindOf(ref)]?.destroy?.(ref);
  observer?.destroyed(ref);
  free(ref);
}

const onClose: (() => void)[] = [];

/** Registers what to let go of when this isolate closes (see releaseAll). */
export function onReleaseAll(fn: () => void): void {
  onClose.push(fn);
}

/**
 * Drops every reference this isolate's handles hold, and gives back the
 * free blocks it kept: it is closing.
 */
export function releaseAll(): void {
  for (const fn of onClose) fn();
  closed = true;
  for (let slot = 0; slot < used; slot++) {
    if (held[slot] !== 0) release(held[slot]);
  }
  used = 0;
  flushMagazines();
}
