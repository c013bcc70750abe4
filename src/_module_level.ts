// Module-level primitives, shared as Python's module globals are: a
// primitive constructed at the top level of a module is one object in every
// thread that evaluates that module. The one owner of which construction
// counts as module level, and of the registry (in the heap) that maps such a
// construction site to the primitive's block.
//
// A construction is module level when, at the moment it happens,
// - this thread is evaluating modules: in a thread, while this library
//   imports the modules its target, subclass and arguments need (a window it
//   opens around each import); in the main thread, from the start until it
//   first starts a thread (whatever the main thread evaluates later, no
//   thread had a chance to see first). Outside those windows nothing is
//   looked at: in Deno 2.9 (measured) capturing a stack costs ~4 µs whatever
//   the limit, and asking its frames for names and positions (source-mapped)
//   brings a check to ~30 µs, against ~0.7 µs for a Lock's whole
//   construction.
// - and its stack says so: below this library's constructors there are only
//   constructors (a subclass's, or a class whose constructor or field
//   initializers build the primitive) and static initializers, then one
//   frame of unnamed code at the bottom of the stack: a module's body.
//   (A callback the microtask queue runs directly looks the same; within the
//   windows above, that is a module's own code reacting to a promise.)
//
// The site is those frames' positions, the kind, and how many times this
// thread constructed there (a loop at top level makes one per iteration).
// Entries are weak: the registry holds no reference, and the last release of
// a module-level block removes its entry, so a top-level loop that drops
// what it makes leaves nothing behind. A construction site is claimed while
// its first thread builds it; others wait for the claim to settle. A
// ThreadLocal holds no shared memory: its site maps to its id.
import { isMainThread } from "node:worker_threads";
import { alloc, heap, kindOf, wordsAt } from "./_heap.ts";
import {
  B_INFO,
  B_REFS,
  H_MODULES,
  H_MODULES_LOCK,
  K_FUTURE,
  K_RAW,
  MODULE_LEVEL_BIT,
  MR_BELL,
  MR_CLAIMED,
  MR_LOCALS,
  MR_LOCK,
  MR_REFS,
  MR_SITES,
  MR_WORDS,
} from "./_layout.ts";
import { encodeKey, hashBytes } from "./_key_codec.ts";
import {
  entryValue,
  setEntryValue,
  tableAdd,
  tableFind,
  tableRemove,
  tableSize,
} from "./_hash_table.ts";
import { lockWord, unlockWord, waitWord } from "./_wait.ts";
import { adoption, release } from "./_handles.ts";

const LIB_DIR = new URL(".", import.meta.url);
// A call site names a local module by its path, a remote one by its URL.
const LIB_PREFIX = LIB_DIR.protocol === "file:"
  ? decodeURIComponent(LIB_DIR.pathname)
  : LIB_DIR.href;
const MAX_FRAMES = 16;
const WHAT = "module-level";

let windows = isMainThread ? 1 : 0;

/** Opens a window of module evaluation (see above) until `closeWindow()`. */
export function openWindow(): void {
  windows++;
}

/** Closes a window opened by {@linkcode openWindow}. */
export function closeWindow(): void {
  windows--;
}

let mainOpen = isMainThread;

/** The main thread starts its first thread: its own window closes. */
export function closeMainWindow(): void {
  if (!mainOpen) return;
  mainOpen = false;
  windows--;
}

interface CallSite {
  getFileName(): string | null | undefined;
  getLineNumber(): number | null;
  getColumnNumber(): number | null;
  getFunctionName(): string | null;
  isConstructor(): boolean;
}

const collect = (_: unknown, sites: CallSite[]): CallSite[] => sites;

/**
 * The site of the construction under way, or undefined when not module
 * level; `cut` is the function whose caller is the library's constructor.
 */
// deno-lint-ignore ban-types
function siteOf(cut: Function): string | undefined {
  const E = Error as unknown as {
    prepareStackTrace: unknown;
    stackTraceLimit: number;
  };
  const prepare = E.prepareStackTrace;
  const limit = E.stackTraceLimit;
  const holder: { stack?: unknown } = {};
  let frames: CallSite[];
  try {
    E.prepareStackTrace = collect;
    E.stackTraceLimit = MAX_FRAMES;
    Error.captureStackTrace(holder, cut);
    frames = holder.stack as CallSite[];
  } finally {
    E.prepareStackTrace = prepare;
    E.stackTraceLimit = limit;
  }
  if (!Array.isArray(frames) || frames.length >= MAX_FRAMES) return undefined;
  // Each thing a call site tells costs microseconds (Deno maps positions to
  // sources): the shape first, by names, then files and positions.
  const last = frames.length - 1;
  const bottom = frames[last].getFunctionName();
  if ((bottom !== null && bottom !== "") || frames[last].isConstructor()) {
    return undefined;
  }
  for (let i = 1; i < last; i++) {
    const name = frames[i].getFunctionName();
    if (
      !frames[i].isConstructor() && name !== "<instance_members_initializer>" &&
      name !== "<static_initializer>"
    ) return undefined;
  }
  // adoption(), then this library's constructors (a subclass calls super()).
  let i = 1;
  while (i < last && isLib(frames[i])) i++;
  let site = "";
  for (; i <= last; i++) {
    const f = frames[i];
    if (isLib(f)) return undefined;
    site += `${f.getFileName()}:${f.getLineNumber()}:${f.getColumnNumber()} `;
  }
  return site;
}

function isLib(frame: CallSite): boolean {
  const file = frame.getFileName();
  return file !== null && file !== undefined &&
    (file.startsWith(LIB_PREFIX) || file.startsWith(LIB_DIR.href));
}

// The construction under way in this thread, between adoption() and track().
const NONE = 0;
const CLAIMED = 1; // this thread builds the site's primitive
const ADOPTED = 2; // it adopts the site's primitive, retained once already
let building = NONE;
let buildingKind = 0;
let buildingRef = 0;
let claimKey: Uint8Array = new Uint8Array(0);
let serial = 0;
const counts = new Map<string, number>();

function registry(): Int32Array {
  const h = heap().i32;
  let ref = Atomics.load(h, H_MODULES);
  if (ref === 0) {
    lockWord(h, H_MODULES_LOCK, Infinity);
    try {
      ref = Atomics.load(h, H_MODULES);
      if (ref === 0) {
        ref = alloc(MR_WORDS * 4, K_RAW);
        Atomics.store(heap().i32, H_MODULES, ref);
      }
    } finally {
      unlockWord(heap().i32, H_MODULES_LOCK);
    }
  }
  return wordsAt(ref, MR_WORDS);
}

/** One more reference to `ref` unless its last one is gone already. */
function retainIfAlive(ref: number): boolean {
  const h = heap().i32;
  for (let refs = Atomics.load(h, ref + B_REFS); refs > 0;) {
    const seen = Atomics.compareExchange(h, ref + B_REFS, refs, refs + 1);
    if (seen === refs) return true;
    refs = seen;
  }
  return false;
}

/** The registry key of a site (a string) or of a primitive's ref. */
function keyOf(what: string | number): Uint8Array {
  return encodeKey(what, WHAT).slice();
}

/** The entry of `key` in the registry's table at `at`, or 0. */
function lookup(r: Int32Array, at: number, key: Uint8Array): number {
  return tableFind(r, at, key, key.length, hashBytes(key, 0, key.length));
}

/** Adds an entry for `key`, absent from the table at `at`. */
function insert(
  r: Int32Array,
  at: number,
  key: Uint8Array,
  value: number,
): void {
  tableAdd(r, at, key, key.length, hashBytes(key, 0, key.length), value);
}

/**
 * The key of the construction under way at a module's top level (its
 * kind or `local`, its site, how many times this thread constructed
 * there), or undefined when it is not module level.
 */
// deno-lint-ignore ban-types
function siteKey(prefix: string, cut: Function): Uint8Array | undefined {
  const site = siteOf(cut);
  if (site === undefined) return undefined;
  const at = `${prefix} ${site}`;
  const n = (counts.get(at) ?? 0) + 1;
  counts.set(at, n);
  return keyOf(`${at}#${n}`);
}

/**
 * For adoption(): the block of the module-level primitive of `kind` being
 * constructed here, already retained once for the handle, or 0 to build a
 * new one (claimed for its site when module level).
 */
export function moduleLevelRef(kind: number): number {
  if (windows <= 0 || building !== NONE || kind === K_FUTURE) return 0;
  const key = siteKey(String(kind), adoption);
  if (key === undefined) return 0;
  const r = registry();
  for (;;) {
    const bell = Atomics.load(r, MR_BELL);
    lockWord(r, MR_LOCK, Infinity);
    let wait = false;
    try {
      const entry = lookup(r, MR_SITES, key);
      const ref = entry === 0 ? 0 : entryValue(entry);
      if (ref === MR_CLAIMED) {
        wait = true;
      } else if (ref !== 0 && kindOf(ref) === kind && retainIfAlive(ref)) {
        begin(ADOPTED, kind, ref, key);
        return ref;
      } else {
        if (entry === 0) insert(r, MR_SITES, key, MR_CLAIMED);
        else {
          // Its primitive is gone (its last release has yet to forget it).
          if (ref !== 0) forgetBack(r, ref);
          setEntryValue(entry, MR_CLAIMED);
        }
        begin(CLAIMED, kind, 0, key);
        return 0;
      }
    } finally {
      unlockWord(r, MR_LOCK);
    }
    if (wait) waitWord(r, MR_BELL, bell, performance.now() + 50);
  }
}

/**
 * For a ThreadLocal: the id of the module-level local being constructed
 * here (made by `next` for the site's first thread), or `next()` when it is
 * not module level. A local holds no shared memory, so its entry stays.
 */
export function moduleLevelId(next: () => number): number {
  if (windows <= 0) return next();
  const key = siteKey("local", moduleLevelId);
  if (key === undefined) return next();
  const r = registry();
  lockWord(r, MR_LOCK, Infinity);
  try {
    const entry = lookup(r, MR_LOCALS, key);
    if (entry !== 0) return entryValue(entry);
    const id = next();
    insert(r, MR_LOCALS, key, id);
    return id;
  } finally {
    unlockWord(r, MR_LOCK);
  }
}

function begin(
  state: number,
  kind: number,
  ref: number,
  key: Uint8Array,
): void {
  building = state;
  buildingKind = kind;
  buildingRef = ref;
  claimKey = key;
  const mine = ++serial;
  // A constructor that throws never reaches track(): settle after it.
  queueMicrotask(() => {
    if (serial === mine && building !== NONE) abandon();
  });
}

/** For create(): a block of `kind` was made; the claimed site may get it. */
export function created(ref: number, kind: number): void {
  if (building === CLAIMED && buildingRef === 0 && kind === buildingKind) {
    buildingRef = ref;
  }
}

/**
 * For track(): a handle on `ref` is complete. Returns true when the handle's
 * reference was taken already (it adopted a module-level primitive).
 */
export function settle(ref: number): boolean {
  if (building === NONE || ref !== buildingRef) return false;
  const adopted = building === ADOPTED;
  building = NONE;
  if (adopted) return true;
  const r = registry();
  lockWord(r, MR_LOCK, Infinity);
  try {
    const entry = lookup(r, MR_SITES, claimKey);
    setEntryValue(entry, ref);
    insert(r, MR_REFS, keyOf(ref), entry);
    Atomics.or(heap().i32, ref + B_INFO, MODULE_LEVEL_BIT);
  } finally {
    unlockWord(r, MR_LOCK);
  }
  ring(r);
  return false;
}

function abandon(): void {
  const state = building;
  building = NONE;
  if (state === ADOPTED) {
    release(buildingRef);
    return;
  }
  const r = registry();
  lockWord(r, MR_LOCK, Infinity);
  try {
    const entry = lookup(r, MR_SITES, claimKey);
    if (entry !== 0 && entryValue(entry) === MR_CLAIMED) {
      tableRemove(r, MR_SITES, entry);
    }
  } finally {
    unlockWord(r, MR_LOCK);
  }
  ring(r);
}

function ring(r: Int32Array): void {
  Atomics.add(r, MR_BELL, 1);
  Atomics.notify(r, MR_BELL);
}

/** Whether `ref` is a module-level primitive's block. */
export function isModuleLevel(ref: number): boolean {
  return (Atomics.load(heap().i32, ref + B_INFO) & MODULE_LEVEL_BIT) !== 0;
}

/**
 * Removes the entry from `ref` back to its site; returns that site's entry,
 * or 0 when there was none (the registry locked).
 */
function forgetBack(r: Int32Array, ref: number): number {
  const back = lookup(r, MR_REFS, keyOf(ref));
  if (back === 0) return 0;
  const entry = entryValue(back);
  tableRemove(r, MR_REFS, back);
  return entry;
}

/** Its last reference is gone: the registry forgets the block `ref`. */
export function forget(ref: number): void {
  const r = registry();
  lockWord(r, MR_LOCK, Infinity);
  try {
    const entry = forgetBack(r, ref);
    if (entry !== 0 && entryValue(entry) === ref) {
      tableRemove(r, MR_SITES, entry);
    }
  } finally {
    unlockWord(r, MR_LOCK);
  }
}

/** How many construction sites the registry holds now (for tests). */
export function registeredSites(): number {
  return Atomics.load(heap().i32, H_MODULES) === 0
    ? 0
    : tableSize(registry(), MR_SITES);
}
