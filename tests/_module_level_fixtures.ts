// Module-level primitives for module_level_test.ts: every kind at the top
// level, some in a loop, some built by a class constructed at top level, and
// one made by a function (which stays per thread). The targets report the
// blocks their thread's copies are built over.
import {
  Barrier,
  BoundedSemaphore,
  Condition,
  Event,
  Lock,
  RLock,
  Semaphore,
  SharedList,
  SharedMap,
  SharedValue,
  Thread,
  ThreadLocal,
  ThreadPoolExecutor,
} from "../mod.ts";
import { LifoQueue, PriorityQueue, Queue, SimpleQueue } from "../src/queue.ts";
import { shareOf } from "../src/_core/handles.ts";

export const lock = new Lock();
export const rlock = new RLock();
export const condition = new Condition();
export const semaphore = new Semaphore(3);
export const bounded = new BoundedSemaphore(2);
export const event = new Event();
export const barrier = new Barrier(2);
export const value = new SharedValue({ hits: 0 });
export const list = new SharedList<number>();
export const map = new SharedMap<string, number>();
export const queue = new Queue<number>();
export const lifo = new LifoQueue<number>();
export const priority = new PriorityQueue<number>();
export const simple = new SimpleQueue<number>();
export const executor = new ThreadPoolExecutor({ maxWorkers: 2 });
export const local = new ThreadLocal();

/** One of each kind, in a fixed order. */
export const ALL = [
  lock,
  rlock,
  condition,
  semaphore,
  bounded,
  event,
  barrier,
  value,
  list,
  map,
  queue,
  lifo,
  priority,
  simple,
  executor,
];

export const looped: Lock[] = [];
for (let i = 0; i < 3; i++) looped.push(new Lock());

class Buffer {
  items = new SharedList<number>();
  guard = new Lock();
  constructor(readonly size: number) {}
}
export const first = new Buffer(1);
export const second = new Buffer(2);

function makeLock(): Lock {
  return new Lock();
}
export const made = makeLock();

/** The primitives whose sharing the tests check, in a fixed order. */
export function primitives(): object[] {
  return [
    ...ALL,
    ...looped,
    first.items,
    first.guard,
    second.items,
    second.guard,
    made,
  ];
}

/** Writes the block of each of primitives() in this thread, then a count. */
export function reportRefs(out: Int32Array): void {
  const all = primitives();
  all.forEach((p, i) => out[i + 1] = shareOf(p)!.ref);
  Atomics.store(out, 0, all.length);
}

/** Counts under the module-level lock: a shared counter stays exact. */
export function countUnderLock(counter: Int32Array, n: number): void {
  for (let i = 0; i < n; i++) {
    lock.acquire();
    const seen = counter[0];
    counter[0] = seen + 1;
    lock.release();
  }
}

/** Sets a per-thread attribute of the module-level local, reports it. */
export function useLocal(out: Int32Array, mark: number): void {
  const l = local as unknown as { mark?: number };
  out[0] = l.mark ?? -1;
  l.mark = mark;
  out[1] = l.mark;
}

/** Whether the local passed in is this thread's module-level local. */
export function sameLocal(out: Int32Array, passed: ThreadLocal): void {
  out[0] = passed === local ? 1 : 2;
}

/**
 * Waits for `go`, then starts a thread running `grab` of the module at
 * `url`, which that thread loads: several of these load it at once.
 */
export async function startGrab(
  url: string,
  out: Int32Array,
  i: number,
  all: Barrier,
  go: Int32Array,
): Promise<void> {
  const { grab } = await import(url);
  Atomics.add(go, 1, 1);
  while (Atomics.load(go, 0) === 0) Atomics.pause();
  const t = new Thread({ target: grab, args: [out, i, all], module: url });
  t.start();
  t.join();
}
