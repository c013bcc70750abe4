// Programs run as subprocesses by heap_test.ts, queue_test.ts,
// shared_value_test.ts and future_test.ts: each mode fills gigabytes of
// memory, or measures the process's resident memory, so it runs in a process
// of its own, which gives everything back when it exits. Each prints one line
// of JSON.
import assert from "node:assert/strict";
import {
  LifoQueue,
  Lock,
  PriorityQueue,
  Queue,
  SharedMap,
  SharedValue,
  Thread,
  ThreadPoolExecutor,
} from "../mod.ts";
import { alloc, free, heap, heapBuffer } from "../src/_core/heap.ts";
import { H_BUMP, K_RAW } from "../src/_core/layout.ts";
import { isMarked, mark } from "./_record_fixtures.ts";

const MiB = 2 ** 20;
/** The payload of the largest block of the heap (see _layout.ts CLASSES). */
const GIB_BLOCK = 2 ** 30 - 8;

/** `n` bytes zeroed but for one byte every MiB (few pages are touched). */
function sparse(n: number, seed: number): Uint8Array {
  const a = new Uint8Array(n);
  for (let i = 0; i < n; i += MiB) a[i] = (i / MiB + seed) & 255;
  a[n - 1] = seed & 255;
  return a;
}

/** Whether `a` is `sparse(n, seed)`. */
function isSparse(a: Uint8Array, n: number, seed: number): boolean {
  if (a.length !== n || a[n - 1] !== (seed & 255)) return false;
  for (let i = 0; i < n; i += MiB) {
    if (a[i] !== ((i / MiB + seed) & 255)) return false;
    // A byte between the marks, which must have stayed zero.
    if (i + 4097 < n && a[i + 4097] !== 0) return false;
  }
  return true;
}

/** Collects this thread's garbage (with --v8-flags=--expose-gc). */
export function collect(): void {
  (globalThis as { gc?: () => void }).gc?.();
}

/** The heap's bump pointer: the ref of the next block never used. */
function bump(): number {
  return Atomics.load(heap().i32, H_BUMP);
}

function rssMiB(): number {
  return Deno.memoryUsage().rss / MiB;
}

/** Blocks of 1 GiB until the heap is full, then one more, which fails. */
function rollback(): unknown {
  const max = heapBuffer().maxByteLength;
  const blocks: number[] = [];
  let error: unknown;
  for (;;) {
    try {
      blocks.push(alloc(GIB_BLOCK, K_RAW, false));
    } catch (e) {
      error = e;
      break;
    }
  }
  const before = bump();
  const length = heapBuffer().byteLength;
  let again: unknown;
  try {
    alloc(GIB_BLOCK, K_RAW, false);
  } catch (e) {
    again = e;
  }
  const bumpUnchanged = bump() === before;
  // Words at the far end of every block: offsets past 2 and 4 GiB.
  const i32 = heap().i32;
  for (const ref of blocks) i32[ref + GIB_BLOCK / 4 - 1] = ref;
  const farEnd = blocks.every((ref) => i32[ref + GIB_BLOCK / 4 - 1] === ref);
  const small = alloc(MiB, K_RAW);
  new Lock().acquire();
  free(small);
  // Values stored past 7 GiB, read back: the codec and the stores there.
  const fifo = new Queue<Uint8Array>();
  const lifo = new LifoQueue<Uint8Array>();
  const map = new SharedMap<string, Uint8Array>();
  for (let i = 0; i < 3; i++) {
    fifo.put(mark(new Uint8Array(100_000), i));
    lifo.put(mark(new Uint8Array(100_000), i));
    map.set(`key ${i}`, mark(new Uint8Array(100_000), i));
  }
  const farValues = [0, 1, 2].every((i) =>
    isMarked(fifo.get(), 100_000, i) &&
    isMarked(lifo.get(), 100_000, 2 - i) &&
    isMarked(map.get(`key ${i}`)!, 100_000, i)
  );
  const farBump = bump() * 4;
  for (const ref of blocks) free(ref);
  const reused = alloc(GIB_BLOCK, K_RAW, false);
  return {
    max,
    blocks: blocks.length,
    firstError: (error as Error).constructor.name,
    againError: (again as Error).constructor.name,
    bumpUnchanged,
    lengthUnchanged: heapBuffer().byteLength === length,
    bumpEnd: before * 4,
    farEnd,
    farValues,
    farBump,
    reused: blocks.includes(reused),
  };
}

/** Items stored inline: just under 1 MiB encoded (see src/_record.ts). */
const INLINE_ITEM = MiB - 256;

export function putInline(
  q: Queue<Uint8Array>,
  first: number,
  count: number,
): void {
  // One array, marked again for each item: the items are copies.
  const item = new Uint8Array(INLINE_ITEM);
  for (let i = first; i < first + count; i++) q.put(mark(item, i));
}

/** A LifoQueue then a Queue fill the heap past 2 GiB with items stored inline. */
function inlinePast2GiB(): unknown {
  const lifo = new LifoQueue<Uint8Array>();
  const fifo = new Queue<Uint8Array>();
  const lifoItems = 2060;
  const fifoItems = 100;
  const producer = new Thread({
    target: putInline,
    args: [lifo, 0, lifoItems],
  });
  producer.start();
  producer.join();
  const fifoProducer = new Thread({
    target: putInline,
    args: [fifo, lifoItems, fifoItems],
  });
  fifoProducer.start();
  fifoProducer.join();
  const heapBytes = heapBuffer().byteLength;
  let intact = 0;
  for (let i = lifoItems - 1; i >= 0; i--) {
    if (isMarked(lifo.get(), INLINE_ITEM, i)) intact++;
  }
  for (let i = lifoItems; i < lifoItems + fifoItems; i++) {
    if (isMarked(fifo.get(), INLINE_ITEM, i)) intact++;
  }
  return {
    heapBytes,
    bumpEnd: bump() * 4,
    items: lifoItems + fifoItems,
    intact,
    empty: lifo.empty() && fifo.empty(),
  };
}

const BIG_ITEM = 256 * MiB;
/** Smaller: every put orders by decoding items already queued. */
const PRIORITY_ITEM = 128 * MiB;

export function putBig(
  q: Queue<Uint8Array>,
  lifo: LifoQueue<Uint8Array>,
  pq: PriorityQueue<[number, Uint8Array]>,
): void {
  for (let i = 0; i < 6; i++) {
    q.put(sparse(BIG_ITEM, i));
    collect();
  }
  for (let i = 6; i < 11; i++) {
    lifo.put(sparse(BIG_ITEM, i));
    collect();
  }
  for (const i of [12, 11]) {
    pq.put([i, sparse(PRIORITY_ITEM, i)]);
    collect();
  }
}

/**
 * 3 GiB of items live in three queues, put from another thread; then an
 * item too large to store at all.
 */
function queues3GiB(): unknown {
  const q = new Queue<Uint8Array>();
  const lifo = new LifoQueue<Uint8Array>();
  const pq = new PriorityQueue<[number, Uint8Array]>();
  const producer = new Thread({ target: putBig, args: [q, lifo, pq] });
  producer.start();
  producer.join();
  const live = (q.qsize() + lifo.qsize()) * BIG_ITEM +
    pq.qsize() * PRIORITY_ITEM;
  let tooLarge = "none";
  try {
    q.put(new Uint8Array(2 ** 31));
  } catch (error) {
    tooLarge = `${(error as Error).name}: ${(error as Error).message}`;
  }
  const lock = new Lock();
  const lockWorks = lock.acquire({ blocking: false });
  lock.release();
  q.put(new Uint8Array([1, 2, 3]));
  const intact: number[] = [];
  const check = (item: Uint8Array, n: number, seed: number) => {
    if (isSparse(item, n, seed)) intact.push(seed);
    collect();
  };
  for (let i = 0; i < 6; i++) check(q.get(), BIG_ITEM, i);
  for (let i = 10; i >= 6; i--) check(lifo.get(), BIG_ITEM, i);
  for (const want of [11, 12]) {
    const [priority, item] = pq.get();
    if (priority === want) check(item, PRIORITY_ITEM, want);
  }
  const last = Array.from(q.get());
  const empty = q.empty() && lifo.empty() && pq.empty();
  return { live, tooLarge, lockWorks, intact, last, empty };
}

function text(n: number): string {
  return "y".repeat(n);
}

function put(q: Queue<string>, n: number): void {
  q.put(text(n));
}

// Each collects after a call that returned: a value still in a register of
// the running function would stay alive.
export function putText(q: Queue<string>, n: number): void {
  put(q, n);
  collect();
}

function takeLength(q: Queue<string>): number {
  return q.get().length;
}

export function getText(q: Queue<string>): number {
  const length = takeLength(q);
  collect();
  return length;
}

function readLength(v: SharedValue<string>): number {
  return v.get().length;
}

export function readText(v: SharedValue<string>): number {
  const length = readLength(v);
  collect();
  return length;
}

/** Collects the garbage of this thread, and of finalizers run after. */
async function settle(): Promise<void> {
  for (let i = 0; i < 3; i++) {
    collect();
    await new Promise((r) => setTimeout(r, 20));
  }
}

/**
 * Resident memory (MiB) after `step` ran with a small value (warming threads
 * and code), and after each of three runs with a value of 50 MB, every
 * thread collecting its garbage (the program runs with
 * --v8-flags=--expose-gc).
 */
async function rssAround(step: (n: number) => void): Promise<unknown> {
  step(1000);
  await settle();
  const baseline = rssMiB();
  const after: number[] = [];
  for (let round = 0; round < 3; round++) {
    step(50e6);
    await settle();
    after.push(rssMiB());
  }
  return { baseline, after };
}

/** A 50 MB string from a thread to another through a Queue. */
function rssQueue(): Promise<unknown> {
  const q = new Queue<string>();
  return rssAround((n) => {
    const producer = new Thread({ target: putText, args: [q, n] });
    const consumer = new Thread({ target: getText, args: [q] });
    producer.start();
    consumer.start();
    producer.join();
    consumer.join();
  });
}

/** A SharedValue holding 50 MB, read by a thread, then given a new value. */
function rssSharedValue(): Promise<unknown> {
  return rssAround((n) => {
    const v = new SharedValue(text(n), { maxBytes: 64 * MiB });
    const reader = new Thread({ target: readText, args: [v] });
    reader.start();
    reader.join();
    v.set("");
  });
}

/** A task whose 50 MB result main reads, then lets go of. */
export function makeText(n: number): string {
  return text(n);
}

/** A task's 50 MB result, read by main; the future is then let go of. */
function rssFuture(): Promise<unknown> {
  const executor = new ThreadPoolExecutor({ maxWorkers: 1 });
  return rssAround((n) => {
    assert.equal(executor.submit(makeText, n).result().length, n);
    // The worker's own copy of the result is its garbage.
    executor.submit(collect).result();
  }).finally(() => executor.shutdown());
}

const modes: Record<string, () => unknown> = {
  rollback,
  inlinePast2GiB,
  queues3GiB,
  rssQueue,
  rssSharedValue,
  rssFuture,
};

/** Runs a mode of this program in a process of its own; its line of JSON. */
export async function runMemoryProgram(
  mode: string,
): Promise<Record<string, unknown>> {
  const { code, stdout, stderr } = await new Deno.Command(Deno.execPath(), {
    args: ["run", "-A", "--v8-flags=--expose-gc", import.meta.url, mode],
    stdout: "piped",
    stderr: "piped",
    env: { NO_COLOR: "1" },
    signal: AbortSignal.timeout(170_000),
  }).output();
  const decoder = new TextDecoder();
  if (code !== 0) {
    throw new Error(`${mode} exited with ${code}: ${decoder.decode(stderr)}`);
  }
  return JSON.parse(decoder.decode(stdout));
}

if (import.meta.main) {
  const mode = modes[Deno.args[0]];
  if (mode === undefined) throw new Error(`unknown mode ${Deno.args[0]}`);
  console.log(JSON.stringify(await mode()));
}
