// The relay: a daemon worker that never blocks, holding what cannot be
// written into shared memory until the thread that reads it asks: the
// SharedArrayBuffers an item carries, and the bytes of a large item, which
// live in an ArrayBuffer of their own (see _record.ts). Importing this module
// does nothing (see _worker.ts): the worker calls runRelay().
//
// Bytes move by transfer, never by sharing: a buffer the relay passes on is
// detached here, and one it drops is detached at once, because memory that a
// worker received is given back only when that worker's heap is collected,
// and an idle relay never collects (measured on Deno 2.9.6: a 50 MB buffer it
// had received and let go stayed resident for good; a detached one is
// returned at once). A reader that keeps the item's place (a future's
// result, read by every reader) gets a copy.
import { type MessagePort, workerData } from "node:worker_threads";
import { REGISTRY_BYTES, S_RELAY, slotWord } from "./_layout.ts";

/** What is stashed under one id. */
export interface Parcel {
  sabs: SharedArrayBuffer[];
  /**
   * The bytes of a value stored out of line: the first `length` bytes of
   * an ArrayBuffer of their own. (Not a Uint8Array: Deno's node ports walk
   * every element of a typed array in a message they receive.)
   */
  bytes?: ArrayBuffer;
  length?: number;
}

interface Init {
  heap: SharedArrayBuffer;
  port: MessagePort;
}

type Message =
  | { type: "port"; port: MessagePort }
  | ({ type: "put"; id: number } & Parcel)
  | { type: "get"; id: number; slot: number; keep: boolean }
  | { type: "drop"; id: number };

interface Waiter {
  port: MessagePort;
  slot: number;
  keep: boolean;
}

const stored = new Map<number, Parcel>();
const waiting = new Map<number, Waiter[]>();
/**
 * Ids dropped before their parcel came: messages from different ports are
 * not ordered among themselves.
 */
const dropped = new Set<number>();
let words: Int32Array;

/** Gives the memory of `bytes` back now: detaching it frees it. */
export function freeBytes(bytes: ArrayBuffer): void {
  bytes.transfer(0);
}

/** Posts `parcel` to a reader: a copy of its bytes when it is kept here. */
function deliver(waiter: Waiter, id: number, parcel: Parcel): void {
  const { sabs, length } = parcel;
  const bytes = parcel.bytes === undefined
    ? undefined
    : waiter.keep
    ? parcel.bytes.slice(0, length)
    : parcel.bytes;
  if (bytes === undefined) {
    waiter.port.postMessage({ id, sabs });
  } else {
    waiter.port.postMessage({ id, sabs, bytes, length }, [bytes]);
  }
  const at = slotWord(waiter.slot, S_RELAY);
  Atomics.add(words, at, 1);
  Atomics.notify(words, at);
}

function put(id: number, parcel: Parcel): void {
  if (dropped.delete(id)) {
    if (parcel.bytes !== undefined) freeBytes(parcel.bytes);
    return;
  }
  const waiters = waiting.get(id);
  waiting.delete(id);
  // Copies first: a queue item is taken once, after any reads that keep it.
  let taker: Waiter | undefined;
  for (const w of waiters ?? []) {
    if (w.keep) deliver(w, id, parcel);
    else taker = w;
  }
  if (taker !== undefined) deliver(taker, id, parcel);
  else stored.set(id, parcel);
}

function get(p: MessagePort, m: { id: number; slot: number; keep: boolean }) {
  const waiter = { port: p, slot: m.slot, keep: m.keep };
  const parcel = stored.get(m.id);
  if (parcel === undefined) {
    const waiters = waiting.get(m.id);
    if (waiters === undefined) waiting.set(m.id, [waiter]);
    else waiters.push(waiter);
    return;
  }
  if (!m.keep) stored.delete(m.id);
  deliver(waiter, m.id, parcel);
}

function drop(id: number): void {
  const parcel = stored.get(id);
  if (parcel === undefined) {
    dropped.add(id);
    return;
  }
  stored.delete(id);
  if (parcel.bytes !== undefined) freeBytes(parcel.bytes);
}

function listen(p: MessagePort): void {
  p.on("message", (m: Message) => {
    switch (m.type) {
      case "port":
        listen(m.port);
        break;
      case "put":
        put(m.id, { sabs: m.sabs, bytes: m.bytes, length: m.length });
        break;
      case "get":
        get(p, m);
        break;
      case "drop":
        drop(m.id);
        break;
    }
  });
}

/** Serves the relay's ports until the process ends. */
export function runRelay(): void {
  const { heap, port } = workerData as Init;
  words = new Int32Array(heap, 0, REGISTRY_BYTES / 4);
  listen(port);
}
