// The client side of the relay (see _relay_worker.ts): every thread holds one
// MessagePort to it, read synchronously, so a blocked thread can still fetch.
import {
  MessageChannel,
  type MessagePort,
  receiveMessageOnPort,
  Worker,
} from "node:worker_threads";
import { H_ATTACH_COUNTER, S_RELAY, slotWord } from "../_core/layout.ts";
import { runtime } from "./runtime.ts";
import { heapBuffer } from "../_core/heap.ts";
import { checkCanLoad, workerEntry } from "./entry.ts";
import { waitWord, waitWordAsync } from "../_core/wait.ts";
// Loaded with main's module graph, for workers to find it cached (_worker.ts).
import { freeBytes, type Parcel } from "./relay_worker.ts";

export { freeBytes, type Parcel };

let port: MessagePort | undefined;
const received = new Map<number, Parcel>();

/** This thread's port to the relay; in the main thread, starts the relay. */
function relayPort(): MessagePort {
  if (port !== undefined) return port;
  const rt = runtime();
  if (rt.boot !== undefined) {
    port = rt.boot.relay;
  } else {
    checkCanLoad(new URL("./relay_worker.ts", import.meta.url));
    const channel = new MessageChannel();
    const relay = new Worker(
      workerEntry(new URL("./relay_worker.ts", import.meta.url), "runRelay"),
      {
        workerData: { heap: heapBuffer(), port: channel.port1 },
        transferList: [channel.port1],
      },
    );
    relay.unref();
    port = channel.port2;
  }
  port.unref();
  return port;
}

/**
 * A port for a worker about to start, connected to the relay, which watches
 * it through that port (see _relay_worker.ts): `cell` is the ref of the
 * worker's cell, `worker` its id.
 */
export function portForChild(cell: number, worker: number): MessagePort {
  const channel = new MessageChannel();
  relayPort().postMessage(
    { type: "port", port: channel.port2, cell, worker },
    [channel.port2],
  );
  return channel.port1;
}

/**
 * Hands `sabs`, and the first `length` bytes of `bytes` if given, to the
 * relay; returns the id to fetch them with (from 1 to 2 ** 31 - 1). `bytes`
 * is transferred: it is detached here.
 */
export function stash(
  sabs: SharedArrayBuffer[],
  bytes?: ArrayBuffer,
  length?: number,
): number {
  const count = Atomics.add(runtime().registry.words, H_ATTACH_COUNTER, 1);
  const id = ((count + 1) & 0x7fffffff) || 1;
  if (bytes === undefined) {
    relayPort().postMessage({ type: "put", id, sabs });
  } else {
    relayPort().postMessage({ type: "put", id, sabs, bytes, length }, [bytes]);
  }
  return id;
}

/** Forgets what was stashed under `id` (its item was dropped). */
export function drop(id: number): void {
  relayPort().postMessage({ type: "drop", id });
}

function request(
  id: number,
  keep: boolean,
): { words: Int32Array; at: number } {
  const rt = runtime();
  const slot = rt.slot;
  relayPort().postMessage({ type: "get", id, slot, keep });
  return { words: rt.registry.words, at: slotWord(slot, S_RELAY) };
}

function take(id: number): Parcel | undefined {
  for (
    let m = receiveMessageOnPort(port!);
    m !== undefined;
    m = receiveMessageOnPort(port!)
  ) {
    const parcel = m.message as Parcel & { id: number };
    received.set(parcel.id, parcel);
  }
  const parcel = received.get(id);
  if (parcel !== undefined) received.delete(id);
  return parcel;
}

/**
 * Fetches what was stashed under `id`, blocking the calling thread. With
 * `keep`, the relay keeps it for other readers (until {@linkcode drop}) and
 * the bytes that come are a copy.
 */
export function fetchParcel(id: number, keep: boolean): Parcel {
  const { words, at } = request(id, keep);
  for (;;) {
    const seen = Atomics.load(words, at);
    const parcel = take(id);
    if (parcel !== undefined) return parcel;
    // The relay bumps the word after posting; the short bound covers a
    // message that is posted but not yet readable when the word changes.
    waitWord(words, at, seen, performance.now() + 5);
  }
}

/** As {@linkcode fetchParcel}, without blocking the event loop. */
export async function fetchParcelAsync(
  id: number,
  keep: boolean,
): Promise<Parcel> {
  const { words, at } = request(id, keep);
  for (;;) {
    const seen = Atomics.load(words, at);
    const parcel = take(id);
    if (parcel !== undefined) return parcel;
    await waitWordAsync(words, at, seen, performance.now() + 5);
  }
}

/** The shared buffers stashed under `id` (see {@linkcode fetchParcel}). */
export function fetchRelayed(id: number, keep = false): SharedArrayBuffer[] {
  return fetchParcel(id, keep).sabs;
}
