// Observation: what deadlock detection and tracing need to know, in shared
// memory, so that any thread can read it. While nothing is observed (the
// H_OBSERVE word is 0) the primitives only read that word: their fast paths
// stay as they are. Observed:
// - every primitive created gets a name from where it was created ("Lock at
//   app.ts:12"), kept in a table by ref;
// - a thread's Lock and RLock holds are listed in its slot's held block, and
//   each lock records its holder's slot;
// - a thread about to block on a lock records it in its slot (S_WAITING):
//   the waits-for graph is the chain lock -> holder -> what it waits for.
// Detection walks that chain when a thread blocks (parking_lot and Java's
// findDeadlockedThreads report such cycles); lock-order inversions (B taken
// while holding A after A was taken while holding B: Abseil's and lockdep's
// check) are found in a table of the orders seen.
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
  LOCK_HOLDER,
  OBSERVE_DETECT,
  OBSERVE_THROW,
  OBSERVE_TRACE,
  ORDER_SLOTS,
  ORDER_WORDS,
  RLOCK_HOLDER,
  S_HELD,
  S_STATE,
  S_WAITING,
  slotWord,
} from "./_layout.ts";
import { alloc, heap, kindOf } from "./_heap.ts";
import { lockWord, lockWordAsync, unlockWord } from "./_wait.ts";
import { dropMessage, loadMessage, storeMessage } from "./_message.ts";
import { runtime } from "./_runtime.ts";
import { onNewThread } from "./_thread_state.ts";
import { DeadlockError } from "./errors.ts";
import {
  record,
  TR_HOLD,
  TR_INSTANT,
  TR_WAIT,
  WAIT_ACQUIRE,
} from "./_trace_buffer.ts";
import { kindName, setObserver } from "./_handles.ts";

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

const LIB_DIR = new URL(".", import.meta.url).href;
const LIB_MOD = new URL("../mod.ts", import.meta.url).href;
const FRAME = /((?:file|https?|jsr|npm|data):[^\s()]+?):(\d+):\d+/g;

// The names table: open addressing by ref, NAME_SLOTS entries of [ref,
// message]; a freed block's entry is removed (see forget()).
const NAME_SLOTS = 16384;
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

/** Where the caller outside this library is: `app.ts:12`. */
function site(): string {
  const limit = Error.stackTraceLimit;
  Error.stackTraceLimit = 32;
  const stack = new Error().stack ?? "";
  Error.stackTraceLimit = limit;
  for (const match of stack.matchAll(FRAME)) {
    const url = match[1];
    if (url.startsWith(LIB_DIR) || url === LIB_MOD) continue;
    return `${url.slice(url.lastIndexOf("/") + 1)}:${match[2]}`;
  }
  return "an unknown place";
}

/**
 * Names a new primitive's block by where it is created, while observed
 * (futures excepted: an executor makes one per task).
 */
export function nameBlock(ref: number, kind: number): void {
  const label = kindName(kind);
  if (kind === K_FUTURE || label === undefined) return;
  const message = storeMessage(
    `${label} at ${site()}`,
    "name",
    () => [],
  );
  const i32 = heap().i32;
  const table = namesTable();
  lockWord(i32, H_NAMES_LOCK, Infinity);
  try {
    for (let i = 0; i < NAME_SLOTS; i++) {
      const at = table + ((ref + i) % NAME_SLOTS) * NAME_WORDS;
      if (i32[at] === 0 || i32[at] === ref) {
        if (i32[at] === ref) dropMessage(i32[at + 1]);
        i32[at] = ref;
        i32[at + 1] = message;
        return;
      }
    }
    dropMessage(message);
  } finally {
    unlockWord(i32, H_NAMES_LOCK);
  }
}

/** Forgets the name of a block about to be freed. */
export function forgetName(ref: number): void {
  const table = Atomics.load(words(), H_NAMES);
  if (table === 0) return;
  const i32 = heap().i32;
  lockWord(i32, H_NAMES_LOCK, Infinity);
  try {
    for (let i = 0; i < NAME_SLOTS; i++) {
      const at = table + ((ref + i) % NAME_SLOTS) * NAME_WORDS;
      if (i32[at] === 0) return;
      if (i32[at] === ref) {
        dropMessage(i32[at + 1]);
        // Tombstone-free delete: move the rest of the run back.
        i32[at] = 0;
        i32[at + 1] = 0;
        for (let j = i + 1; j < NAME_SLOTS; j++) {
          const next = table + ((ref + j) % NAME_SLOTS) * NAME_WORDS;
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
  }
}

function reinsert(table: number, ref: number, message: number): void {
  const i32 = heap().i32;
  for (let i = 0; i < NAME_SLOTS; i++) {
    const at = table + ((ref + i) % NAME_SLOTS) * NAME_WORDS;
    if (i32[at] === 0) {
      i32[at] = ref;
      i32[at + 1] = message;
      return;
    }
  }
}

/** A primitive's name: where it was created, or its kind and ref. */
export function nameOf(ref: number): string {
  const table = Atomics.load(words(), H_NAMES);
  const i32 = heap().i32;
  if (table !== 0) {
    lockWord(i32, H_NAMES_LOCK, Infinity);
    let message = 0;
    try {
      for (let i = 0; i < NAME_SLOTS; i++) {
        const at = table + ((ref + i) % NAME_SLOTS) * NAME_WORDS;
        if (i32[at] === 0) break;
        if (i32[at] === ref) {
          message = i32[at + 1];
          break;
        }
      }
    } finally {
      unlockWord(i32, H_NAMES_LOCK);
    }
    if (message !== 0) return loadMessage(message, false) as string;
  }
  return `${kindName(kindOf(ref)) ?? "object"} #${ref}`;
}

// Holds and waits. -----------------------------------------------------------

/** This thread's Lock and RLock holds, oldest first, and since when. */
const held: number[] = [];
const heldSince: number[] = [];
let heldBlock = 0;
let waitingSince = 0;
onNewThread(() => {
  held.length = 0;
  heldSince.length = 0;
  heldBlock = 0;
});

function holderIndex(kind: number): number {
  return kind === K_LOCK ? LOCK_HOLDER : kind === K_RLOCK ? RLOCK_HOLDER : -1;
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

/** A lock of `kind` at `ref` was just taken by this thread (observed). */
export function acquired(ref: number): void {
  const kind = kindOf(ref);
  const index = holderIndex(kind);
  if (index < 0) return;
  Atomics.store(heap().i32, ref + index, runtime().slot + 1);
  if ((observeFlags() & OBSERVE_DETECT) !== 0) checkOrder(ref);
  held.push(ref);
  heldSince.push(clock());
  mirror();
}

/** A lock at `ref` is being released by this thread (observed). */
export function released(ref: number): void {
  const index = holderIndex(kindOf(ref));
  if (index < 0) return;
  Atomics.store(heap().i32, ref + index, 0);
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
 * records what it waits for, and with detection on, looks for the cycle
 * this closes (throw mode: throws DeadlockError instead of blocking).
 */
export function blocking(ref: number): void {
  waitingSince = clock();
  if (holderIndex(kindOf(ref)) < 0) return;
  const slot = runtime().slot;
  const at = slotWord(slot, S_WAITING);
  Atomics.store(words(), at, ref);
  const mode = observeFlags() & OBSERVE_DETECT;
  if (mode === 0) return;
  const cycle = cycleThrough(slot);
  if (cycle === undefined) return;
  const text = describeCycle(cycle);
  if (mode === OBSERVE_THROW) {
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

function isAlive(slot: number): boolean {
  return (Atomics.load(words(), slotWord(slot, S_STATE)) & 3) === ALIVE;
}

/** The slot of the thread holding the lock at `ref`, or -1. */
function holderOf(ref: number): number {
  const index = holderIndex(kindOf(ref));
  if (index < 0) return -1;
  const i32 = heap().i32;
  if (Atomics.load(i32, ref) === 0) return -1;
  const holder = Atomics.load(i32, ref + index) - 1;
  return holder >= 0 && isAlive(holder) ? holder : -1;
}

/** The ref of the lock `slot` waits for, or 0. */
export function waitingOf(slot: number): number {
  return Atomics.load(words(), slotWord(slot, S_WAITING));
}

/** The locks `slot` holds now (its list, checked against each lock). */
export function holdsOf(slot: number): number[] {
  const block = Atomics.load(words(), slotWord(slot, S_HELD));
  if (block === 0) return [];
  const i32 = heap().i32;
  const out: number[] = [];
  const n = Math.min(Atomics.load(i32, block + HELD_COUNT), HELD_MAX);
  for (let i = 0; i < n; i++) {
    const ref = i32[block + HELD_FIRST + i];
    if (holderOf(ref) === slot && !out.includes(ref)) out.push(ref);
  }
  return out;
}

/** The threads of the cycle that `start`'s wait closes, `start` first. */
export function cycleThrough(start: number): number[] | undefined {
  const path = [start];
  for (let lock = waitingOf(start); lock !== 0;) {
    const holder = holderOf(lock);
    if (holder < 0) return undefined;
    if (holder === start) return path;
    if (path.includes(holder)) return undefined;
    path.push(holder);
    lock = waitingOf(holder);
  }
  return undefined;
}

/** `Deadlock detected:`, then each thread, what it holds and waits for. */
export function describeCycle(cycle: number[]): string {
  const reg = runtime().registry;
  const lines = cycle.map((slot) => {
    const holds = holdsOf(slot).map(nameOf);
    return `  thread "${reg.readName(slot)}" holds ${
      holds.length > 0 ? holds.join(", ") : "nothing"
    } and waits for ${nameOf(waitingOf(slot))}`;
  });
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
  const i32 = heap().i32;
  const table = orderTable();
  const name = runtime().registry.readName(runtime().slot);
  const inverted: { first: number; by: number }[] = [];
  lockWord(i32, H_ORDER_LOCK, Infinity);
  try {
    for (const first of held) {
      if (first === ref) continue;
      const reverse = entry(table, ref, first);
      if (reverse >= 0 && i32[reverse] === ref && i32[reverse + 3] === 0) {
        i32[reverse + 3] = 1;
        inverted.push({ first, by: i32[reverse + 2] });
      }
      const at = entry(table, first, ref);
      if (at >= 0 && i32[at] === 0) {
        i32[at] = first;
        i32[at + 1] = ref;
        i32[at + 2] = storeMessage(name, "name", () => []);
      }
    }
  } finally {
    unlockWord(i32, H_ORDER_LOCK);
  }
  for (const { first, by } of inverted) {
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
