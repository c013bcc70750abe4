// The one place that fixes how shared memory is laid out. Every thread maps
// one growable SharedArrayBuffer, the heap (see _heap.ts): the registry of
// threads at its start, then blocks that the allocator hands out, one per
// primitive. A reference to a block ("ref") is the Int32 word index of its
// payload, the same number in every thread, so a primitive crosses threads
// as a number: no SharedArrayBuffer needs to be posted.

/** Threads alive at once, main included. */
export const MAX_THREADS = 1024;
/** UTF-8 bytes of a thread name. */
export const NAME_BYTES = 1020;
/** UTF-8 bytes of the excepthook's description. */
export const HOOK_BYTES = 64 * 1024;

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
export const H_BUMP = 10; // the allocator's first never-used word
export const H_GROW_LOCK = 11; // held while the heap grows
export const H_SPAWN_BELL = 12; // bumped when a spawn request is queued for main
export const H_MAIN_PARKED = 13; // word main sleeps on in a blocking wait, 0: none
export const H_WORKER_COUNTER = 14; // last worker id handed out
export const H_SPARE_WANTED = 15; // 1: a thread took the last idle worker
export const H_BOOTING = 16; // spare workers created and not yet parked
export const H_IDLE_BELL = 17; // bumped whenever a worker parks idle
export const H_SAB_COUNTER = 18; // last SharedArrayBuffer id handed out
export const H_HEAP_BYTES = 19; // the heap's length / 8, set when it grows
export const H_PENDING_TASKS = 20; // executors with tasks not done: exit waits for them
export const H_EXECUTOR_COUNTER = 21; // executors created, for "ThreadPoolExecutor-N"
export const H_OBSERVE = 22; // OBSERVE_REPORT / OBSERVE_THROW | OBSERVE_TRACE: see _observe.ts
export const H_ORDER_LOCK = 23; // mutex of the lock-order table
export const H_ORDER_TABLE = 24; // ref of the lock-order table, 0: none yet
export const H_TRACE = 25; // ref of the trace buffer, 0: none
export const H_DEFAULT_HEAP_MB = 26; // setDefaultResourceLimits()'s maxHeapMb, 0: the built-in default
export const H_DEATHS = 27; // bumped when a worker dies while its thread runs (see S_DIED)
export const H_NAMES = 28; // ref of the names table of primitives, 0: none yet
export const H_NAMES_LOCK = 29; // its mutex
export const H_SHARED = 30; // ref of the registry of shared names (SN_*), 0: none yet
export const H_SHARED_LOCK = 31; // held while that registry is created
export const H_CLASS_LOCKS = 32; // a spin lock per size class
export const H_CLASS_HEADS = 64; // a free list per size class (ref of the first block)
export const H_REDIS = 96; // ref of the directory of Redis connections (src/_redis/hub.ts), 0: none yet
export const H_REDIS_LOCK = 97; // its mutex
export const H_MODULE_SHARING = 127; // 1: module-level detection off (setModuleSharing)
export const HEADER_WORDS = 128;

// Per-thread slot words.
export const S_STATE = 0; // gen << 2 | FREE, ALIVE or ENDING: one word, so no ABA
export const S_IDENT = 1;
export const S_NATIVE_ID = 2;
export const S_DAEMON = 3;
export const S_STARTED = 4; // 1 once run() is about to be called
export const S_NAME_SEQ = 5; // seqlock of the name
export const S_NAME_LEN = 6;
export const S_RELAY = 7; // bumped by the relay after each reply to the thread
export const S_SLEEP = 8; // never changes: sleep() sleeps on it
export const S_FAILURE = 9; // ref of the encoded error that stopped start(), 0: none
export const S_WAITING = 10; // ref of the lock it blocks on, 0: none (while observed)
export const S_HELD = 11; // ref of its held-locks block (HELD_*), 0: none yet
export const S_HEAP_MB = 12; // its heap limit (resourceLimits.maxHeapMb)
export const S_DIED = 13; // 0, DIED or DEATH_HANDLED: its worker died while it ran
export const S_EXECUTOR = 14; // ref of the executor it works for, 0: none
export const S_TASK = 15; // ref of the future of the task it runs, 0: none
export const SLOT_WORDS = 16;

// S_DIED: the worker died (ran out of memory) while the thread ran; the
// thread is still alive until a thread that sees it reports its error and
// ends it (see _death.ts).
export const DIED = 1;
export const DEATH_HANDLED = 2;

// What a thread holds, while observed: a count, then lock refs.
export const HELD_COUNT = 0;
export const HELD_FIRST = 1;
export const HELD_MAX = 63;

// Observation modes (H_OBSERVE).
export const OBSERVE_REPORT = 1;
export const OBSERVE_THROW = 2;
export const OBSERVE_DETECT = 3; // mask of the two above
export const OBSERVE_TRACE = 4;

export const FREE = 0;
export const ALIVE = 1;
/** Ended: joiners are released and it is gone from enumerate(); not yet reusable. */
export const ENDING = 2;

/** The state word of a slot: its generation and its state. */
export function slotState(gen: number, state: number): number {
  return ((gen << 2) | state) | 0;
}

export const SLOTS_OFFSET = HEADER_WORDS * 4;
export const NAMES_OFFSET = SLOTS_OFFSET + MAX_THREADS * SLOT_WORDS * 4;
export const HOOK_OFFSET = NAMES_OFFSET + MAX_THREADS * NAME_BYTES;

// The pool of parked workers (see _workers.ts): an entry per worker. A
// starting thread writes the ref of its job (a block holding the encoded
// thread) into an idle entry.
export const POOL_MAX = 64;
export const P_STATE = 0; // P_FREE, P_IDLE, P_CLAIMED, P_READY, P_BUSY
export const P_JOB = 1; // ref of the job block
export const P_WORKER = 2; // id of the worker parked there
export const P_CELL = 3; // ref of that worker's cell
export const P_HEAP_MB = 4; // that worker's heap limit: it runs only threads with that limit
export const POOL_WORDS = 5;
export const P_FREE = 0; // no worker
export const P_IDLE = 1; // a worker parked, waiting for a job
export const P_CLAIMED = 2; // a starter is writing a job
export const P_READY = 3; // a job waits for the worker
export const P_BUSY = 4; // the worker runs a thread
export const POOL_OFFSET = HOOK_OFFSET + HOOK_BYTES;

// Spawn requests: a thread other than main that needs a new worker asks main
// to create it (Deno starts a worker created inside a worker ~500 ms late).
export const SPAWN_MAX = 256;
export const R_STATE = 0; // R_FREE, R_FILLING, R_QUEUED, R_TAKEN, R_CANCELLED
export const R_JOB = 1; // ref of the job block
export const SPAWN_WORDS = 2;
export const R_FREE = 0;
export const R_FILLING = 1;
export const R_QUEUED = 2;
export const R_TAKEN = 3; // main took it and is creating the worker
export const R_CANCELLED = 4; // the requester gave up and spawns on its own
export const SPAWN_OFFSET = POOL_OFFSET + POOL_MAX * POOL_WORDS * 4;

/** Bytes of the registry (a multiple of 8); blocks start after it. */
export const REGISTRY_BYTES =
  Math.ceil((SPAWN_OFFSET + SPAWN_MAX * SPAWN_WORDS * 4) / 8) * 8;

/** The word index of field `field` of pool entry `entry`. */
export function poolWord(entry: number, field: number): number {
  return POOL_OFFSET / 4 + entry * POOL_WORDS + field;
}

/** The word index of field `field` of spawn request `request`. */
export function spawnWord(request: number, field: number): number {
  return SPAWN_OFFSET / 4 + request * SPAWN_WORDS + field;
}

/** The word index of field `field` of slot `slot`. */
export function slotWord(slot: number, field: number): number {
  return HEADER_WORDS + slot * SLOT_WORDS + field;
}

// A worker's cell: what main needs to know when the worker exits.
export const W_SLOT = 0; // slot of the thread it runs, -1: none
export const W_GEN = 1;
export const W_ENTRY = 2; // pool entry it parks in, -1: none
export const W_CLOSED = 3; // 1 once the relay saw the worker end (see _relay_worker.ts)
export const W_CACHED = 4; // how many SharedArrayBuffer ids follow
export const W_CACHE = 5; // the ids of the buffers it holds (see _sab_cache.ts)
export const CACHE_SIZE = 16;
export const CELL_WORDS = W_CACHE + CACHE_SIZE;

// A job: a thread to run, encoded (see thread.ts), and where its shared
// buffers travel.
export const J_SLOT = 0;
export const J_GEN = 1;
export const J_LENGTH = 2; // bytes of the encoded thread, after the ids
export const J_SABS = 3; // J_NO_SABS, J_DIRECT (main's port) or a relay id
export const J_SAB_COUNT = 4; // the ids of its SharedArrayBuffers follow
export const J_HEAP_MB = 5; // the thread's heap limit: the worker's
export const J_HEADER_WORDS = 6;
export const J_NO_SABS = 0; // none to deliver: the worker holds them all
export const J_DIRECT = -1;

// Blocks: two header words before the payload. Sizes are powers of two from
// 16 bytes (class 0) up; a free block's first payload word links the next.
export const BLOCK_HEADER_WORDS = 2;
export const B_INFO = -2; // size class | kind << 8 | FREE_BIT
export const B_REFS = -1; // references to a primitive's block, across threads
export const FREE_BIT = 1 << 30;
export const MODULE_LEVEL_BIT = 1 << 29; // set on a primitive kept under a shared name (module-level ones too)
export const MIN_CLASS_BYTES = 16;
export const CLASSES = 27; // 16 B .. 1 GiB

// Kinds of blocks: what a ref points at, for the handle that rebuilds it.
export const K_RAW = 0; // plain storage owned by another block
export const K_LOCK = 1;
export const K_RLOCK = 2;
export const K_EVENT = 3;
export const K_CONDITION = 4;
export const K_SEMAPHORE = 5;
export const K_BOUNDED_SEMAPHORE = 6;
export const K_BARRIER = 7;
export const K_SHARED_VALUE = 8;
export const K_QUEUE = 9;
export const K_SIMPLE_QUEUE = 10;
export const K_LIFO_QUEUE = 11;
export const K_PRIORITY_QUEUE = 12;
export const K_FUTURE = 13;
export const K_EXECUTOR = 14;
export const K_SHARED_LIST = 15;
export const K_SHARED_MAP = 16;
export const KINDS = 32;

// Lock: one futex word (0 unlocked, 1 locked, 2 locked and contended), then,
// written only while observed (_observe.ts), the ident of its holder (an
// ident is never reused: a holder that has ended is told apart).
export const LOCK_HOLDER = 1;
export const LOCK_WORDS = 2;
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

// Condition: the kind and ref of its lock, then a FIFO of waiter nodes, a
// doubly linked list of blocks, all changed only under the lock. Each waiter
// sleeps on its own node's state word, so notify(n) wakes exactly n, and
// there is no limit on waiters but memory.
export const COND_LOCK_KIND = 0;
export const COND_LOCK_REF = 1;
export const COND_HEAD = 2; // ref of the oldest waiter's node, 0: none
export const COND_TAIL = 3;
export const COND_COUNT = 4; // nodes linked
export const COND_WORDS = 5;
export const N_STATE = 0;
export const N_NEXT = 1;
export const N_PREV = 2;
export const N_LINKED = 3; // 1 while in the list
export const NODE_WORDS = 4;
export const ENTRY_WAITING = 1; // queued, spinning
export const ENTRY_NOTIFIED = 2;
export const ENTRY_CANCELLED = 3; // timed out or aborted
export const ENTRY_PARKED = 4; // queued, asleep: a notify must Atomics.notify

// Semaphore: the value while below SEM_BIG, else SEM_BIG: then the value is
// the float64 at SEM_LARGE, guarded by the mutex SEM_MUTEX (values reach
// Number.MAX_SAFE_INTEGER; small ones keep the one-word fast path). Then
// sleeping waiters, and the initial value (a float64, for BoundedSemaphore).
export const SEM_VALUE = 0;
export const SEM_WAITERS = 1;
export const SEM_MUTEX = 2;
export const SEM_NAME = 3; // message of its name, while observed
export const SEM_LARGE = 4; // float64 at words 4-5
export const SEM_INITIAL = 6; // float64 at words 6-7
export const SEM_WORDS = 8;
export const SEM_BIG = 0x40000000;

// Barrier: Python's _state and _count (guarded by the barrier's Condition),
// the parties, the default timeout, the ref of its Condition and of its
// action's description (0: none).
export const BARRIER_STATE = 0; // 0 filling, 1 draining, -1 resetting, -2 broken
export const BARRIER_COUNT = 1;
export const BARRIER_PARTIES = 2;
export const BARRIER_COND = 3;
export const BARRIER_ACTION = 4;
export const BARRIER_TIMEOUT = 6; // a float64 at words 6-7: Infinity for none
export const BARRIER_WORDS = 8;

// SharedValue: its mutex (MUTEX_WORDS), the bound of the encoded value's
// bytes, the ref of the record holding it (see _stored_value.ts).
export const VALUE_MUTEX = 0;
export const VALUE_MAX_BYTES = 2;
export const VALUE_RECORD = 3;
export const VALUE_WORDS = 4;

// A mutex of a shared container (see _mutex.ts): a lock word, then the ident
// of the thread holding it (0: none). It is the first words of the
// container's block, where deadlock detection looks for it.
export const MUTEX_LOCK = 0;
export const MUTEX_OWNER = 1;
export const MUTEX_WORDS = 2;

// A hash table (see _hash_table.ts), TABLE_WORDS words of its owner's block:
// a power-of-two array of bucket heads, and its entries linked in insertion
// order.
export const TABLE_BUCKETS = 0; // ref of the bucket array, 0: none yet
export const TABLE_MASK = 1; // buckets - 1
export const TABLE_SIZE = 2; // entries
export const TABLE_FIRST = 3; // ref of the oldest entry, 0: none
export const TABLE_LAST = 4; // ref of the newest entry, 0: none
export const TABLE_WORDS = 5;
// An entry: a block of its own, its key's bytes after these words.
export const E_CHAIN = 0; // next entry in its bucket, 0: none
export const E_HASH = 1;
export const E_BEFORE = 2; // the entry inserted before it, 0: none
export const E_AFTER = 3; // the entry inserted after it, 0: none
export const E_VALUE = 4; // what the owner stores (a record's ref...)
export const E_KEY_LENGTH = 5; // bytes
export const E_HEADER_WORDS = 6;

// SharedList: its mutex, the bytes its items take encoded and their bound,
// then the refs of its items' records, a ring (INDEX_WORDS).
export const LIST_MUTEX = 0;
export const LIST_BYTES = 2;
export const LIST_MAX_BYTES = 3;
export const LIST_ITEMS = 4;
export const LIST_WORDS = 8;

// SharedMap: its mutex, the bytes its keys and values take encoded and their
// bound, then its table (TABLE_WORDS), each entry's value the ref of the
// record of its encoded value.
export const MAP_MUTEX = 0;
export const MAP_BYTES = 2;
export const MAP_MAX_BYTES = 3;
export const MAP_TABLE = 4;
export const MAP_WORDS = 9;

// The registry of shared names (see _shared_registry.ts): a mutex, a word
// bumped whenever a claim is settled, the table of names (entry value: the
// name's record), the table from a named primitive's block to its record,
// and the table of sites warned about.
export const SN_LOCK = 0;
export const SN_BELL = 1;
export const SN_NAMES = 2;
export const SN_BLOCKS = SN_NAMES + TABLE_WORDS;
export const SN_WARNED = SN_BLOCKS + TABLE_WORDS;
export const SN_WORDS = SN_WARNED + TABLE_WORDS;
// A name's record: its state (CLAIMED, SET), the claiming thread, its
// entry in the names table, and its value: a single primitive's kind and
// block, or the ref of an encoded message (SR_REF: a pinned number, such as
// a ThreadLocal's id), with the isolates holding a copy of it.
export const SR_STATE = 0;
export const SR_CLAIMER = 1; // slot
export const SR_CLAIM_GEN = 2;
export const SR_ENTRY = 3;
export const SR_KIND = 4; // 0: not a single primitive
export const SR_REF = 5;
export const SR_MESSAGE = 6;
export const SR_HOLDERS = 7; // -1: pinned
export const SR_WORDS = 8;

// Queue: its lock, its state, its waits (eventcounts, below), then where its
// items are (see _queue_store.ts).
export const Q_LOCK = 0;
export const Q_ORDER = 1; // FIFO, LIFO or PRIORITY
export const Q_MAXSIZE = 2; // 0: unbounded
export const Q_UNFINISHED = 3; // put() minus taskDone()
export const Q_SHUTDOWN = 4; // 1 after shutdown()
export const Q_BYTES = 5; // bytes of the items queued, encoded
export const Q_MAX_BYTES = 6; // bound of Q_BYTES, 0: none
export const Q_COMPARE = 7; // ref of the comparator's description, 0: none
export const Q_COUNT = 8; // items queued (stored atomically: waiters spin on it)
export const Q_GETTERS = 9; // eventcount (EC_WORDS) of get() on an empty queue
export const Q_PUTTERS = 12; // of put() on a full queue
export const Q_JOINERS = 15; // of join()
export const Q_STORE = 18; // STORE_WORDS (4) words: the ring, stack or heap
export const Q_WORDS = Q_STORE + 4;
// An eventcount (see _wait.ts): a sequence word bumped for its waiters, the
// waiters registered (changed under its owner's lock), and those of them
// asleep (so that nobody notifies while waiters only spin).
export const EC_SEQ = 0;
export const EC_REGISTERED = 1;
export const EC_ASLEEP = 2;
export const EC_WORDS = 3;
export const FIFO = 0;
export const LIFO = 1;
export const PRIORITY = 2;
// A growable array of refs (a LIFO stack, a binary heap), INDEX_WORDS words.
export const INDEX_REF = 0; // ref of the block of refs
export const INDEX_CAPACITY = 1; // refs it holds
export const INDEX_HEAD = 2; // position of the first
export const INDEX_COUNT = 3;
export const INDEX_WORDS = 4;
// SimpleQueue: the ref of the Queue it wraps.
export const SIMPLE_QUEUE = 0;
export const SIMPLE_WORDS = 1;
// A record: an encoded value (see _record.ts), these words then its bytes.
export const REC_LENGTH = 0; // bytes of the value encoded
// 0: none; > 0: the relay id of its SharedArrayBuffers; < 0: stored out of
// line, its bytes (and buffers) in the relay under the id -REC_RELAY.
export const REC_RELAY = 1;
export const REC_HEADER_WORDS = 2;

// Future (see _future_state.ts): its state, a mutex over its watchers, an
// eventcount its result() waiters sleep on, its outcome (a message), and, for
// a task, the function's id in its executor and the arguments (a message).
export const F_STATE = 0; // FUTURE_PENDING ... FUTURE_SETTING
export const F_LOCK = 1;
export const F_WAITERS = 2; // eventcount (EC_WORDS)
export const F_OUTCOME = 5; // ref of the message of the result or error, 0: none
export const F_FAILED = 6; // 1: the outcome is an error
export const F_FN = 7;
export const F_ARGS = 8;
export const F_WATCHERS = 9; // INDEX_WORDS: refs of the watchers of wait()/asCompleted()
export const F_WORDS = 13;
export const FUTURE_PENDING = 0;
export const FUTURE_RUNNING = 1;
export const FUTURE_CANCELLED = 2;
export const FUTURE_FINISHED = 3;
export const FUTURE_SETTING = 4; // an outcome is being written

// A watcher of futures (a wait() or asCompleted() in progress): a mutex, an
// eventcount, and a ring of the refs of the futures done since it began.
export const WT_LOCK = 0;
export const WT_EVENTS = 1; // eventcount (EC_WORDS)
export const WT_DONE = 4; // INDEX_WORDS
export const WT_WORDS = 8;

// ThreadPoolExecutor: a mutex, its flags, its workers, the ring of futures
// waiting for a worker, the eventcount idle workers sleep on, the functions
// submitted (messages of their descriptions, by id), its workers' Threads
// (messages), the name prefix, the initializer and its arguments.
export const X_LOCK = 0;
export const X_FLAGS = 1; // X_SHUTDOWN | X_BROKEN
export const X_MAX_WORKERS = 2;
export const X_THREADS = 3; // workers started
export const X_IDLE = 4; // Python's _idle_semaphore: workers done with a task, waiting
export const X_WORK = 5; // INDEX_WORDS: refs of queued futures
export const X_WAKE = 9; // eventcount (EC_WORDS) of workers waiting for work
export const X_FNS = 12; // INDEX_WORDS
export const X_WORKERS = 16; // INDEX_WORDS
export const X_PREFIX = 20; // message
export const X_INIT = 21; // message: [initializer description, initargs], 0: none
export const X_SPINNER = 22; // 1 while an idle worker spins for work (one at most)
export const X_PENDING = 23; // tasks submitted and not done
export const X_HEAP_MB = 24; // its workers' heap limit (resourceLimits.maxHeapMb), 0: the default
export const X_WORDS = 25;
export const X_SHUTDOWN = 1;
export const X_BROKEN = 2;

// The lock-order table (while observed): open addressing, ORDER_SLOTS
// entries of [first lock, then lock, message of the thread's name, reported].
export const ORDER_SLOTS = 4096;
export const ORDER_WORDS = 4;

// The trace buffer (see _trace_buffer.ts): a header, then a directory of
// chunks of records, each chunk allocated when the first record lands in it;
// thread lives are kept apart, in a list of blocks of their own.
export const TRACE_COUNT = 0; // records claimed
export const TRACE_WRITERS = 1; // threads writing a record now
export const TRACE_DROPPED = 2; // records that found no room (shared memory ran out)
export const TRACE_LIVES = 3; // ref of the newest life block, 0: none
export const TRACE_EPOCH = 4; // float64 at words 4-5: when the trace began (epoch ms)
export const TRACE_DIRECTORY = 6; // TRACE_CHUNKS refs; 0: none yet, -1: being made, -2: no room
export const TRACE_CHUNK_BITS = 16; // records per chunk: 2 MiB
export const TRACE_CHUNKS = 4096; // 2^28 records at most (8 GiB, the heap's maximum)
export const TRACE_HEADER_WORDS = TRACE_DIRECTORY + TRACE_CHUNKS;
// A record: [type, ident, ref, detail, start float64, end float64].
export const TRACE_WORDS = 8;
// A life block: [next, type, ident, message of the name, start float64, end
// float64].
export const LIFE_NEXT = 0;
export const LIFE_TYPE = 1;
export const LIFE_IDENT = 2;
export const LIFE_NAME = 3;
export const LIFE_START = 4;
export const LIFE_END = 6;
export const LIFE_WORDS = 8;
