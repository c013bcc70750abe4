// The registry of shared names: the one owner of what `shared(name, make)`
// and module-level primitives (whose name is their construction site) map
// to, in the heap, for every thread of the process.
//
// A name's record is claimed by the first thread that asks, while it makes
// the value, then set. A value is kept in one of three ways:
// - a single primitive (a Lock...): its kind and block, not retained. The
//   block's own count of references (handles in every thread, encoded
//   copies) keeps it alive, and its last release forgets the name
//   (forgetBlock), so the name lives exactly as long as the primitive.
// - an object holding primitives or data: an encoded message, and a count of
//   the isolates holding a copy of it (each drops its hold when its copy is
//   collected or the isolate closes); the last one frees the name.
// - anything else (a number, a string, a ThreadLocal's id): pinned for the
//   life of the process.
// Callers wait while another live thread's claim is pending, so `make` runs
// once; a claim whose thread died is taken over, and a claimed name asked
// for again by its own thread is an error (a make that asks for itself).
import { alloc, free, heap, wordsAt } from "../_core/heap.ts";
import {
  B_INFO,
  B_REFS,
  H_SHARED,
  H_SHARED_LOCK,
  K_RAW,
  MODULE_LEVEL_BIT,
  SN_BELL,
  SN_BLOCKS,
  SN_LOCK,
  SN_NAMES,
  SN_WARNED,
  SN_WORDS,
  SR_CLAIM_GEN,
  SR_CLAIMER,
  SR_ENTRY,
  SR_HOLDERS,
  SR_KIND,
  SR_MESSAGE,
  SR_REF,
  SR_STATE,
  SR_WORDS,
} from "../_core/layout.ts";
import { encodeKey, hashBytes } from "../_codec/key_codec.ts";
import {
  entryValue,
  tableAdd,
  tableFind,
  tableRemove,
  tableSize,
} from "../_structures/hash_table.ts";
import { lockWord, unlockWord, waitWord } from "../_core/wait.ts";
import { runtime } from "../_threads/runtime.ts";
import { ThreadError } from "../errors.ts";

/** A record's state: a thread makes its value. */
export const CLAIMED = 1;
/** A record's state: its value is there. */
export const SET = 2;
/** SR_HOLDERS of a value kept for the life of the process. */
export const PINNED = -1;
/** How often a waiter looks whether the claiming thread is still alive. */
const CLAIM_CHECK_MS = 50;

function registry(): Int32Array {
  const h = heap().i32;
  let ref = Atomics.load(h, H_SHARED);
  if (ref === 0) {
    lockWord(h, H_SHARED_LOCK, Infinity);
    try {
      ref = Atomics.load(h, H_SHARED);
      if (ref === 0) {
        ref = alloc(SN_WORDS * 4, K_RAW);
        Atomics.store(heap().i32, H_SHARED, ref);
      }
    } finally {
      unlockWord(heap().i32, H_SHARED_LOCK);
    }
  }
  return wordsAt(ref, SN_WORDS);
}

/** The record words of `record`. */
export function recordWords(record: number): Int32Array {
  return wordsAt(record, SR_WORDS);
}

function find(r: Int32Array, at: number, key: Uint8Array): number {
  return tableFind(r, at, key, key.length, hashBytes(key, 0, key.length));
}

function add(
  r: Int32Array,
  at: number,
  key: Uint8Array,
  value: number,
): number {
  return tableAdd(r, at, key, key.length, hashBytes(key, 0, key.length), value);
}

function blockKey(ref: number): Uint8Array {
  return encodeKey(ref, "shared block");
}

/** One more reference to the block `ref`, unless its last one is gone. */
function retainIfAlive(ref: number): boolean {
  const h = heap().i32;
  for (let refs = Atomics.load(h, ref + B_REFS); refs > 0;) {
    const seen = Atomics.compareExchange(h, ref + B_REFS, refs, refs + 1);
    if (seen === refs) return true;
    refs = seen;
  }
  return false;
}

function ring(r: Int32Array): void {
  Atomics.add(r, SN_BELL, 1);
  Atomics.notify(r, SN_BELL);
}

/**
 * Removes a record (the registry locked); returns the message it kept, for
 * the caller to drop once the registry is unlocked (0: none).
 */
function remove(r: Int32Array, record: number): number {
  const w = recordWords(record);
  tableRemove(r, SN_NAMES, w[SR_ENTRY]);
  if (w[SR_KIND] !== 0 && w[SR_STATE] === SET) {
    const back = find(r, SN_BLOCKS, blockKey(w[SR_REF]));
    if (back !== 0) tableRemove(r, SN_BLOCKS, back);
  }
  const message = w[SR_MESSAGE];
  free(record);
  return message;
}

function claimedBy(w: Int32Array, slot: number, gen: number): boolean {
  return w[SR_CLAIMER] === slot && w[SR_CLAIM_GEN] === gen;
}

/**
 * The record of `key` (an encoded name), for the calling thread: SET, with
 * a hold taken for the caller (a reference on a single primitive's block, an
 * isolate's hold on an object's message), or CLAIMED by the caller, who
 * must then {@linkcode publish} or {@linkcode abandon} it. Waits while
 * another live thread's claim is pending.
 *
 * @throws {ThreadError} When the calling thread's own claim is pending: a
 * make() that asks for its own name.
 */
export function claim(key: Uint8Array, what: string): number {
  const r = registry();
  const rt = runtime();
  const slot = rt.slot;
  const gen = rt.registry.gen(slot);
  for (;;) {
    const bell = Atomics.load(r, SN_BELL);
    let waitFor = -1;
    lockWord(r, SN_LOCK, Infinity);
    try {
      const entry = find(r, SN_NAMES, key);
      const record = entry === 0 ? 0 : entryValue(entry);
      const w = record === 0 ? undefined : recordWords(record);
      if (w !== undefined && w[SR_STATE] === CLAIMED) {
        if (claimedBy(w, slot, gen)) {
          throw new ThreadError(
            `Cannot make ${what}: its make() asked for its own name`,
          );
        }
        if (rt.registry.isAlive(w[SR_CLAIMER], w[SR_CLAIM_GEN])) {
          waitFor = w[SR_CLAIMER];
        } else {
          // Its thread died while making it: this one makes it now.
          w[SR_CLAIMER] = slot;
          w[SR_CLAIM_GEN] = gen;
          return record;
        }
      } else if (w !== undefined && takeHold(w)) {
        return record;
      } else {
        // A stale record holds no message: only a single primitive's
        // record goes stale (its block is being freed).
        if (record !== 0) remove(r, record);
        const fresh = alloc(SR_WORDS * 4, K_RAW);
        const f = recordWords(fresh);
        f[SR_STATE] = CLAIMED;
        f[SR_CLAIMER] = slot;
        f[SR_CLAIM_GEN] = gen;
        try {
          f[SR_ENTRY] = add(r, SN_NAMES, key, fresh);
        } catch (error) {
          free(fresh);
          throw error;
        }
        return fresh;
      }
    } finally {
      unlockWord(r, SN_LOCK);
    }
    if (waitFor >= 0) {
      waitWord(r, SN_BELL, bell, performance.now() + CLAIM_CHECK_MS);
    }
  }
}

/** A hold on a set record for its caller; false when its value is gone. */
function takeHold(w: Int32Array): boolean {
  if (w[SR_KIND] !== 0) return retainIfAlive(w[SR_REF]);
  if (w[SR_HOLDERS] !== PINNED) w[SR_HOLDERS]++;
  return true;
}

/** What a claimed record is set to. */
export interface Value {
  /** A single primitive: its kind and block (not retained). */
  kind?: number;
  ref?: number;
  /** Otherwise, the message of the encoded value (the record owns it). */
  message?: number;
  /** Whether the message lives as long as the process. */
  pinned?: boolean;
}

/**
 * Sets the record this thread claimed: waiters get the value. A message's
 * holder is the caller's isolate (unless pinned).
 */
export function publish(record: number, value: Value): void {
  const r = registry();
  lockWord(r, SN_LOCK, Infinity);
  try {
    const w = recordWords(record);
    if (value.kind !== undefined) {
      const ref = value.ref!;
      add(r, SN_BLOCKS, blockKey(ref), record);
      Atomics.or(heap().i32, ref + B_INFO, MODULE_LEVEL_BIT);
      w[SR_KIND] = value.kind;
      w[SR_REF] = value.ref!;
    } else {
      w[SR_MESSAGE] = value.message ?? 0;
      w[SR_REF] = value.ref ?? 0;
      w[SR_HOLDERS] = value.pinned ? PINNED : 1;
    }
    Atomics.store(w, SR_STATE, SET);
  } finally {
    unlockWord(r, SN_LOCK);
  }
  ring(r);
}

/** Frees a name this thread claimed and could not make: a waiter claims it. */
export function abandon(record: number): void {
  const r = registry();
  lockWord(r, SN_LOCK, Infinity);
  try {
    remove(r, record);
  } finally {
    unlockWord(r, SN_LOCK);
  }
  ring(r);
}

/**
 * Drops an isolate's hold on a record's message; the last frees the name
 * and returns the message, for the caller to drop (else 0).
 */
export function unhold(record: number): number {
  const r = registry();
  lockWord(r, SN_LOCK, Infinity);
  try {
    const w = recordWords(record);
    if (w[SR_HOLDERS] === PINNED || --w[SR_HOLDERS] > 0) return 0;
    return remove(r, record);
  } finally {
    unlockWord(r, SN_LOCK);
  }
}

/** Whether `ref` is the block of a single primitive kept under a name. */
export function isNamedBlock(ref: number): boolean {
  return (Atomics.load(heap().i32, ref + B_INFO) & MODULE_LEVEL_BIT) !== 0;
}

/** The last reference to the named block `ref` is gone: its name is free. */
export function forgetBlock(ref: number): void {
  const r = registry();
  lockWord(r, SN_LOCK, Infinity);
  try {
    const back = find(r, SN_BLOCKS, blockKey(ref));
    if (back === 0) return;
    const record = entryValue(back);
    const w = recordWords(record);
    if (w[SR_STATE] === SET && w[SR_KIND] !== 0 && w[SR_REF] === ref) {
      remove(r, record);
    } else {
      tableRemove(r, SN_BLOCKS, back);
    }
  } finally {
    unlockWord(r, SN_LOCK);
  }
}

/** True the first time `key` is asked for in the process: warn once. */
export function firstTime(key: Uint8Array): boolean {
  const r = registry();
  lockWord(r, SN_LOCK, Infinity);
  try {
    if (find(r, SN_WARNED, key) !== 0) return false;
    add(r, SN_WARNED, key, 1);
    return true;
  } finally {
    unlockWord(r, SN_LOCK);
  }
}

/** How many names the registry holds now (for tests). */
export function namesHeld(): number {
  return Atomics.load(heap().i32, H_SHARED) === 0
    ? 0
    : tableSize(registry(), SN_NAMES);
}
