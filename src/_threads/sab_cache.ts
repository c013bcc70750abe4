// The SharedArrayBuffers a worker holds, so that they need not be posted
// again. A buffer can reach another isolate only by postMessage, which costs
// 50-80 µs across threads on Deno 2.9.6 (a whole warm start+join without
// one costs ~40 µs). Threads mostly get the same shared state again and
// again, so each buffer gets an id, and each worker keeps the last
// CACHE_SIZE buffers it received and lists their ids in its cell: a starter
// that claims a parked worker reads that list (stable while the worker
// parks) and sends only the buffers the worker lacks.
import {
  CACHE_SIZE,
  H_SAB_COUNTER,
  W_CACHE,
  W_CACHED,
} from "../_core/layout.ts";
import { heap } from "../_core/heap.ts";

const ids = new WeakMap<SharedArrayBuffer, number>();
/** This worker's buffers by id, oldest use first. */
const held = new Map<number, SharedArrayBuffer>();

/** The id of `sab`, the same for the buffers this isolate got under it. */
export function sabId(sab: SharedArrayBuffer): number {
  let id = ids.get(sab);
  if (id === undefined) {
    id = Atomics.add(heap().i32, H_SAB_COUNTER, 1) + 1;
    ids.set(sab, id);
  }
  return id;
}

/** Whether the worker whose cell is `cell` holds buffer `id`. */
export function workerHolds(cell: Int32Array, id: number): boolean {
  const n = Atomics.load(cell, W_CACHED);
  for (let i = 0; i < n; i++) {
    if (Atomics.load(cell, W_CACHE + i) === id) return true;
  }
  return false;
}

/**
 * In the worker: the buffers of a job, from its cache for the ids it holds
 * and from `delivered` (in order) for the others; then caches them and
 * lists the cache in `cell`.
 */
export function buffersOf(
  cell: Int32Array,
  jobIds: number[],
  delivered: SharedArrayBuffer[],
): SharedArrayBuffer[] {
  let next = 0;
  const sabs = jobIds.map((id) => {
    const sab = held.get(id) ?? delivered[next++];
    if (sab === undefined) {
      throw new Error(`@weft/threading: shared buffer ${id} was not delivered`);
    }
    held.delete(id);
    held.set(id, sab); // most recently used last
    ids.set(sab, id);
    return sab;
  });
  for (const id of held.keys()) {
    if (held.size <= CACHE_SIZE) break;
    held.delete(id);
  }
  let i = 0;
  for (const id of held.keys()) Atomics.store(cell, W_CACHE + i++, id);
  Atomics.store(cell, W_CACHED, i);
  return sabs;
}
