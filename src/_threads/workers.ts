// The workers that threads run on: creating them, the pool of parked ones,
// and the requests other threads send main to create one.
//
// Only the main thread creates workers. Measured on Deno 2.9.6: a worker
// created inside a worker reaches its first instruction 515-585 ms late (a
// web Worker ~1,020 ms), against ~15-50 ms from main. The cause is in Deno:
// every worker's inspector holds a session to main's inspector, so a worker
// it creates waits out a 500 ms "wait for debugger" grace period before
// running (`wait_for_page_wait_for_debugger` in libs/core/inspector.rs) and
// as long again before its first message. So a thread that starts a thread
// takes a parked worker, or asks main for a new one: main answers from its
// event loop, or from inside any blocking wait of this library (see
// _wait.ts). Only if main does neither in time (it runs a long computation)
// does the thread create a worker itself, and pays the delay.
//
// A finished thread's worker parks in an entry of the pool; any thread's
// start() claims it with a compare-exchange and writes the ref of its job
// there, so a warm start needs no event loop and no new Worker.
//
// Creating a worker blocks its creator: `new Worker()` (node:worker_threads)
// returns only once the worker's isolate is up, 50-140 ms on this machine (a
// web Worker takes ~25 ms, but cannot be unref'd, so it would hold the
// process). So the pool keeps a spare: main's first start() also creates one
// (first, so that it boots while the thread's own worker is created), and
// whenever a start() takes the last idle worker, main makes another once its
// event loop is free.
//
// Every worker is created with a heap limit (node:worker_threads'
// resourceLimits), the limit of the threads it runs: reaching it ends the
// worker with an error instead of aborting the process (without a limit, V8's
// "Fatal JavaScript out of memory" does). A parked worker runs only threads
// with its own limit; spares have the default one. A worker that dies while
// its thread runs is seen by the relay (_relay_worker.ts); the thread's
// error is reported and the thread ended by whichever thread sees it first
// (_death.ts).
import v8 from "node:v8";
import {
  isMainThread,
  MessageChannel,
  type MessagePort,
  receiveMessageOnPort,
  Worker,
} from "node:worker_threads";
import {
  CELL_WORDS,
  H_BOOTING,
  H_DEATHS,
  H_DEFAULT_HEAP_MB,
  H_IDLE_BELL,
  H_POOL_LIMIT,
  H_SPARE_WANTED,
  H_SPAWN_BELL,
  H_WORKER_COUNTER,
  J_DIRECT,
  J_GEN,
  J_HEADER_WORDS,
  J_HEAP_MB,
  J_LENGTH,
  J_NO_SABS,
  J_SAB_COUNT,
  J_SABS,
  J_SLOT,
  K_RAW,
  P_BUSY,
  P_CELL,
  P_CLAIMED,
  P_FREE,
  P_HEAP_MB,
  P_IDLE,
  P_JOB,
  P_READY,
  P_STATE,
  P_WORKER,
  POOL_MAX,
  poolWord,
  R_CANCELLED,
  R_FILLING,
  R_FREE,
  R_JOB,
  R_QUEUED,
  R_STATE,
  R_TAKEN,
  SPAWN_MAX,
  spawnWord,
  W_CLOSED,
  W_ENTRY,
  W_SLOT,
} from "../_core/layout.ts";
import {
  alloc,
  bytesAt,
  free,
  heap,
  heapBuffer,
  wordsAt,
} from "../_core/heap.ts";
import { runtime } from "./runtime.ts";
import { fetchRelayed, portForChild, stash } from "./relay.ts";
import { lostWorker } from "./relay_worker.ts";
import { handleDeaths } from "./death.ts";
import { checkCanLoad, workerEntry } from "./entry.ts";
import { buffersOf, sabId, workerHolds } from "./sab_cache.ts";
import {
  nudgeMain,
  setMainService,
  spinWhile,
  waitWord,
  waitWordAsync,
} from "../_core/wait.ts";

/** A thread to run: the ref of its job block and its shared buffers. */
export interface Job {
  ref: number;
  sabs: SharedArrayBuffer[];
}

/** The heap limit of the job at `ref` (0: a spare, with the default one). */
function heapOf(ref: number): number {
  return ref === 0 ? defaultHeapMb() : heap().i32[ref + J_HEAP_MB];
}

/** A job handed to a worker: its buffers, or those the worker lacked. */
export interface Delivery {
  ref: number;
  delivered: SharedArrayBuffer[];
}

/** What a worker receives at boot. */
export interface Boot {
  weftHeap: SharedArrayBuffer;
  workerId: number;
  /** Ref of the worker's cell (see _layout.ts). */
  cell: number;
  /** The first job. */
  job: number;
  sabs: SharedArrayBuffer[];
  /** The worker's port to the relay (see _relay.ts). */
  relay: MessagePort;
  /** A port from main, for the shared buffers of jobs main hands it. */
  direct: MessagePort | undefined;
  /** Whether the worker may park for reuse when its thread ends. */
  pooled: boolean;
  /** Its heap limit (MB): it runs only threads with that limit. */
  heapMb: number;
  /** The built-in default heap limit (MB), as main measured it. */
  builtinHeapMb: number;
}

let builtin = 0;

/**
 * The default heap limit of threads when none was set: the main thread's
 * own V8 heap limit (4192 MB on a 64-bit machine with 16 GiB or more, V8's
 * default; less on a smaller machine, or what `--v8-flags=--max-old-space-size`
 * says). A thread may grow as large as the program's main thread could;
 * running out is then that thread's error, not the process's end.
 */
function builtinHeapMb(): number {
  if (builtin !== 0) return builtin;
  const boot = runtime().boot;
  builtin = boot !== undefined
    ? boot.builtinHeapMb
    : Math.floor(v8.getHeapStatistics().heap_size_limit / 2 ** 20);
  return builtin;
}

/** The heap limit (MB) of threads started now without one of their own. */
export function defaultHeapMb(): number {
  return Atomics.load(words(), H_DEFAULT_HEAP_MB) || builtinHeapMb();
}

/** Sets the default heap limit (MB) of threads started from now on; 0: the built-in one. */
export function setDefaultHeapMb(mb: number): void {
  Atomics.store(words(), H_DEFAULT_HEAP_MB, mb);
}

const DEFAULT_LIMIT = 8;
/** Idle workers the pool keeps ready (while reuse is on). */
const SPARES = 1;
/** The job handed to a parked worker to make it close: its place is wanted. */
const CLOSE = 0;
/** How long a thread waits for main to create its worker before it does. */
const SPAWN_GRACE_MS = 50;

function words(): Int32Array {
  return runtime().registry.words;
}

/**
 * Writes a job: the thread's slot, its heap limit, the ids of its shared
 * buffers and its encoded form. Returns its ref.
 */
export function writeJob(
  slot: number,
  gen: number,
  heapMb: number,
  bytes: Uint8Array,
  sabs: SharedArrayBuffer[],
): number {
  const header = J_HEADER_WORDS + sabs.length;
  const ref = alloc(header * 4 + bytes.length, K_RAW);
  const w = heap().i32;
  w[ref + J_SLOT] = slot;
  w[ref + J_GEN] = gen;
  w[ref + J_HEAP_MB] = heapMb;
  w[ref + J_LENGTH] = bytes.length;
  w[ref + J_SAB_COUNT] = sabs.length;
  sabs.forEach((sab, i) => w[ref + J_HEADER_WORDS + i] = sabId(sab));
  bytesAt(ref + header, bytes.length).set(bytes);
  return ref;
}

function jobIds(ref: number): number[] {
  const w = heap().i32;
  const ids: number[] = [];
  for (let i = 0; i < w[ref + J_SAB_COUNT]; i++) {
    ids.push(w[ref + J_HEADER_WORDS + i]);
  }
  return ids;
}

/**
 * In the worker: the slot, generation, encoded thread and shared buffers of
 * a job (the buffers it lacked came with it).
 */
export function readJob(
  delivery: Delivery,
  cell: Int32Array,
): { slot: number; gen: number; bytes: Uint8Array; sabs: SharedArrayBuffer[] } {
  const ref = delivery.ref;
  const w = heap().i32;
  const ids = jobIds(ref);
  return {
    slot: w[ref + J_SLOT],
    gen: w[ref + J_GEN],
    bytes: bytesAt(ref + J_HEADER_WORDS + ids.length, w[ref + J_LENGTH]),
    sabs: buffersOf(cell, ids, delivery.delivered),
  };
}

/** Frees a job once read. */
export function freeJob(ref: number): void {
  free(ref);
}

/** How many finished workers may stay parked (the registry starts at 0: unset). */
function limit(): number {
  const value = Atomics.load(words(), H_POOL_LIMIT);
  return value === 0 ? DEFAULT_LIMIT : value - 1;
}

/**
 * Sets how many finished workers may stay parked (see setThreadPoolSize),
 * and dismisses the idle ones beyond it: a lower limit takes effect at once
 * (with 0, every later thread gets a fresh worker).
 */
export function setPoolLimit(size: number): void {
  const w = words();
  Atomics.store(w, H_POOL_LIMIT, size + 1);
  let idle = idleWorkers();
  for (let entry = 0; entry < POOL_MAX && idle > size; entry++) {
    if (dismiss(w, entry, () => true)) idle--;
  }
}

/**
 * Makes the worker parked idle at `entry` close, if `which` says so once it
 * is claimed (the entry may have changed workers since a look); whether it
 * did.
 */
function dismiss(
  w: Int32Array,
  entry: number,
  which: (entry: number) => boolean,
): boolean {
  const at = poolWord(entry, P_STATE);
  if (Atomics.compareExchange(w, at, P_IDLE, P_CLAIMED) !== P_IDLE) {
    return false;
  }
  if (!which(entry)) {
    Atomics.store(w, at, P_IDLE);
    return false;
  }
  Atomics.store(w, poolWord(entry, P_JOB), CLOSE);
  Atomics.store(w, at, P_READY);
  Atomics.notify(w, at, 1);
  return true;
}

let firstSpawn = true;
/** How long a start() waits for a spare that is booting rather than create a worker. */
const BOOTING_WAIT_MS = 1000;

/** Runs a job on a parked worker, a new one, or one main creates for us. */
export function runJob(job: Job, name: string): void {
  if (
    offer(job) ||
    (isMainThread && heapOf(job.ref) === defaultHeapMb() &&
      offerWhenBooted(job))
  ) {
    if (idleWorkers(defaultHeapMb()) < SPARES) wantSpare();
    return;
  }
  if (!isMainThread) {
    request(job, name);
    return;
  }
  // The first worker comes with a spare, created first: it boots while the
  // job's worker is created, so the next start() finds it parked.
  if (firstSpawn) {
    firstSpawn = false;
    topUp();
  }
  spawn(job, name, true);
}

/**
 * Waits for a spare that is booting to park, and hands it the job: it is
 * further along than a worker created now would be.
 */
function offerWhenBooted(job: Job): boolean {
  const w = words();
  const deadline = performance.now() + BOOTING_WAIT_MS;
  while (Atomics.load(w, H_BOOTING) > 0) {
    const bell = Atomics.load(w, H_IDLE_BELL);
    if (offer(job)) return true;
    const left = deadline - performance.now();
    if (left <= 0) return false;
    waitWord(w, H_IDLE_BELL, bell, performance.now() + Math.min(left, 10));
  }
  return offer(job);
}

/** Idle workers in the pool: all, or those with the heap limit `heapMb`. */
function idleWorkers(heapMb?: number): number {
  const w = words();
  let idle = 0;
  for (let entry = 0; entry < POOL_MAX; entry++) {
    if (
      Atomics.load(w, poolWord(entry, P_STATE)) === P_IDLE &&
      (heapMb === undefined ||
        Atomics.load(w, poolWord(entry, P_HEAP_MB)) === heapMb)
    ) idle++;
  }
  return idle;
}

let spareScheduled = false;

/** Asks main for a spare worker, made when its event loop is free. */
function wantSpare(): void {
  if (limit() === 0) return;
  if (!isMainThread) {
    const w = words();
    Atomics.store(w, H_SPARE_WANTED, 1);
    Atomics.add(w, H_SPAWN_BELL, 1);
    Atomics.notify(w, H_SPAWN_BELL);
    return;
  }
  if (spareScheduled) return;
  spareScheduled = true;
  Deno.unrefTimer(setTimeout(() => {
    spareScheduled = false;
    topUp();
  }, 0));
}

/** Main: creates spare workers until SPARES are idle or booting. */
function topUp(): void {
  const w = words();
  while (
    limit() > 0 &&
    idleWorkers(defaultHeapMb()) + Atomics.load(w, H_BOOTING) < SPARES
  ) {
    Atomics.add(w, H_BOOTING, 1);
    try {
      spawn({ ref: 0, sabs: [] }, "spare", true);
    } catch (error) {
      Atomics.sub(w, H_BOOTING, 1);
      throw error;
    }
  }
}

/** Main's ports to the workers it created, by worker id. */
const direct = new Map<number, MessagePort>();

function offer(job: Job): boolean {
  const w = words();
  const heapMb = heapOf(job.ref);
  for (let entry = 0; entry < POOL_MAX; entry++) {
    const at = poolWord(entry, P_STATE);
    const limit = poolWord(entry, P_HEAP_MB);
    if (Atomics.load(w, at) !== P_IDLE || Atomics.load(w, limit) !== heapMb) {
      continue;
    }
    if (Atomics.compareExchange(w, at, P_IDLE, P_CLAIMED) !== P_IDLE) continue;
    // The entry may have changed workers since the look above.
    if (Atomics.load(w, limit) !== heapMb) {
      Atomics.store(w, at, P_IDLE);
      continue;
    }
    // The worker's list of the buffers it holds is stable while it parks.
    const cell = wordsAt(Atomics.load(w, poolWord(entry, P_CELL)), CELL_WORDS);
    const missing = job.sabs.filter((sab) => !workerHolds(cell, sabId(sab)));
    const h = heap().i32;
    if (missing.length === 0) h[job.ref + J_SABS] = J_NO_SABS;
    else {
      const port = isMainThread
        ? direct.get(Atomics.load(w, poolWord(entry, P_WORKER)))
        : undefined;
      if (port !== undefined) {
        // Just the array: posting costs twice as much in an object.
        port.postMessage(missing);
        h[job.ref + J_SABS] = J_DIRECT;
      } else {
        h[job.ref + J_SABS] = stash(missing);
      }
    }
    Atomics.store(w, poolWord(entry, P_JOB), job.ref);
    Atomics.store(w, at, P_READY);
    Atomics.notify(w, at, 1);
    return true;
  }
  return false;
}

const BOOT_URL = workerEntry(
  new URL("./worker.ts", import.meta.url),
  "runWorker",
);

const LIBRARY = new URL("./worker.ts", import.meta.url);

/** Creates a worker for `job`. In main, its workers outlive their creators. */
function spawn(job: Job, name: string, pooled: boolean): void {
  checkCanLoad(LIBRARY);
  const rt = runtime();
  const heapMb = heapOf(job.ref);
  const id = Atomics.add(words(), H_WORKER_COUNTER, 1) + 1;
  const cell = alloc(CELL_WORDS * 4, K_RAW);
  const c = wordsAt(cell, CELL_WORDS);
  c[W_SLOT] = -1;
  c[W_ENTRY] = -1;
  const relay = portForChild(cell, id);
  const channel = isMainThread ? new MessageChannel() : undefined;
  const boot: Boot = {
    weftHeap: heapBuffer(),
    workerId: id,
    cell,
    job: job.ref,
    sabs: job.sabs,
    relay,
    direct: channel?.port2,
    pooled,
    heapMb,
    builtinHeapMb: builtinHeapMb(),
  };
  const worker = new Worker(BOOT_URL, {
    workerData: boot,
    transferList: channel ? [relay, channel.port2] : [relay],
    name,
    resourceLimits: { maxOldGenerationSizeMb: heapMb },
  });
  if (channel) {
    channel.port1.unref();
    direct.set(id, channel.port1);
  }
  if (isMainThread) worker.unref();
  else rt.children++;
  // Its end (a death included) is the relay's to see: see lostWorker().
  worker.on("error", () => {});
  worker.on("exit", async () => {
    // The relay reads the cell when it sees the worker go: free it after.
    if (Atomics.load(c, W_CLOSED) === 0) {
      await waitWordAsync(c, W_CLOSED, 0, performance.now() + RELAY_WAIT_MS);
    }
    // Should the relay not have seen it, the same, here.
    lostWorker(heapBuffer(), cell, id);
    direct.get(id)?.close();
    direct.delete(id);
    free(cell);
    if (!isMainThread && --rt.children === 0) rt.onNoChildren?.();
  });
}

/** How long the creator of a worker that ended waits for the relay to see it. */
const RELAY_WAIT_MS = 10_000;

/** Asks main to create a worker for `job`; creates it here if main is busy. */
function request(job: Job, name: string): void {
  const w = words();
  const h = heap().i32;
  h[job.ref + J_SABS] = job.sabs.length === 0 ? J_NO_SABS : stash(job.sabs);
  let entry = 0;
  for (; entry < SPAWN_MAX; entry++) {
    const at = spawnWord(entry, R_STATE);
    if (Atomics.compareExchange(w, at, R_FREE, R_FILLING) === R_FREE) break;
  }
  if (entry === SPAWN_MAX) {
    spawnHere(job, name);
    return;
  }
  const at = spawnWord(entry, R_STATE);
  Atomics.store(w, spawnWord(entry, R_JOB), job.ref);
  Atomics.store(w, at, R_QUEUED);
  Atomics.add(w, H_SPAWN_BELL, 1);
  Atomics.notify(w, H_SPAWN_BELL);
  const deadline = performance.now() + SPAWN_GRACE_MS;
  for (;;) {
    nudgeMain();
    Atomics.wait(w, at, R_QUEUED, 0.2);
    if (Atomics.load(w, at) !== R_QUEUED) return;
    if (
      performance.now() > deadline &&
      Atomics.compareExchange(w, at, R_QUEUED, R_CANCELLED) === R_QUEUED
    ) {
      Atomics.store(w, at, R_FREE);
      spawnHere(job, name);
      return;
    }
  }
}

function spawnHere(job: Job, name: string): void {
  const sabsAt = heap().i32[job.ref + J_SABS];
  if (sabsAt !== J_NO_SABS) heap().i32[job.ref + J_SABS] = J_NO_SABS;
  spawn(job, name, false);
  // The buffers went with the worker: the relay can forget them.
  if (sabsAt !== J_NO_SABS) fetchRelayed(sabsAt);
}

let serving = false;
let answered = 0;

/** Main: creates the workers other threads asked for. True if it did. */
function serve(): boolean {
  const w = words();
  const bell = Atomics.load(w, H_SPAWN_BELL);
  if (bell === answered || serving) return false;
  serving = true;
  answered = bell;
  let served = false;
  try {
    for (let entry = 0; entry < SPAWN_MAX; entry++) {
      const at = spawnWord(entry, R_STATE);
      if (Atomics.compareExchange(w, at, R_QUEUED, R_TAKEN) !== R_QUEUED) {
        continue;
      }
      const ref = Atomics.load(w, spawnWord(entry, R_JOB));
      const h = heap().i32;
      const sabsAt = h[ref + J_SABS];
      const sabs = sabsAt === J_NO_SABS ? [] : fetchRelayed(sabsAt);
      h[ref + J_SABS] = J_NO_SABS;
      try {
        spawn({ ref, sabs }, "thread", true);
      } finally {
        Atomics.store(w, at, R_FREE);
        Atomics.notify(w, at);
      }
      served = true;
    }
  } finally {
    serving = false;
  }
  return served;
}

let deathsSeen = 0;

/**
 * Main, in a blocking wait: creates the workers other threads asked for,
 * and ends the threads whose workers died. True if it did something.
 */
function service(): boolean {
  const deaths = Atomics.load(words(), H_DEATHS);
  if (deaths === deathsSeen) return serve();
  deathsSeen = deaths;
  handleDeaths(true);
  serve();
  return true;
}

/**
 * Main: serves spawn requests and deaths from its event loop and its
 * blocking waits.
 */
export function startSpawnService(): void {
  setMainService(service);
  const w = words();
  const watchDeaths = (): void => {
    for (;;) {
      const deaths = Atomics.load(w, H_DEATHS);
      if (deaths !== deathsSeen) {
        deathsSeen = deaths;
        handleDeaths(false);
      }
      const wait = Atomics.waitAsync(w, H_DEATHS, deaths);
      if (wait.async) {
        wait.value.then(watchDeaths);
        return;
      }
    }
  };
  watchDeaths();
  const watch = (): void => {
    for (;;) {
      const bell = Atomics.load(w, H_SPAWN_BELL);
      serve();
      if (Atomics.exchange(w, H_SPARE_WANTED, 0) === 1) wantSpare();
      const wait = Atomics.waitAsync(w, H_SPAWN_BELL, bell);
      if (wait.async) {
        wait.value.then(watch);
        return;
      }
    }
  };
  watch();
}

let ownEntry = -1;
/** A spare has counted itself out of H_BOOTING. */
let spareCounted = false;

/**
 * Puts the calling worker in the pool, idle: from now on any start() may
 * hand it a thread (see {@linkcode awaitJob}). A worker whose thread just
 * ended does this before its thread counts as ended, so that a start() right
 * after join() finds it. Returns false (the worker should close) when the
 * pool is full.
 */
export function enterPool(boot: Boot): boolean {
  const w = words();
  try {
    return enter(boot, w);
  } finally {
    // A spare is no longer booting once it parked, or gave up parking.
    if (boot.job === 0 && !spareCounted) {
      spareCounted = true;
      Atomics.sub(w, H_BOOTING, 1);
    }
  }
}

function enter(boot: Boot, w: Int32Array): boolean {
  const cell = wordsAt(boot.cell, CELL_WORDS);
  if (ownEntry < 0) {
    for (let entry = 0; entry < POOL_MAX && ownEntry < 0; entry++) {
      if (
        Atomics.compareExchange(w, poolWord(entry, P_STATE), P_FREE, P_BUSY) ===
          P_FREE
      ) {
        ownEntry = entry;
        Atomics.store(w, poolWord(entry, P_WORKER), boot.workerId);
        Atomics.store(w, poolWord(entry, P_CELL), boot.cell);
        Atomics.store(w, poolWord(entry, P_HEAP_MB), boot.heapMb);
        Atomics.store(cell, W_ENTRY, entry);
      }
    }
    if (ownEntry < 0) return false;
  }
  if (idleWorkers() >= limit() && !evictOther(w, boot.heapMb)) {
    leavePool();
    return false;
  }
  Atomics.store(w, poolWord(ownEntry, P_STATE), P_IDLE);
  Atomics.add(w, H_IDLE_BELL, 1);
  Atomics.notify(w, H_IDLE_BELL);
  return true;
}

/**
 * The pool is full: makes an idle worker with another heap limit than
 * `heapMb` close, so that the limits used last keep their workers. False
 * when every idle worker has that limit.
 */
function evictOther(w: Int32Array, heapMb: number): boolean {
  const other = (entry: number): boolean =>
    Atomics.load(w, poolWord(entry, P_HEAP_MB)) !== heapMb;
  for (let entry = 0; entry < POOL_MAX; entry++) {
    if (other(entry) && dismiss(w, entry, other)) return true;
  }
  return false;
}

/**
 * Waits, in the pool, until a thread is handed to the calling worker;
 * undefined when it is asked to close instead.
 */
export function awaitJob(boot: Boot): Delivery | undefined {
  const w = words();
  const at = poolWord(ownEntry, P_STATE);
  for (let state = P_IDLE; state !== P_READY; state = Atomics.load(w, at)) {
    if (!spinWhile(w, at, state)) Atomics.wait(w, at, state);
  }
  Atomics.store(w, at, P_BUSY);
  const ref = Atomics.load(w, poolWord(ownEntry, P_JOB));
  if (ref === CLOSE) return undefined;
  const sabsAt = heap().i32[ref + J_SABS];
  if (sabsAt === J_NO_SABS) return { ref, delivered: [] };
  if (sabsAt !== J_DIRECT) return { ref, delivered: fetchRelayed(sabsAt) };
  // Posted by main before it handed the job over: already in the port,
  // the only message there (one per job, in order).
  for (;;) {
    const delivered = receiveMessageOnPort(boot.direct!)?.message as
      | SharedArrayBuffer[]
      | undefined;
    if (delivered !== undefined) return { ref, delivered };
    Atomics.wait(w, at, P_BUSY, 0.05);
  }
}

/** Gives up the worker's pool entry: it is about to close. */
export function leavePool(): void {
  if (ownEntry < 0) return;
  const entry = ownEntry;
  ownEntry = -1;
  const boot = runtime().boot!;
  Atomics.store(wordsAt(boot.cell, CELL_WORDS), W_ENTRY, -1);
  Atomics.store(words(), poolWord(entry, P_STATE), P_FREE);
}
