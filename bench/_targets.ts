// Thread targets for the benchmarks: exported, so threads find them.
import type { Condition, Event, Lock, Semaphore } from "../mod.ts";

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

/** Waits on `release` (an idle thread, for memory measurements). */
export function idle(release: Event): void {
  release.wait();
}

/** Keeps a core busy until `stop[0]` is set (crowds the cores). */
export function busy(stop: Int32Array): void {
  while (Atomics.load(stop, 0) === 0) { /* spin */ }
}
