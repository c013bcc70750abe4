// Observation: what deadlock detection and tracing need to know, in shared
// memory, so that any thread can read it. While nothing is observed (the
// H_OBSERVE word is 0) the primitives only read that word: their fast paths
// stay as they are. Observed:
// - every primitive created gets a name from where it was created ("Lock at
//   app.ts:12"), kept in a table by ref;
// - a thread's holds of a Lock, an RLock or a shared container's mutex are
//   listed in its slot's held block, and each lock has its holder's ident
//   (an RLock and a container's mutex always, a Lock while observed);
// - a thread about to block on a lock records it in its slot (S_WAITING):
//   the waits-for graph is the chain lock -> holder -> what it waits for;
// - a thread that ended holding a lock (it returned, or ran out of memory)
//   leaves it held, as in Python: its name is kept by its ident, so that a
//   thread waiting for that lock is reported as waiting for a dead thread.
// Detection walks that chain when a thread blocks (parking_lot and Java's
// findDeadlockedThreads report such cycles); lock-order inversions (B taken
// while holding A after A was taken while holding B: Abseil's and lockdep's
// check) are found in a table of the orders seen.
import { callerPosition } from "../_core/call_sites.ts";
import {
  ALIVE,
  H_NAMES,
  H_NAMES_LOCK,
  H_OBSERVE,
  H_ORDER_LOCK,
  H_ORDER_TABLE,
  HELD_COUNT,
  HELD_FIRST,
  HELD_MAX,
  K_FUTURE,
  K_LOCK,
  K_RAW,
  K_RLOCK,
  K_SHARED_LIST,
  K_SHARED_MAP,
  K_SHARED_VALUE,
  LOCK_HOLDER,
  MAX_THREADS,
  MUTEX_OWNER,
  OBSERVE_DETECT,
  OBSERVE_THROW,
  OBSERVE_TRACE,
  ORDER_SLOTS,
  ORDER_WORDS,
  RLOCK_OWNER,
  S_HELD,
  S_IDENT,
  S_STATE,
  S_WAITING,
  slotWord,
} from "../_core/layout.ts";
import { alloc, heap, kindOf } from "../_core/heap.ts";
import { lockWord, lockWordAsync, unlockWord } from "../_core/wait.ts";
import { dropMessage, loadMessage, storeMessage } from "../_codec/message.ts";
import { runtime } from "../_threads/runtime.ts";
import { onNewThread } from "../_threads/thread_state.ts";
import { DeadlockError } from "../errors.ts";
import {
  record,
  TR_HOLD,
  TR_INSTANT,
  TR_WAIT,
  WAIT_ACQUIRE,
} from "./trace_buffer.ts";
import { kindName, setObserver } from "../_core/handles.ts";

let header: Int32Array | undefined;

function words(): Int32Array {
  return header ??= heap().i32;
}

/** Whether anything is observed now (one load: the primitives' fast check). */
export function observing(): boolean {
  return words()[H_OBSERVE] !== 0;
}

/** The observation flags (OBSERVE_*). */
export function observeFlags(): number {
  return Atomics.load(words(), H_OBSERVE);
}

/** Sets or clears observation flags, for every thread. */
export function setObserveFlags(set: number, clear: number): void {
  const w = words();
  for (;;) {
    const now = Atomics.load(w, H_OBSERVE);
    const next = (now & ~clear) | set;
    if (Atomics.compareExchange(w, H_OBSERVE, now, next) === now) return;
  }
}

/** The clock of traces: epoch milliseconds, the same in every thread. */
export function clock(): number {
  return performance.timeOrigin + performance.now();
}

// Names. ---------------------------------------------------------------------

// The names table: open addressing, NAME_SLOTS entries of [key, message].
// A primitive's name is keyed by its ref, the name of a thread that ended
// holding a lock by its ident, negated; a freed block's entry is removed
// (see forgetName()).
const NAME_SLOTS = 16384;
const NAME_MASK = NAME_SLOTS - 1;
const NAME_WORDS = 2;
let namesRef = 0;

function namesTable(): number {
  const w = words();
  if (namesRef !== 0) return namesRef;
  const known = Atomics.load(w, H_NAMES);
  if (known !== 0) return namesRef = known;
  const table = alloc(NAME_SLOTS * NAME_WORDS * 4, K_RAW);
  const won = Atomics.compareExchange(w, H_NAMES, 0, table);
  return namesRef = won === 0 ? table : won;
}

function entryAt(table: number, key: number, i: number): number {
  return table + ((key + i) & NAME_MASK) * NAME_WORDS;
}

/** Where the caller outside this library is: `app.ts:12`. */
function site(): string {
  return callerPosition() ?? "an unknown place";
}

/** Keeps `name` under `key` (replacing what was there). */
function keepName(key: number, name: string): void {
  // Nothing is allocated or freed while the lock is held: a thread that ran
  // out of memory inside it would leave it held for every thread.
  const message = storeMessage(name, "name", () => []);
  const i32 = heap().i32;
  const table = namesTable();
  let unused = message;
  lockWord(i32, H_NAMES_LOCK, Infinity);
  try {
    for (let i = 0; i < NAME_SLOTS; i++) {
      const at = entryAt(table, key, i);
      if (i32[at] === 0 || i32[at] === key) {
        unused = i32[at] === key ? i32[at + 1] : 0;
        i32[at] = key;
        i32[at + 1] = message;
        break;
      }
    }
  } finally {
    unlockWord(i32, H_NAMES_LOCK);
  }
  if (unused !== 0) dropMessage(unused);
}

/** The name kept under `key`, if any. */
function keptName(key: number): string | undefined {
  const table = Atomics.load(words(), H_NAMES);
  if (table === 0) return undefined;
  const i32 = heap().i32;
  lockWord(i32, H_NAMES_LOCK, Infinity);
  let message = 0;
  try {
    for (let i = 0; i < NAME_SLOTS; i++) {
      const at = entryAt(table, key, i);
      if (i32[at] === 0) break;
      if (i32[at] === key) {
        message = i32[at + 1];
        break;
      }
    }
  } finally {
    unlockWord(i32, H_NAMES_LOCK);
  }
  return message === 0 ? undefined : loadMessage(message, false) as string;
}

/**
 * Names a new primitive's block by where it is created, while observed
 * (futures excepted: an executor makes one per task).
 */
export function nameBlock(ref: number, kind: number): void {
  const label = kindName(kind);
  if (kind === K_FUTURE || label === undefined) return;
  keepName(ref, `${label} at ${site()}`);
}

/** Forgets the name of a block about to be freed. */
export function forgetName(ref: number): void {
  const table = Atomics.load(words(), H_NAMES);
  if (table === 0) return;
  const i32 = heap().i32;
  let dropped = 0;
  lockWord(i32, H_NAMES_LOCK, Infinity);
  try {
    for (let i = 0; i < NAME_SLOTS; i++) {
      const at = entryAt(table, ref, i);
      if (i32[at] === 0) return;
      if (i32[at] === ref) {
        dropped = i32[at + 1];
        // Tombstone-free delete: move the rest of the run back.
        i32[at] = 0;
        i32[at + 1] = 0;
        for (let j = i + 1; j < NAME_SLOTS; j++) {
          const next = entryAt(table, ref, j);
          if (i32[next] === 0) return;
          const moved = i32[next];
          const message = i32[next + 1];
          i32[next] = 0;
          i32[next + 1] = 0;
          reinsert(table, moved, message);
        }
        return;
      }
    }
  } finally {
    unlockWord(i32, H_NAMES_LOCK);
    if (dropped !== 0) dropMessage(dropped);
  }
}

function reinsert(table: number, key: number, message: number): void {
  const i32 = heap().i32;
  for (let i = 0; i < NAME_SLOTS; i++) {
    const at = entryAt(table, key, i);
    if (i32[at] === 0) {
      i32[at] = key;
      i32[at + 1] = message;
      return;
    }
  }
}

/** A primitive's name: where it was created, or its kind and ref. */
export function nameOf(ref: number): string {
  return keptName(ref) ?? `${kindName(kindOf(ref)) ?? "object"} #${ref}`;
}

// Holds and waits. -----------------------------------------------------------

/** This thread's holds (Locks, RLocks, containers' mutexes), oldest first, and since when. */
const held: number[] = [];
const heldSince: number[] = [];
let heldBlock = 0;
let waitingSince = 0;
onNewThread(() => {
  held.length = 0;
  heldSince.length = 0;
  heldBlock = 0;
});

/**
 * The word of a lock of `kind` that holds its holder's ident, or -1 for a
 * primitive that is not a lock. A container's mutex is the first words of
 * its block (see _layout.ts).
 */
function holderIndex(kind: number): number {
  switch (kind) {
    case K_LOCK:
      return LOCK_HOLDER;
    case K_RLOCK:
      return RLOCK_OWNER;
    case K_SHARED_VALUE:
    case K_SHARED_LIST:
    case K_SHARED_MAP:
      return MUTEX_OWNER;
    default:
      return -1;
  }
}

function identOf(slot: number): number {
  return Atomics.load(words(), slotWord(slot, S_IDENT));
}

/** Mirrors this thread's holds into its slot, for the other threads. */
function mirror(): void {
  const i32 = heap().i32;
  const slot = runtime().slot;
  if (heldBlock === 0) {
    heldBlock = alloc((HELD_MAX + 1) * 4, K_RAW);
    const previous = Atomics.exchange(
      words(),
      slotWord(slot, S_HELD),
      heldBlock,
    );
    // A reused slot keeps the block of the thread before.
    if (previous !== 0) {
      heldBlock = previous;
      Atomics.store(words(), slotWord(slot, S_HELD), previous);
    }
  }
  const n = Math.min(held.length, HELD_MAX);
  for (let i = 0; i < n; i++) i32[heldBlock + HELD_FIRST + i] = held[i];
  Atomics.store(i32, heldBlock + HELD_COUNT, n);
}

/** A lock at `ref` was just taken by this thread (observed). */
export function acquired(ref: number): void {
  const kind = kindOf(ref);
  if (holderIndex(kind) < 0) return;
  // The others keep their holder themselves, observed or not.
  if (kind === K_LOCK) {
    Atomics.store(heap().i32, ref + LOCK_HOLDER, identOf(runtime().slot));
  }
  if ((observeFlags() & OBSERVE_DETECT) !== 0) checkOrder(ref);
  held.push(ref);
  heldSince.push(clock());
  mirror();
}

/** A lock at `ref` is being released by this thread (observed). */
export function released(ref: number): void {
  const kind = kindOf(ref);
  if (holderIndex(kind) < 0) return;
  if (kind === K_LOCK) Atomics.store(heap().i32, ref + LOCK_HOLDER, 0);
  const i = held.lastIndexOf(ref);
  if (i < 0) return;
  if ((observeFlags() & OBSERVE_TRACE) !== 0) {
    record(TR_HOLD, ref, 0, heldSince[i], clock());
  }
  held.splice(i, 1);
  heldSince.splice(i, 1);
  mirror();
}

/**
 * This thread is about to block on the primitive at `ref`. For a lock, it
 * records what it waits for, and with detection on, looks for the deadlock
 * this wait is part of (throw mode: throws DeadlockError instead of
 * blocking).
 */
export function blocking(ref: number): void {
  waitingSince = clock();
  if (holderIndex(kindOf(ref)) < 0) return;
  const slot = runtime().slot;
  const at = slotWord(slot, S_WAITING);
  Atomics.store(words(), at, ref);
  const mode = observeFlags() & OBSERVE_DETECT;
  if (mode === 0) return;
  const deadlock = deadlockThrough(slot);
  if (deadlock === undefined) return;
  const text = describeDeadlock(deadlock);
  // A plain Lock that a dead thread holds may still be released by any
  // other thread (Python allows it): reported, never refused.
  const releasable = deadlock.dead !== undefined &&
    kindOf(deadlock.waits[deadlock.waits.length - 1]) === K_LOCK;
  if (mode === OBSERVE_THROW && !releasable) {
    Atomics.store(words(), at, 0);
    throw new DeadlockError(text);
  }
  console.error(text);
}

/** The wait on `ref` (WAIT_*) is over: taken, woken or timed out. */
export function unblocked(ref: number, what: number): void {
  Atomics.store(words(), slotWord(runtime().slot, S_WAITING), 0);
  if ((observeFlags() & OBSERVE_TRACE) !== 0) {
    record(TR_WAIT, ref, what, waitingSince, clock());
  }
}

/**
 * The slow path of a lock's acquire, observed: blocks on the mutex word
 * `w[index]` of the lock at `ref` until `deadline`; whether it was taken.
 *
 * @throws {DeadlockError} In throw mode, instead of closing a cycle.
 */
export function lockObserved(
  ref: number,
  w: Int32Array,
  index: number,
  deadline: number,
): boolean {
  blocking(ref);
  let taken = false;
  try {
    taken = lockWord(w, index, deadline);
  } finally {
    unblocked(ref, WAIT_ACQUIRE);
  }
  return taken;
}

/** The asynchronous twin of {@linkcode lockObserved}. */
export async function lockObservedAsync(
  ref: number,
  w: Int32Array,
  index: number,
  deadline: number,
  signal: AbortSignal | undefined,
): Promise<boolean> {
  blocking(ref);
  let taken = false;
  try {
    taken = await lockWordAsync(w, index, deadline, signal);
  } finally {
    unblocked(ref, WAIT_ACQUIRE);
  }
  return taken;
}

/** The slot of the alive thread `ident`, or -1 (it has ended). */
function slotOfIdent(ident: number): number {
  const w = words();
  for (let slot = 0; slot < MAX_THREADS; slot++) {
    if (
      (Atomics.load(w, slotWord(slot, S_STATE)) & 3) === ALIVE &&
      Atomics.load(w, slotWord(slot, S_IDENT)) === ident
    ) return slot;
  }
  return -1;
}

/** Whether the thread `ident` is alive. */
export function identAlive(ident: number): boolean {
  return slotOfIdent(ident) >= 0;
}

/**
 * `thread "NAME"` for the thread `ident`, alive or ended with its name kept
 * (see {@linkcode threadEnding}); else `the thread of ident N`.
 */
export function describeIdent(ident: number): string {
  const slot = slotOfIdent(ident);
  const name = slot >= 0 ? runtime().registry.readName(slot) : keptName(-ident);
  return name === undefined
    ? `the thread of ident ${ident}`
    : `thread "${name}"`;
}

/** The ident of the thread holding the lock at `ref`, or 0. */
function holderOf(ref: number): number {
  const index = holderIndex(kindOf(ref));
  if (index < 0) return 0;
  const i32 = heap().i32;
  if (Atomics.load(i32, ref) === 0) return 0;
  return Atomics.load(i32, ref + index);
}

/** The ref of the lock `slot` waits for, or 0. */
export function waitingOf(slot: number): number {
  return Atomics.load(words(), slotWord(slot, S_WAITING));
}

/** The locks `slot` holds now (its list, checked against each lock). */
export function holdsOf(slot: number): number[] {
  const block = Atomics.load(words(), slotWord(slot, S_HELD));
  if (block === 0) return [];
  const ident = identOf(slot);
  const i32 = heap().i32;
  const out: number[] = [];
  const n = Math.min(Atomics.load(i32, block + HELD_COUNT), HELD_MAX);
  for (let i = 0; i < n; i++) {
    const ref = i32[block + HELD_FIRST + i];
    if (holderOf(ref) === ident && !out.includes(ref)) out.push(ref);
  }
  return out;
}

/**
 * A deadlock, as seen when it was found: threads (slots), each waiting for
 * a lock (`waits`) the next one holds (`holds`), the last one waiting for
 * the first (a cycle), or for a lock held by a thread that has ended
 * (`dead`: its ident and name).
 */
export interface Deadlock {
  slots: number[];
  waits: number[];
  holds: number[][];
  dead?: { ident: number; name: string };
}

/** The deadlock that `start`'s wait is part of, `start` first. */
export function deadlockThrough(start: number): Deadlock | undefined {
  const slots = [start];
  const waits: number[] = [];
  // A snapshot: the threads may stop waiting (a DeadlockError in another
  // of them) while it is described.
  const found = (dead?: Deadlock["dead"]): Deadlock => ({
    slots,
    waits,
    holds: slots.map(holdsOf),
    dead,
  });
  for (let lock = waitingOf(start); lock !== 0;) {
    waits.push(lock);
    const ident = holderOf(lock);
    if (ident === 0) return undefined;
    const holder = slotOfIdent(ident);
    if (holder < 0) {
      const name = keptName(-ident);
      // A Lock's holder is written only while observed: without the name
      // kept at its end, it may be stale.
      if (name === undefined && kindOf(lock) === K_LOCK) return undefined;
      return found({ ident, name: name ?? `ident ${ident}` });
    }
    if (holder === start) return found();
    if (slots.includes(holder)) return undefined;
    slots.push(holder);
    lock = waitingOf(holder);
  }
  return undefined;
}

/**
 * The thread in `slot` is ending; while observed, a lock it still holds stays
 * held (Python's rule), so its name is kept for the reports of those who
 * wait for it. `died`: it ran out of memory, maybe inside a container's
 * update(), whose mutex its list does not show.
 */
export function threadEnding(slot: number, died: boolean): void {
  if (!observing() || (!died && holdsOf(slot).length === 0)) return;
  keepName(-identOf(slot), runtime().registry.readName(slot));
}

/**
 * `Deadlock detected:`, then each thread, what it holds and waits for, and
 * the thread that ended holding the last lock waited for.
 */
export function describeDeadlock(deadlock: Deadlock): string {
  const reg = runtime().registry;
  const lines = deadlock.slots.map((slot, i) => {
    const holds = deadlock.holds[i].map(nameOf);
    return `  thread "${reg.readName(slot)}" holds ${
      holds.length > 0 ? holds.join(", ") : "nothing"
    } and waits for ${nameOf(deadlock.waits[i])}`;
  });
  if (deadlock.dead !== undefined) {
    lines.push(
      `  thread "${deadlock.dead.name}" holds ${
        nameOf(deadlock.waits[deadlock.waits.length - 1])
      } and is dead: it ended without releasing it`,
    );
  }
  return ["Deadlock detected:", ...lines].join("\n");
}

// Lock order. ----------------------------------------------------------------

function orderTable(): number {
  const w = words();
  const known = Atomics.load(w, H_ORDER_TABLE);
  if (known !== 0) return known;
  const table = alloc(ORDER_SLOTS * ORDER_WORDS * 4, K_RAW);
  const won = Atomics.compareExchange(w, H_ORDER_TABLE, 0, table);
  return won === 0 ? table : won;
}

/**
 * The message of this thread's name that its entries in the order table
 * share (they are never dropped: the table only grows).
 */
const orderName = { name: "", message: 0 };
onNewThread(() => {
  orderName.name = "";
  orderName.message = 0;
});

/** The entry of the order (first, then), or of the free slot for it. */
function entry(table: number, first: number, then: number): number {
  const i32 = heap().i32;
  const hash = (Math.imul(first, 31) + then) >>> 0;
  for (let i = 0; i < ORDER_SLOTS; i++) {
    const at = table + ((hash + i) % ORDER_SLOTS) * ORDER_WORDS;
    if (i32[at] === 0 || (i32[at] === first && i32[at + 1] === then)) {
      return at;
    }
  }
  return -1;
}

/**
 * This thread takes the lock at `ref` while holding others: reports an
 * order seen the other way round before, and remembers this one.
 */
function checkOrder(ref: number): void {
  if (held.length === 0) return;
  const table = orderTable();
  const name = runtime().registry.readName(runtime().slot);
  // Made before the lock is taken: a thread that runs out of memory inside
  // it would leave it held for every thread.
  if (orderName.name !== name) {
    orderName.name = name;
    orderName.message = storeMessage(name, "name", () => []);
  }
  const inverted: number[] = new Array(held.length * 2);
  let n = 0;
  const i32 = heap().i32;
  lockWord(i32, H_ORDER_LOCK, Infinity);
  try {
    for (const first of held) {
      if (first === ref) continue;
      const reverse = entry(table, ref, first);
      if (reverse >= 0 && i32[reverse] === ref && i32[reverse + 3] === 0) {
        i32[reverse + 3] = 1;
        inverted[n++] = first;
        inverted[n++] = i32[reverse + 2];
      }
      const at = entry(table, first, ref);
      if (at >= 0 && i32[at] === 0) {
        i32[at] = first;
        i32[at + 1] = ref;
        i32[at + 2] = orderName.message;
      }
    }
  } finally {
    unlockWord(i32, H_ORDER_LOCK);
  }
  for (let i = 0; i < n; i += 2) {
    const first = inverted[i];
    const by = inverted[i + 1];
    console.error(
      `Potential deadlock (lock order inversion):\n` +
        `  thread "${name}" takes ${nameOf(ref)} while holding ${
          nameOf(first)
        }\n` +
        `  thread "${loadMessage(by, false)}" took ${
          nameOf(first)
        } while holding ${nameOf(ref)}`,
    );
  }
}

/** A wait (WAIT_*) from `since` to now on `ref`, traced. */
export function traceWait(ref: number, what: number, since: number): void {
  if ((observeFlags() & OBSERVE_TRACE) !== 0) {
    record(TR_WAIT, ref, what, since, clock());
  }
}

/** A thing happened to the primitive at `ref` (AT_*): an instant, traced. */
export function instant(ref: number, what: number): void {
  if ((observeFlags() & OBSERVE_TRACE) === 0) return;
  const now = clock();
  record(TR_INSTANT, ref, what, now, now);
}

setObserver({
  active: observing,
  created: nameBlock,
  destroyed: forgetName,
});
