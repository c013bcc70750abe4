// The one place that fixes how shared memory is laid out: the thread registry
// shared by every thread, and the words of each primitive.

/** Threads alive at once, main included. */
export const MAX_THREADS = 1024;
/** UTF-8 bytes of a thread name. */
export const NAME_BYTES = 1020;
/** UTF-8 bytes of the excepthook's description. */
export const HOOK_BYTES = 256 * 1024;

// Registry header words.
export const H_NAME_COUNTER = 0; // last N handed out for "Thread-N"
export const H_IDENT = 1; // last ident handed out
export const H_NON_DAEMON = 2; // alive non-daemon threads, main excluded
export const H_HOOK_SEQ = 3; // seqlock of the excepthook description
export const H_HOOK_LEN = 4;
export const H_LOCAL_COUNTER = 5; // last ThreadLocal id handed out
export const H_ATTACH_COUNTER = 6; // last relay attachment id handed out
export const H_ALIVE = 7; // alive threads, main included: spinning pays only with free cores
export const H_POOL_LIMIT = 8; // how many finished workers may stay parked for reuse
export const H_PARKED = 9; // alive threads asleep in a wait: they need no core
export const HEADER_WORDS = 16;

// Per-thread slot words.
export const S_STATE = 0; // FREE, ALIVE
export const S_GEN = 1; // bumped when the thread ends: joiners wait on it
export const S_IDENT = 2;
export const S_NATIVE_ID = 3;
export const S_DAEMON = 4;
export const S_STARTED = 5; // 1 once run() is about to be called
export const S_NAME_SEQ = 6; // seqlock of the name
export const S_NAME_LEN = 7;
export const S_RELAY = 8; // bumped by the relay after each reply to the thread
export const SLOT_WORDS = 9;

export const FREE = 0;
export const ALIVE = 1;

export const SLOTS_OFFSET = HEADER_WORDS * 4;
export const NAMES_OFFSET = SLOTS_OFFSET + MAX_THREADS * SLOT_WORDS * 4;
export const HOOK_OFFSET = NAMES_OFFSET + MAX_THREADS * NAME_BYTES;

// The pool of parked workers: an entry a worker, each with a mailbox that a
// starting thread writes its job into (see _pool.ts).
export const POOL_MAX = 64;
export const POOL_MAILBOX_BYTES = 16 * 1024;
export const P_STATE = 0; // P_FREE, P_IDLE, P_CLAIMED, P_READY, P_BUSY
export const P_LENGTH = 1; // bytes of the job in the mailbox
export const P_RELAY = 2; // relay id of the job's SharedArrayBuffers (0: none)
export const POOL_WORDS = 4;
export const P_FREE = 0; // no worker
export const P_IDLE = 1; // a worker parked, waiting for a job
export const P_CLAIMED = 2; // a starter is writing a job
export const P_READY = 3; // a job waits for the worker
export const P_BUSY = 4; // the worker runs a thread
export const POOL_OFFSET = HOOK_OFFSET + HOOK_BYTES;
export const MAILBOX_OFFSET = POOL_OFFSET + POOL_MAX * POOL_WORDS * 4;
export const REGISTRY_BYTES = MAILBOX_OFFSET + POOL_MAX * POOL_MAILBOX_BYTES;

/** The word index of field `field` of pool entry `entry` in the registry. */
export function poolWord(entry: number, field: number): number {
  return POOL_OFFSET / 4 + entry * POOL_WORDS + field;
}

/** The word index of field `field` of slot `slot` in the registry's Int32Array. */
export function slotWord(slot: number, field: number): number {
  return HEADER_WORDS + slot * SLOT_WORDS + field;
}

// Lock: one futex word. 0 unlocked, 1 locked, 2 locked and contended.
export const LOCK_WORDS = 1;
// RLock: the futex word, the owner's ident, the recursion count.
export const RLOCK_STATE = 0;
export const RLOCK_OWNER = 1;
export const RLOCK_COUNT = 2;
export const RLOCK_WORDS = 3;
// Event: one word holding the flag (bit 0) and a generation (the other bits,
// bumped by every set), changed by compare-exchange so that a waiter never
// sees half of a set(); then the number of sleeping waiters.
export const EVENT_STATE = 0;
export const EVENT_WAITERS = 1;
export const EVENT_WORDS = 2;

/** A fresh zeroed Int32Array over shared memory. */
export function sharedWords(words: number): Int32Array {
  return new Int32Array(new SharedArrayBuffer(words * 4));
}

// Condition: a FIFO of waiter entries, all changed only under the lock.
// Each waiter sleeps on its own entry word, so notify(n) wakes exactly n.
export const COND_CAPACITY = 1024; // waiters at once
export const COND_HEAD = 0; // queue index of the oldest waiter
export const COND_LENGTH = 1; // waiters queued
export const COND_QUEUE = 2; // COND_CAPACITY entry numbers, a ring
export const COND_ENTRIES = COND_QUEUE + COND_CAPACITY; // COND_CAPACITY words
export const COND_WORDS = COND_ENTRIES + COND_CAPACITY;
export const ENTRY_FREE = 0;
export const ENTRY_WAITING = 1; // queued, spinning
export const ENTRY_NOTIFIED = 2;
export const ENTRY_CANCELLED = 3; // timed out or aborted
export const ENTRY_PARKED = 4; // queued, asleep: a notify must Atomics.notify

// Semaphore: value, sleeping waiters, the initial value (BoundedSemaphore).
export const SEM_VALUE = 0;
export const SEM_WAITERS = 1;
export const SEM_INITIAL = 2;
export const SEM_WORDS = 3;

// Barrier: Python's _state and _count (guarded by the barrier's Condition).
export const BARRIER_STATE = 0; // 0 filling, 1 draining, -1 resetting, -2 broken
export const BARRIER_COUNT = 1;
export const BARRIER_WORDS = 2;

// SharedValue: a mutex word, its owner's ident, the byte length; then bytes.
export const VALUE_LOCK = 0;
export const VALUE_OWNER = 1;
export const VALUE_LENGTH = 2;
export const VALUE_HEADER_BYTES = 12;

// Queue: control words, then an index of records (a ring for FIFO, a stack
// for LIFO, a binary heap for priority), all changed under the queue's lock.
// Records live in a separate store of BLOCK_BYTES blocks chained by their
// first word; a record's first block starts with its length and relay id.
export const Q_MAXSIZE = 0;
export const Q_COUNT = 1; // items queued
export const Q_UNFINISHED = 2; // put() minus taskDone()
export const Q_SHUTDOWN = 3; // 1 after shutdown()
export const Q_HEAD = 4; // FIFO: index position of the oldest record
export const Q_FREE = 5; // first free block, -1 if none
export const Q_BUMP = 6; // blocks never used start here
export const Q_FREE_BLOCKS = 7; // blocks free, counting never-used ones
export const Q_INDEX = 8;
export const BLOCK_BYTES = 64;
export const BLOCK_DATA = BLOCK_BYTES - 4;
export const RECORD_HEADER = 8; // byte length, relay id (0: none)
