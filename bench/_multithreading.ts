// The bench:compare workloads that the npm `multithreading` package has a
// primitive for; prints one JSON object. Its tasks run on its own worker pool.
import { move, Mutex, Semaphore, spawn } from "multithreading";
import { sampled } from "./_stats.ts";

/** Waits until `cell[1]` reaches `n` (every task is ready). */
function awaitReady(cell: Int32Array, n: number): void {
  for (let v = Atomics.load(cell, 1); v < n; v = Atomics.load(cell, 1)) {
    Atomics.wait(cell, 1, v, 100);
  }
}

async function counter(threads: number, total: number): Promise<number> {
  const cell = new Int32Array(new SharedArrayBuffer(12));
  const mutex = new Mutex(new Int32Array(new SharedArrayBuffer(4)));
  const handles = Array.from(
    { length: threads },
    () =>
      spawn(move(mutex, cell, total / threads), (m, c, k) => {
        Atomics.add(c, 1, 1);
        Atomics.notify(c, 1);
        Atomics.wait(c, 0, 0);
        for (let i = 0; i < k; i++) {
          const guard = m.blockingLock();
          guard.value[0]++;
          guard.dispose();
        }
      }),
  );
  awaitReady(cell, threads);
  const begin = performance.now();
  Atomics.store(cell, 0, 1);
  Atomics.notify(cell, 0);
  for (const h of handles) await h.join();
  const seconds = (performance.now() - begin) / 1000;
  const guard = mutex.blockingLock();
  const count = guard.value[0];
  guard.dispose();
  if (count !== total) throw new Error(`lost updates: ${count} of ${total}`);
  return seconds;
}

async function semaphore(threads: number, total: number): Promise<number> {
  const cell = new Int32Array(new SharedArrayBuffer(12));
  const sem = new Semaphore(2);
  const handles = Array.from(
    { length: threads },
    () =>
      spawn(move(sem, cell, total / threads), (s, c, k) => {
        Atomics.add(c, 1, 1);
        Atomics.notify(c, 1);
        Atomics.wait(c, 0, 0);
        for (let i = 0; i < k; i++) s.blockingAcquire().dispose();
      }),
  );
  awaitReady(cell, threads);
  const begin = performance.now();
  Atomics.store(cell, 0, 1);
  Atomics.notify(cell, 0);
  for (const h of handles) await h.join();
  return (performance.now() - begin) / 1000;
}

function mutexUncontended(n: number): number {
  const mutex = new Mutex();
  const begin = performance.now();
  for (let i = 0; i < n; i++) mutex.blockingLock().dispose();
  return (performance.now() - begin) / 1000;
}

async function spawnJoin(n: number): Promise<number> {
  const begin = performance.now();
  for (let i = 0; i < n; i++) await spawn(() => 0).join();
  return (performance.now() - begin) / 1000;
}

type Measure = () => number | Promise<number>;

const cores = navigator.hardwareConcurrency;

/** The rows it has a primitive for, by bench:compare group. */
const GROUPS: Record<string, Record<string, Measure>> = {
  locks: {
    lock_ns: () => sampled(5, () => mutexUncontended(100_000) / 100_000 * 1e9),
    counter_1: async () => 400_000 / await counter(1, 400_000),
    counter_2: async () => 400_000 / await counter(2, 400_000),
    // Its pool has one worker per core: more tasks than cores would wait in
    // line while the others spin at the barrier, so 4 threads need 4 cores.
    ...(cores >= 4
      ? {
        counter_4: async () => 400_000 / await counter(4, 400_000),
        semaphore_4: async () => 200_000 / await semaphore(4, 200_000),
      }
      : {}),
  },
  threads: {
    start_join_us: async () => await spawnJoin(1_000) / 1_000 * 1e6,
  },
};

if (import.meta.main) {
  const [name, ...keys] = Deno.args;
  const rows = GROUPS[name];
  if (rows === undefined) {
    throw new TypeError(`Cannot run group: received ${name}`);
  }
  await spawnJoin(50); // warm the pool
  const out: Record<string, number | string> = {
    runtime: "npm multithreading 0.3.52",
  };
  for (const [key, measure] of Object.entries(rows)) {
    if (keys.length === 0 || keys.includes(key)) out[key] = await measure();
  }
  console.log(JSON.stringify(out));
  Deno.exit(0);
}
