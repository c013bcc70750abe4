// The workloads measured by the Deno.bench files and by `deno task
// bench:compare`, each checking its own result.
import {
  Condition,
  Event,
  Lock,
  Queue,
  RLock,
  Semaphore,
  SharedList,
  SharedMap,
  Thread,
  ThreadPoolExecutor,
} from "../mod.ts";
import {
  conditionPartner,
  consumer,
  countPrimes,
  eventPartner,
  incrementMany,
  KEYS,
  noop,
  producer,
  rearm,
  semaphoreMany,
  serve,
  square,
  startChildren,
  takeShared,
  updateMany,
} from "./_targets.ts";

/** Increments a counter under one Lock from `threads` threads; returns seconds. */
export function counter(threads: number, total: number): number {
  const lock = new Lock();
  const cell = new Int32Array(new SharedArrayBuffer(4));
  const go = new Event();
  const ts = Array.from(
    { length: threads },
    () =>
      new Thread({
        target: incrementMany,
        args: [lock, cell, total / threads, go],
      }),
  );
  for (const t of ts) t.start();
  const begin = performance.now();
  go.set();
  for (const t of ts) t.join();
  const seconds = (performance.now() - begin) / 1000;
  if (cell[0] !== total) {
    throw new Error(`lost updates: ${cell[0]} of ${total}`);
  }
  return seconds;
}

/** `threads` threads acquire+release a Semaphore(2) `total` times in all; seconds. */
export function semaphore(threads: number, total: number): number {
  const sem = new Semaphore(2);
  const go = new Event();
  const ts = Array.from(
    { length: threads },
    () =>
      new Thread({ target: semaphoreMany, args: [sem, total / threads, go] }),
  );
  for (const t of ts) t.start();
  const begin = performance.now();
  go.set();
  for (const t of ts) t.join();
  const seconds = (performance.now() - begin) / 1000;
  if (sem.value !== 2) {
    throw new Error(`semaphore value ${sem.value}, expected 2`);
  }
  return seconds;
}

/** `rounds` Event round trips between main and one thread; seconds. */
export function eventPingPong(rounds: number): number {
  const ping = new Event();
  const pong = new Event();
  const t = new Thread({ target: eventPartner, args: [ping, pong, rounds] });
  t.start();
  const begin = performance.now();
  for (let i = 0; i < rounds; i++) {
    ping.set();
    pong.wait();
    pong.clear();
  }
  const seconds = (performance.now() - begin) / 1000;
  t.join();
  return seconds;
}

/** `rounds` Condition round trips between main and one thread; seconds. */
export function conditionPingPong(rounds: number): number {
  const cond = new Condition(new Lock());
  const turn = new Int32Array(new SharedArrayBuffer(4));
  const t = new Thread({
    target: conditionPartner,
    args: [cond, turn, rounds],
  });
  t.start();
  const begin = performance.now();
  for (let i = 0; i < rounds; i++) {
    cond.acquire();
    turn[0] = 1;
    cond.notify();
    while (turn[0] !== 0) cond.wait();
    cond.release();
  }
  const seconds = (performance.now() - begin) / 1000;
  t.join();
  return seconds;
}

/** `n` sequential thread start+join; seconds. */
export function startJoin(n: number): number {
  const begin = performance.now();
  for (let i = 0; i < n; i++) {
    const t = new Thread({ target: noop });
    t.start();
    t.join();
  }
  return (performance.now() - begin) / 1000;
}

/**
 * `n` sequential thread start+join, each thread given a Lock, an Event, a
 * typed array over a SharedArrayBuffer and a Queue; seconds.
 */
export function startJoinShared(n: number): number {
  const args = [
    new Lock(),
    new Event(),
    new Int32Array(new SharedArrayBuffer(64)),
    new Queue(),
  ] as const;
  const begin = performance.now();
  for (let i = 0; i < n; i++) {
    const t = new Thread({ target: takeShared, args: [...args] });
    t.start();
    t.join();
  }
  return (performance.now() - begin) / 1000;
}

/** Runs `target` in a thread that reports `size` numbers in `out`; returns them. */
function inThread(
  target: (out: Float64Array, ...args: never[]) => void,
  args: unknown[],
  size = 1,
): Float64Array {
  const out = new Float64Array(new SharedArrayBuffer(8 * size));
  const t = new Thread({
    target: target as (...args: unknown[]) => void,
    args: [out, ...args],
  });
  t.start();
  t.join();
  return out;
}

/** ms each of `n` start() calls made by one thread took (each joined before the next). */
export function nestedStarts(n: number): number[] {
  return [...inThread(startChildren, [], n)];
}

/** ms each of `n` sequential start+join from this thread took. */
export function startJoinEach(n: number): number[] {
  const times = [];
  for (let i = 0; i < n; i++) {
    const t = new Thread({ target: noop });
    const begin = performance.now();
    t.start();
    t.join();
    times.push(performance.now() - begin);
  }
  return times;
}

/**
 * The first start()s of a program, in ms: how long main's first start()
 * blocks, and how long the thread it started blocks in its own first
 * start(). Meaningful only as the first thing a process does with threads.
 */
export function firstStarts(): { main: number; nested: number } {
  const out = new Float64Array(new SharedArrayBuffer(8));
  const t = new Thread({ target: startChildren, args: [out] });
  const begin = performance.now();
  t.start();
  const main = performance.now() - begin;
  t.join();
  return { main, nested: out[0] };
}

/** ms for a thread to start and join `n` short handler threads in a row. */
export function server(n: number): number {
  return inThread(serve, [n])[0];
}

/** Mean lateness in ms of a Timer re-armed `n` times from a thread. */
export function timerLateness(n: number, interval: number): number {
  return inThread(rearm, [n, interval])[0];
}

/** `n` blocks of `using _ = lock.hold()` around an increment; seconds. */
export function lockHoldUsing(n: number): number {
  const lock = new Lock();
  let count = 0;
  const begin = performance.now();
  for (let i = 0; i < n; i++) {
    using _ = lock.hold();
    count++;
  }
  const seconds = (performance.now() - begin) / 1000;
  if (count !== n) throw new Error("lost increments");
  return seconds;
}

/** `n` calls of `lock.hold(() => ...)` around an increment; seconds. */
export function lockHoldCallback(n: number): number {
  const lock = new Lock();
  let count = 0;
  const begin = performance.now();
  for (let i = 0; i < n; i++) lock.hold(() => count++);
  const seconds = (performance.now() - begin) / 1000;
  if (count !== n) throw new Error("lost increments");
  return seconds;
}

/** `n` uncontended Lock acquire+release pairs; seconds. */
export function lockUncontended(n: number): number {
  const lock = new Lock();
  const begin = performance.now();
  for (let i = 0; i < n; i++) {
    lock.acquire();
    lock.release();
  }
  return (performance.now() - begin) / 1000;
}

/** `n` uncontended RLock acquire, acquire, release, release; seconds. */
export function rlockUncontended(n: number): number {
  const lock = new RLock();
  const begin = performance.now();
  for (let i = 0; i < n; i++) {
    lock.acquire();
    lock.acquire();
    lock.release();
    lock.release();
  }
  return (performance.now() - begin) / 1000;
}

/** `n` put+get pairs of `item` on one queue in one thread; seconds. */
export function queuePutGet(n: number, item: unknown): number {
  const q = new Queue();
  const begin = performance.now();
  for (let i = 0; i < n; i++) {
    q.put(item);
    q.get();
  }
  return (performance.now() - begin) / 1000;
}

/**
 * `total` items through one queue, from `producers` threads to `consumers`
 * threads, all started first and then released together; seconds.
 */
export function pipeline(
  producers: number,
  consumers: number,
  maxsize: number,
  total: number,
  objects: boolean,
): number {
  const q = new Queue(maxsize);
  const go = new Event();
  const got = new Int32Array(new SharedArrayBuffer(4));
  const threads = [
    ...Array.from(
      { length: consumers },
      () =>
        new Thread({
          target: consumer,
          args: [q, total / consumers, go, got],
        }),
    ),
    ...Array.from(
      { length: producers },
      () =>
        new Thread({
          target: producer,
          args: [q, total / producers, objects, go],
        }),
    ),
  ];
  for (const t of threads) t.start();
  const begin = performance.now();
  go.set();
  for (const t of threads) t.join();
  const seconds = (performance.now() - begin) / 1000;
  if (got[0] !== total || q.qsize() !== 0) {
    throw new Error(`lost items: got ${got[0]} of ${total}`);
  }
  return seconds;
}

/** MB that RSS grows by over `n` put+get pairs of a small object, after a warm-up. */
export function queueRssMb(n: number): number {
  const item = { id: 1, name: "alice", tags: [1, 2, 3] };
  queuePutGet(n / 10, item);
  const before = Deno.memoryUsage().rss;
  queuePutGet(n, item);
  return (Deno.memoryUsage().rss - before) / 1e6;
}

/** An executor of `workers` threads, every one started and warm. */
export function warmExecutor(workers: number): ThreadPoolExecutor {
  const executor = new ThreadPoolExecutor({ maxWorkers: workers });
  for (let round = 0; round < 3; round++) {
    const futures = [];
    for (let i = 0; i < 20_000; i++) futures.push(executor.submit(square, i));
    for (const f of futures) f.result();
  }
  return executor;
}

/** `n` sequential `submit(square, i).result()` round trips; seconds. */
export function executorRoundTrip(
  executor: ThreadPoolExecutor,
  n: number,
): number {
  const begin = performance.now();
  for (let i = 0; i < n; i++) {
    if (executor.submit(square, i).result() !== i * i) {
      throw new Error("wrong result");
    }
  }
  return (performance.now() - begin) / 1000;
}

/** `n` tasks submitted, then every result gathered; seconds. */
export function executorGather(
  executor: ThreadPoolExecutor,
  n: number,
): number {
  const begin = performance.now();
  const futures = [];
  for (let i = 0; i < n; i++) futures.push(executor.submit(square, i));
  let sum = 0;
  for (const f of futures) sum += f.result();
  const seconds = (performance.now() - begin) / 1000;
  if (sum !== (n - 1) * n * (2 * n - 1) / 6) throw new Error("wrong sum");
  return seconds;
}

/** `map(square)` over `n` items; seconds. */
export function executorMap(executor: ThreadPoolExecutor, n: number): number {
  const items = Array.from({ length: n }, (_, i) => i);
  const begin = performance.now();
  let sum = 0;
  for (const r of executor.map(square, items)) sum += r;
  const seconds = (performance.now() - begin) / 1000;
  if (sum !== (n - 1) * n * (2 * n - 1) / 6) throw new Error("wrong sum");
  return seconds;
}

/**
 * An executor of `workers` threads, warm, every worker having compiled
 * countPrimes before any clock starts.
 */
export function primesExecutor(workers: number): ThreadPoolExecutor {
  const executor = warmExecutor(workers);
  const warm = Array.from(
    { length: workers * 8 },
    () => executor.submit(countPrimes, 0, 50_000),
  );
  for (const f of warm) f.result();
  return executor;
}

/** Primes below `limit` counted in `chunks` tasks on `executor`; seconds. */
export function primesOn(
  executor: ThreadPoolExecutor,
  limit: number,
  chunks: number,
): number {
  const size = limit / chunks;
  const begin = performance.now();
  const futures = Array.from(
    { length: chunks },
    (_, i) => executor.submit(countPrimes, i * size, (i + 1) * size),
  );
  const total = futures.reduce((sum, f) => sum + f.result(), 0);
  const seconds = (performance.now() - begin) / 1000;
  if (total !== countPrimes(0, limit)) throw new Error("wrong prime count");
  return seconds;
}

/** Primes below `limit` counted in `chunks` tasks on `workers` new threads; seconds. */
export function executorPrimes(
  workers: number,
  limit: number,
  chunks: number,
): number {
  const executor = primesExecutor(workers);
  try {
    return primesOn(executor, limit, chunks);
  } finally {
    executor.shutdown();
  }
}

/** `n` Locks constructed inside a function (and dropped); seconds. */
export function lockConstruct(n: number): number {
  let last: Lock | undefined;
  const begin = performance.now();
  for (let i = 0; i < n; i++) last = new Lock();
  const seconds = (performance.now() - begin) / 1000;
  if (last?.locked() !== false) throw new Error("no lock");
  return seconds;
}

/** `n` set() then `n` get() of small keys and values on a SharedMap; seconds of each. */
export function sharedMapSetGet(n: number): { set: number; get: number } {
  const map = new SharedMap<string, number>();
  const keys = Array.from({ length: 100 }, (_, i) => `user:${i}`);
  let begin = performance.now();
  for (let i = 0; i < n; i++) map.set(keys[i % 100], i);
  const set = (performance.now() - begin) / 1000;
  let sum = 0;
  begin = performance.now();
  for (let i = 0; i < n; i++) sum += map.get(keys[i % 100])!;
  const get = (performance.now() - begin) / 1000;
  if (map.size !== 100 || !(sum > 0)) throw new Error("wrong map");
  return { set, get };
}

/** `n` push+pop pairs of a small value on a SharedList; seconds. */
export function sharedListPushPop(n: number): number {
  const list = new SharedList<number>([1, 2, 3]);
  let sum = 0;
  const begin = performance.now();
  for (let i = 0; i < n; i++) {
    list.push(i);
    sum += list.pop()!;
  }
  const seconds = (performance.now() - begin) / 1000;
  if (sum !== n * (n - 1) / 2 || list.length !== 3) {
    throw new Error("wrong list");
  }
  return seconds;
}

/** `threads` threads x `n` update() (+1) on 8 keys of one SharedMap; seconds. */
export function sharedMapUpdates(threads: number, n: number): number {
  const map = new SharedMap<string, number>();
  const go = new Event();
  const ts = Array.from(
    { length: threads },
    () => new Thread({ target: updateMany, args: [map, n, go] }),
  );
  for (const t of ts) t.start();
  const begin = performance.now();
  go.set();
  for (const t of ts) t.join();
  const seconds = (performance.now() - begin) / 1000;
  let total = 0;
  for (const key of KEYS) total += map.get(key) ?? 0;
  if (total !== threads * n) {
    throw new Error(`lost updates: ${total} of ${threads * n}`);
  }
  return seconds;
}
