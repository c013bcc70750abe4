// Module-level primitives, shared as Python's module globals are: sugar over
// shared names (see _shared_registry.ts), the name being the construction
// site. A primitive constructed at the top level of a module is one object
// in every thread that evaluates that module.
//
// A construction is looked at only while this thread may be evaluating a
// module: in the main thread until the entry module's graph has finished
// evaluating (import(Deno.mainModule) settles then), in another thread
// while this library imports the modules its target, subclass and
// arguments need. Anywhere else nothing is read, and a construction costs
// what it costs without sharing. Reading the stack costs microseconds (see
// _call_sites.ts), so the shape of the stack is checked by names first:
// below this library's constructors, only constructors, field initializers
// and static initializers of classes, then one frame of unnamed code at the
// bottom of the stack, a module's body. (A callback the microtask queue runs
// directly looks the same; within the windows above, that is a module's own
// code reacting to a promise.)
//
// The name is those frames' positions, the kind, and how many times this
// thread constructed there (a top-level loop makes one per iteration). A
// primitive made while a module's top level runs but through a function
// (`export const pool = makePool()`) is one per thread: a thread that loads
// such a module warns, once per site in the process. (Main does not: its
// own copy is the one every other thread's would differ from, and in main
// such constructions are mostly the program's own, in its `import.meta.main`
// block, which threads never run.)
import { isMainThread } from "node:worker_threads";
import { heap } from "../_core/heap.ts";
import { H_MODULE_SHARING, K_FUTURE } from "../_core/layout.ts";
import { encodeKey } from "../_codec/key_codec.ts";
import {
  abandon,
  claim,
  firstTime,
  forgetBlock,
  isNamedBlock,
  publish,
  recordWords,
  SET,
} from "./registry.ts";
import { SR_REF, SR_STATE } from "../_core/layout.ts";
import {
  type CallSite,
  callSites,
  isLibrary,
  position,
  shortPosition,
} from "../_core/call_sites.ts";
import { kindName, release, setNaming } from "../_core/handles.ts";

const MAX_FRAMES = 16;

let windows = 0;

/** Opens a window of module evaluation (see above) until `closeWindow()`. */
export function openWindow(): void {
  windows++;
}

/** Closes a window opened by {@linkcode openWindow}. */
export function closeWindow(): void {
  windows--;
}

/**
 * Runs `make` with detection paused: what shared()'s make() constructs is
 * made for a name already, neither module level nor worth a warning.
 */
export function unnamed<T>(make: () => T): T {
  const open = windows;
  windows = 0;
  try {
    return make();
  } finally {
    windows += open;
  }
}

if (isMainThread) {
  openWindow();
  // Settles once the entry module's graph has evaluated (its top-level
  // await included); importing it again runs nothing.
  import(Deno.mainModule).then(closeWindow, closeWindow);
}

/** Whether module-level sharing is on, for every thread (setModuleSharing). */
export function moduleSharing(): boolean {
  return Atomics.load(heap().i32, H_MODULE_SHARING) === 0;
}

/** Turns module-level sharing on or off for every thread. */
export function setSharing(on: boolean): void {
  Atomics.store(heap().i32, H_MODULE_SHARING, on ? 0 : 1);
}

/** The classification of a construction: not at a module's top level. */
const ELSEWHERE = 0;
/** Made by a module's top-level code (or constructors it runs). */
const TOP_LEVEL = 1;
/** Made while a module's top level runs, through a function. */
const THROUGH_FUNCTION = 2;

// The frames classify() read, until siteKey() is done with them (call sites
// hold their frames' receivers: the primitive under construction).
const NO_FRAMES: CallSite[] = [];
let frames = NO_FRAMES;
/** The index of the first frame outside this library (see classify). */
let firstUser = 0;

/**
 * Reads the stack of the construction under way into `frames`; its shape.
 * Frame names decide, files only when it is module level: the first frame
 * is the library's (adoption(), or ThreadLocal's constructor), then come
 * constructors (the primitive's, its subclasses', those of classes built at
 * top level, with their field and static initializers), then the module's
 * body at the bottom. Anything else is a function: main stops there (it
 * never warns, see above).
 */
// deno-lint-ignore ban-types
function classify(cut: Function): number {
  frames = callSites(cut, MAX_FRAMES);
  const last = frames.length - 1;
  if (last < 1 || frames.length >= MAX_FRAMES) return ELSEWHERE;
  const bottom = frames[last];
  const bottomName = bottom.getFunctionName();
  if ((bottomName !== null && bottomName !== "") || bottom.isConstructor()) {
    return ELSEWHERE;
  }
  for (let i = 1; i < last; i++) {
    const f = frames[i];
    if (f.isConstructor()) continue;
    const name = f.getFunctionName();
    if (
      name === "<instance_members_initializer>" ||
      name === "<static_initializer>"
    ) continue;
    if (isMainThread) return ELSEWHERE;
    // A function of the library makes primitives for itself.
    firstUser = i;
    return isLibrary(f.getFileName()) || isLibrary(bottom.getFileName())
      ? ELSEWHERE
      : THROUGH_FUNCTION;
  }
  if (isLibrary(bottom.getFileName())) return ELSEWHERE;
  let i = 1;
  while (i < last && isLibrary(frames[i].getFileName())) i++;
  firstUser = i;
  return TOP_LEVEL;
}

/** The site of the construction whose frames `classify` read. */
function site(): string {
  let out = "";
  for (let i = firstUser; i < frames.length; i++) {
    out += `${position(frames[i])} `;
  }
  return out;
}

/** Sites this thread warned about (or found warned), by position. */
const warned = new Set<string>();

function warnThroughFunction(what: string): void {
  const made = frames[firstUser];
  const at = position(made);
  if (warned.has(at)) return;
  warned.add(at);
  if (!firstTime(encodeKey(["made through a function", at], "site"))) return;
  const module = frames[frames.length - 1].getFileName();
  console.warn(
    `@weft/threading: the ${what} made at ${
      shortPosition(made)
    } while ${module} is being loaded is made through a function, so every ` +
      `thread that loads the module gets its own. To share one, make it ` +
      `with shared("a name", () => ...), or construct it at the module's ` +
      `top level; to silence this, call setModuleSharing("off").`,
  );
}

// The construction under way in this thread, between the naming's ref()
// and settle().
const NONE = 0;
const CLAIMED = 1; // this thread makes the site's primitive
const ADOPTED = 2; // it takes the site's primitive, retained once already
let building = NONE;
let buildingKind = 0;
let buildingRef = 0;
let record = 0;
let serial = 0;
const counts = new Map<string, number>();

/**
 * The registry key of the construction under way at a module's top level
 * (`kind` names what is made, its site, how many times this thread made
 * one there), or undefined when it is not module level.
 */
// deno-lint-ignore ban-types
function siteKey(kind: string, cut: Function): Uint8Array | undefined {
  if (windows <= 0 || building !== NONE || !moduleSharing()) return undefined;
  let at: string;
  try {
    const shape = classify(cut);
    if (shape === THROUGH_FUNCTION) warnThroughFunction(kind);
    if (shape !== TOP_LEVEL) return undefined;
    at = `${kind} ${site()}`;
  } finally {
    frames = NO_FRAMES;
  }
  const n = (counts.get(at) ?? 0) + 1;
  counts.set(at, n);
  return encodeKey(["module level", at, n], "site");
}

function moduleLevelRef(kind: number): number {
  if (windows <= 0 || kind === K_FUTURE) return 0;
  const label = kindName(kind) ?? "object";
  const key = siteKey(label, moduleLevelRef);
  if (key === undefined) return 0;
  const r = claim(key, `a module-level ${label}`);
  const w = recordWords(r);
  if (w[SR_STATE] === SET) {
    begin(ADOPTED, kind, w[SR_REF], r);
    return w[SR_REF];
  }
  begin(CLAIMED, kind, 0, r);
  return 0;
}

/**
 * For a ThreadLocal: the id of the module-level local being constructed
 * here (made by `next` for the site's first thread), or `next()` when it is
 * not module level. A local's id is pinned: it holds no shared memory.
 */
export function moduleLevelId(next: () => number): number {
  const key = siteKey("ThreadLocal", moduleLevelId);
  if (key === undefined) return next();
  const r = claim(key, "a module-level ThreadLocal");
  const w = recordWords(r);
  if (w[SR_STATE] === SET) return w[SR_REF];
  let id: number;
  try {
    id = next();
  } catch (error) {
    abandon(r);
    throw error;
  }
  publish(r, { ref: id, pinned: true });
  return id;
}

function begin(
  state: number,
  kind: number,
  ref: number,
  claimed: number,
): void {
  building = state;
  buildingKind = kind;
  buildingRef = ref;
  record = claimed;
  const mine = ++serial;
  // A constructor that throws never reaches settle(): finish after it.
  queueMicrotask(() => {
    if (serial === mine && building !== NONE) giveUp();
  });
}

function giveUp(): void {
  const state = building;
  building = NONE;
  if (state === ADOPTED) release(buildingRef);
  else abandon(record);
}

setNaming({
  ref: moduleLevelRef,
  created(ref, kind) {
    if (building === CLAIMED && buildingRef === 0 && kind === buildingKind) {
      buildingRef = ref;
    }
  },
  settle(ref) {
    if (building === NONE || ref !== buildingRef) return false;
    const adopted = building === ADOPTED;
    building = NONE;
    if (!adopted) {
      try {
        publish(record, { kind: buildingKind, ref });
      } catch (error) {
        abandon(record);
        throw error;
      }
    }
    return adopted;
  },
  forget(ref) {
    if (isNamedBlock(ref)) forgetBlock(ref);
  },
});
