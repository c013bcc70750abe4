// The workloads measured by the Deno.bench files and by `deno task
// bench:compare`, each checking its own result.
import { Condition, Event, Lock, RLock, Semaphore, Thread } from "../mod.ts";
import {
  conditionPartner,
  eventPartner,
  incrementMany,
  noop,
  semaphoreMany,
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
