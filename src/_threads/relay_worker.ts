// The relay: a daemon worker that never blocks, holding the SharedArrayBuffers
// of queue items until the thread that takes the item asks for them. Items
// themselves travel through shared memory; SABs cannot be written into bytes.
// Importing this module does nothing (see _worker.ts): the worker calls
// runRelay().
//
// It also watches every worker: it holds a port to each, and a port's
// "close" comes when the worker at its other end is gone, however it ended.
// A worker that dies while its thread runs (out of memory: V8 ends the
// isolate, no code of it runs again) is seen here at once, even while the
// thread that created it is blocked (its own "exit" event waits for its
// event loop), and marked for the others to report and end (see _death.ts).
import { type MessagePort, workerData } from "node:worker_threads";
import {
  ALIVE,
  CELL_WORDS,
  DIED,
  H_DEATHS,
  H_MAIN_PARKED,
  P_BUSY,
  P_FREE,
  P_IDLE,
  P_STATE,
  P_WORKER,
  poolWord,
  REGISTRY_BYTES,
  S_DIED,
  S_RELAY,
  S_STATE,
  slotState,
  slotWord,
  W_CLOSED,
  W_ENTRY,
  W_GEN,
  W_SLOT,
} from "../_core/layout.ts";

interface Init {
  heap: SharedArrayBuffer;
  port: MessagePort;
}

type Message =
  | { type: "port"; port: MessagePort; cell: number; worker: number }
  | { type: "put"; id: number; sabs: SharedArrayBuffer[] }
  | { type: "get"; id: number; slot: number; keep: boolean }
  | { type: "drop"; id: number };

const stored = new Map<number, SharedArrayBuffer[]>();
interface Waiter {
  port: MessagePort;
  slot: number;
  keep: boolean;
}
const waiting = new Map<number, Waiter[]>();
let words: Int32Array;
let heapBuffer: SharedArrayBuffer;

/** How often the threads that may end a dead worker's thread are woken. */
const WAKE_MS = 1;

/**
 * Wakes, until the dead worker's thread in `slot` has ended, those that may
 * end it: its joiners (asleep on its state word) and main (asleep in any
 * blocking wait, it looks at deaths when woken). Again and again: a notify
 * that comes between a sleeper's last look and its sleep is lost.
 */
function wake(sab: SharedArrayBuffer, slot: number, gen: number): void {
  const w = new Int32Array(sab, 0, REGISTRY_BYTES >> 2);
  const state = slotWord(slot, S_STATE);
  if (Atomics.load(w, state) !== slotState(gen, ALIVE)) return;
  Atomics.notify(w, state);
  const parked = Atomics.load(w, H_MAIN_PARKED);
  if (parked !== 0) Atomics.notify(new Int32Array(sab, 0, parked + 1), parked);
  setTimeout(() => wake(sab, slot, gen), WAKE_MS);
}

/**
 * The worker `worker`, whose cell is at `cell`, is gone. If its thread still
 * ran, the worker died: the thread is marked (S_DIED), its joiners and the
 * main thread are woken to report and end it. Its pool entry is freed. Then
 * the cell is marked seen (W_CLOSED): its creator frees it after that. Any
 * thread may call this again for the same worker: it does nothing more.
 */
export function lostWorker(
  sab: SharedArrayBuffer,
  cell: number,
  worker: number,
): void {
  const w = new Int32Array(sab, 0, cell + CELL_WORDS);
  const slot = Atomics.exchange(w, cell + W_SLOT, -1);
  if (slot >= 0) {
    const gen = Atomics.load(w, cell + W_GEN);
    const state = slotWord(slot, S_STATE);
    if (Atomics.load(w, state) === slotState(gen, ALIVE)) {
      Atomics.store(w, slotWord(slot, S_DIED), DIED);
      Atomics.add(w, H_DEATHS, 1);
      Atomics.notify(w, H_DEATHS);
      wake(sab, slot, gen);
    }
  }
  const entry = Atomics.load(w, cell + W_ENTRY);
  if (entry >= 0 && Atomics.load(w, poolWord(entry, P_WORKER)) === worker) {
    const at = poolWord(entry, P_STATE);
    Atomics.compareExchange(w, at, P_IDLE, P_FREE);
    Atomics.compareExchange(w, at, P_BUSY, P_FREE);
  }
  Atomics.store(w, cell + W_CLOSED, 1);
  Atomics.notify(w, cell + W_CLOSED);
}

function deliver(
  to: MessagePort,
  slot: number,
  id: number,
  sabs: SharedArrayBuffer[],
): void {
  to.postMessage({ id, sabs });
  const at = slotWord(slot, S_RELAY);
  Atomics.add(words, at, 1);
  Atomics.notify(words, at);
}

function listen(p: MessagePort): void {
  p.on("message", (m: Message) => {
    switch (m.type) {
      case "port": {
        const { cell, worker } = m;
        listen(m.port);
        m.port.on("close", () => lostWorker(heapBuffer, cell, worker));
        break;
      }
      case "put": {
        const waiters = waiting.get(m.id) ?? [];
        waiting.delete(m.id);
        for (const w of waiters) deliver(w.port, w.slot, m.id, m.sabs);
        // A queue item is fetched once; a future's result, by every reader.
        if (waiters.every((w) => w.keep)) stored.set(m.id, m.sabs);
        break;
      }
      case "get": {
        const sabs = stored.get(m.id);
        if (sabs === undefined) {
          const waiter = { port: p, slot: m.slot, keep: m.keep };
          const waiters = waiting.get(m.id);
          if (waiters === undefined) waiting.set(m.id, [waiter]);
          else waiters.push(waiter);
        } else {
          if (!m.keep) stored.delete(m.id);
          deliver(p, m.slot, m.id, sabs);
        }
        break;
      }
      case "drop":
        stored.delete(m.id);
        break;
    }
  });
}

/** Serves the relay's ports until the process ends. */
export function runRelay(): void {
  const { heap, port } = workerData as Init;
  heapBuffer = heap;
  words = new Int32Array(heap, 0, REGISTRY_BYTES >> 2);
  listen(port);
}
