// Thread targets for the benchmarks: exported, so threads find them.
import {
  type Condition,
  type Event,
  type Lock,
  type Queue,
  type Semaphore,
  type SharedMap,
  Thread,
  Timer,
} from "../mod.ts";

/** Waits for `go`, then increments cell[0] `n` times under `lock`. */
export function incrementMany(
  lock: Lock,
  cell: Int32Array,
  n: number,
  go?: Event,
): void {
  go?.wait();
  for (let i = 0; i < n; i++) {
    lock.acquire();
    cell[0]++;
    lock.release();
  }
}

/** Waits for `go`, then adds 1 under `n` keys in turn (of 8) of `map`. */
export function updateMany(
  map: SharedMap<string, number>,
  n: number,
  go: Event,
): void {
  go.wait();
  for (let i = 0; i < n; i++) map.update(KEYS[i & 7], (v) => (v ?? 0) + 1);
}

/** The keys updateMany() updates. */
export const KEYS: readonly string[] = Array.from(
  { length: 8 },
  (_, i) => `key${i}`,
);

/** Waits for `go`, then acquires and releases `sem` `n` times. */
export function semaphoreMany(sem: Semaphore, n: number, go: Event): void {
  go.wait();
  for (let i = 0; i < n; i++) {
    sem.acquire();
    sem.release();
  }
}

/** Answers `rounds` pings with pongs. */
export function eventPartner(ping: Event, pong: Event, rounds: number): void {
  for (let i = 0; i < rounds; i++) {
    ping.wait();
    ping.clear();
    pong.set();
  }
}

/** Plays the other side of a Condition ping-pong: turn[0] alternates 0 (main), 1 (partner). */
export function conditionPartner(
  cond: Condition,
  turn: Int32Array,
  rounds: number,
): void {
  for (let i = 0; i < rounds; i++) {
    cond.acquire();
    while (turn[0] !== 1) cond.wait();
    turn[0] = 0;
    cond.notify();
    cond.release();
  }
}

export function noop(): void {}

/** A target that takes shared state, as real threads do, and does nothing. */
export function takeShared(
  _lock: Lock,
  _event: Event,
  _cells: Int32Array,
  _queue: Queue<unknown>,
): void {}

/**
 * In a thread: starts and joins `out.length` threads, one after another, and
 * records at out[i] how many ms the i-th start() took (a thread's start()
 * returns once the new thread runs).
 */
export function startChildren(out: Float64Array): void {
  for (let i = 0; i < out.length; i++) {
    const t = new Thread({ target: noop });
    const begin = performance.now();
    t.start();
    out[i] = performance.now() - begin;
    t.join();
  }
}

/** A "server": starts `n` short handler threads one after another. */
export function serve(out: Float64Array, n: number): void {
  const begin = performance.now();
  for (let i = 0; i < n; i++) {
    const t = new Thread({ target: noop, name: `handler-${i}` });
    t.start();
    t.join();
  }
  out[0] = performance.now() - begin;
}

/** Records when it fires, at out[i]. */
export function fire(out: Float64Array, i: number): void {
  out[i] = performance.timeOrigin + performance.now();
}

/**
 * In a thread: arms a Timer of `interval` ms `n` times, each after the last
 * fired, and records the mean lateness in ms at out[0].
 */
export function rearm(out: Float64Array, n: number, interval: number): void {
  const times = new Float64Array(new SharedArrayBuffer(8 * (n + 1)));
  let late = 0;
  for (let i = 1; i <= n; i++) {
    const begin = performance.timeOrigin + performance.now();
    const timer = new Timer(interval, fire, [times, i]);
    timer.start();
    timer.join();
    late += times[i] - begin - interval;
  }
  out[0] = late / n;
}

/** Waits on `release` (an idle thread, for memory measurements). */
export function idle(release: Event): void {
  release.wait();
}

/** Keeps a core busy until `stop[0]` is set (crowds the cores). */
export function busy(stop: Int32Array): void {
  while (Atomics.load(stop, 0) === 0) { /* spin */ }
}

/** Waits for `go`, then puts `n` items (ints, or small objects) on `q`. */
export function producer(
  q: Queue<unknown>,
  n: number,
  objects: boolean,
  go: Event,
): void {
  go.wait();
  for (let i = 0; i < n; i++) {
    q.put(objects ? { id: i, name: "alice", tags: [1, 2, 3] } : i);
  }
}

/** Waits for `go`, then gets `n` items from `q`; counts them at out[0]. */
export function consumer(
  q: Queue<unknown>,
  n: number,
  go: Event,
  out: Int32Array,
): void {
  go.wait();
  for (let i = 0; i < n; i++) q.get();
  Atomics.add(out, 0, n);
}

/** A tiny task: what executor benchmarks submit. */
export function square(x: number): number {
  return x * x;
}

/** Counts the primes in [lo, hi): a CPU-bound task. */
export function countPrimes(lo: number, hi: number): number {
  let count = 0;
  for (let n = Math.max(2, lo); n < hi; n++) {
    let prime = true;
    for (let d = 2; d * d <= n; d++) {
      if (n % d === 0) {
        prime = false;
        break;
      }
    }
    if (prime) count++;
  }
  return count;
}
