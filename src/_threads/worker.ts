// The entry of every thread's worker: finds the thread's code, runs it, hands
// escaping errors to the excepthook, and ends the thread. The worker then
// parks for reuse (see workers.ts) and runs the next thread handed to it,
// fresh (see thread_state.ts).
//
// Importing this module does nothing: a worker calls runWorker(). The public
// entry points that start threads (mod.ts, futures.ts) import it too, so
// that it is part of main's module graph. Measured on Deno 2.9.6: once main has fetched a remote module, a
// worker that fetches an uncached remote module hangs while main blocks in
// Atomics.wait (the HTTP connection it reuses is driven by main's event
// loop), and start() blocks main until the worker runs. Loaded with main's
// graph, this module is in the cache when a worker needs it.
import process from "node:process";
import { clock, observeFlags, threadEnding } from "../_observe/observe.ts";
import { recordLife, TR_START, TR_THREAD } from "../_observe/trace_buffer.ts";
import { setImmediate } from "node:timers";
import { runtime } from "./runtime.ts";
import { decodeAsync, encode } from "../_codec/codec.ts";
import { loadLibrary, notFound, resolve } from "../_locate/locate.ts";
import {
  _adoptCurrent,
  _failStart,
  _setupThread,
  _signalStarted,
  type Payload,
  Thread,
} from "../thread.ts";
import { _reportError } from "../excepthook.ts";
import { deathReports } from "./death.ts";
import {
  awaitJob,
  type Boot,
  type Delivery,
  enterPool,
  freeJob,
  leavePool,
  readJob,
} from "./workers.ts";
import { beginThread, trackTimers } from "./thread_state.ts";
import { releaseAll } from "../_core/handles.ts";
import { alloc, bytesAt, heap, wordsAt } from "../_core/heap.ts";
import {
  CELL_WORDS,
  K_RAW,
  OBSERVE_TRACE,
  W_GEN,
  W_SLOT,
} from "../_core/layout.ts";

/** Reports still being handled by the excepthook: the thread ends after them. */
const reports = new Set<Promise<void>>();

function current(): Thread {
  return runtime().current as Thread;
}

function report(error: unknown): void {
  const done = _reportError(error, current());
  reports.add(done);
  done.finally(() => reports.delete(done));
}

/** Finds the thread's code and state; true when it runs an inline copy. */
async function prepare(thread: Thread, payload: Payload): Promise<boolean> {
  const cls = payload.cls && await resolve(payload.cls);
  const target = payload.target && await resolve(payload.target);
  if (cls) {
    if (!(cls.fn.prototype instanceof Thread)) {
      throw new TypeError(notFound(payload.cls!));
    }
    Object.setPrototypeOf(thread, cls.fn.prototype);
  }
  _setupThread(
    thread,
    target ? target.fn : undefined,
    payload.args,
    payload.extra,
  );
  Object.assign(thread, payload.this);
  return (cls || target || { inline: false }).inline;
}

function hint(error: unknown, payload: Payload): unknown {
  const ref = payload.cls ?? payload.target;
  if (error instanceof ReferenceError && ref !== undefined) {
    error.message +=
      ` (the thread runs an inline copy of "${ref.name}" because ` +
      `it is not exported from any module it could import: export it so ` +
      `that its module's imports and variables are there)`;
  }
  return error;
}

/** Writes the error that keeps a thread from starting, for its start(). */
function failure(error: unknown): number {
  const { bytes } = encode(error, "error", () => []);
  const ref = alloc(4 + bytes.length, K_RAW);
  heap().i32[ref] = bytes.length;
  bytesAt(ref + 1, bytes.length).set(bytes);
  return ref;
}

/** A turn of the event loop: Deno reports unhandled rejections before it. */
function turn(): Promise<void> {
  return new Promise((done) => setImmediate(done));
}

/** Runs one thread, until it and the reports of its errors are done. */
async function runThread(job: Delivery, cell: Int32Array): Promise<void> {
  const rt = runtime();
  const { slot, gen, bytes, sabs } = readJob(job, cell);
  rt.slot = slot;
  rt.gen = gen;
  Atomics.store(cell, W_GEN, gen);
  Atomics.store(cell, W_SLOT, slot);
  beginThread();
  const thread = _adoptCurrent(slot, gen);
  let payload: Payload;
  let inline: boolean;
  try {
    try {
      payload = await decodeAsync(bytes, sabs) as Payload;
    } finally {
      freeJob(job.ref);
    }
    inline = await prepare(thread, payload);
  } catch (error) {
    _failStart(thread, failure(error));
    return;
  }
  _signalStarted(thread);
  const began = clock();
  if ((observeFlags() & OBSERVE_TRACE) !== 0) {
    recordLife(TR_START, undefined, began, began);
  }
  try {
    await thread.run();
  } catch (error) {
    report(inline ? hint(error, payload) : error);
  }
  await turn();
  while (reports.size > 0 || deathReports.size > 0) {
    await Promise.all([...reports, ...deathReports]);
  }
  if ((observeFlags() & OBSERVE_TRACE) !== 0) {
    recordLife(TR_THREAD, thread.name, began, clock());
  }
}

/**
 * Makes a thread that exits its worker (Deno.exit, process.exit, close) end
 * as a thread that returns: its joiners return and the process goes on.
 */
function interceptExits(end: () => void): void {
  const exit = Deno.exit;
  Deno.exit = (code?: number): never => {
    end();
    return exit(code);
  };
  const processExit = process.exit;
  process.exit = ((code?: number) => {
    end();
    return processExit.call(process, code);
  }) as typeof process.exit;
  const global = globalThis as unknown as { close(): void; self?: unknown };
  const close = global.close;
  global.close = () => {
    end();
    close();
  };
  // A web worker's global is also `self`; a node:worker_threads worker's
  // has none, and Deno users write `self.close()`.
  global.self ??= globalThis;
}

/** Runs the threads handed to this worker, then closes it. */
export async function runWorker(): Promise<void> {
  // Every kind of primitive a thread may be handed is declared by its module.
  await loadLibrary();
  const rt = runtime();
  const boot: Boot = rt.boot!;
  const cell = wordsAt(boot.cell, CELL_WORDS);
  addEventListener("unhandledrejection", (event) => {
    event.preventDefault();
    report(event.reason);
  });
  addEventListener("error", (event) => {
    event.preventDefault();
    report(event.error);
  });
  trackTimers();
  /** The thread running now ends, exactly once. */
  const endThread = (): void => {
    const slot = Atomics.exchange(cell, W_SLOT, -1);
    if (slot < 0) return;
    threadEnding(slot, false);
    rt.registry.finish(slot, Atomics.load(cell, W_GEN));
  };
  interceptExits(() => {
    endThread();
    leavePool();
    releaseAll();
  });
  // A spare starts with no job: it parks at once.
  let job: Delivery | undefined = boot.job === 0
    ? (enterPool(boot) ? awaitJob(boot) : undefined)
    : { ref: boot.job, delivered: boot.sabs };
  while (job !== undefined) {
    await runThread(job, cell);
    // Back in the pool before its thread ends: a start() right after join()
    // takes this worker.
    const parked = boot.pooled && enterPool(boot);
    endThread();
    job = parked ? awaitJob(boot) : undefined;
  }
  if (rt.children > 0) {
    await new Promise<void>((done) => rt.onNoChildren = done);
  }
  leavePool();
  releaseAll();
  (globalThis as unknown as { close(): void }).close();
}
