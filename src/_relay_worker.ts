// The relay: a daemon worker that never blocks, holding the SharedArrayBuffers
// of queue items until the thread that takes the item asks for them. Items
// themselves travel through shared memory; SABs cannot be written into bytes.
// Importing this module does nothing (see _worker.ts): the worker calls
// runRelay().
import { type MessagePort, workerData } from "node:worker_threads";
import { REGISTRY_BYTES, S_RELAY, slotWord } from "./_layout.ts";

interface Init {
  heap: SharedArrayBuffer;
  port: MessagePort;
}

type Message =
  | { type: "port"; port: MessagePort }
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
      case "port":
        listen(m.port);
        break;
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
  words = new Int32Array(heap, 0, REGISTRY_BYTES >> 2);
  listen(port);
}
