// Thread targets of the Redis tests: Redis objects arrive in these threads
// by name and use this process's connection.
import type {
  RedisEvent,
  RedisLock,
  RedisQueue,
  RedisRLock,
  RedisSemaphore,
  RedisSharedMap,
  RedisSharedValue,
} from "../src/redis.ts";
import { ThreadError } from "../mod.ts";

/** Releases `lock` (held by another thread of this process). */
export function releaseLock(lock: RedisLock, out: Int32Array): void {
  lock.release();
  Atomics.store(out, 0, 1);
}

/** Increments `value` by get-then-set `n` times, under `lock`. */
export function countUnderLock(
  lock: RedisLock,
  value: RedisSharedValue<number>,
  n: number,
): void {
  for (let i = 0; i < n; i++) {
    lock.hold(() => value.set(value.get() + 1));
  }
}

/** Says it is about to wait (out[0]), then acquires (out[1] = 1). */
export function acquireTimed(lock: RedisLock, out: Int32Array): void {
  Atomics.store(out, 0, 1);
  Atomics.notify(out, 0);
  if (lock.acquire({ timeout: 10_000 })) {
    Atomics.store(out, 1, 1);
    lock.release();
  }
}

/** out[0] = 2 if acquiring failed; out[1] = 1 if releasing threw. */
export function tryRLock(lock: RedisRLock, out: Int32Array): void {
  out[0] = lock.acquire({ timeout: 50 }) ? 1 : 2;
  try {
    lock.release();
  } catch (error) {
    if (error instanceof ThreadError) out[1] = 1;
  }
}

/**
 * Takes a unit `rounds` times: inside[0] counts holders now, inside[1]
 * rounds run, inside[2] the most holders seen at once.
 */
export function underSemaphore(
  sem: RedisSemaphore,
  inside: Int32Array,
  rounds: number,
): void {
  for (let i = 0; i < rounds; i++) {
    sem.hold(() => {
      const now = Atomics.add(inside, 0, 1) + 1;
      for (let seen = Atomics.load(inside, 2); now > seen;) {
        const was = Atomics.compareExchange(inside, 2, seen, now);
        if (was === seen) break;
        seen = was;
      }
      const until = performance.now() + 5;
      while (performance.now() < until) { /* hold it a moment */ }
      Atomics.sub(inside, 0, 1);
      Atomics.add(inside, 1, 1);
    });
  }
}

/** Counts itself waiting (out[0]), then out[1] += 1 if the wait succeeded. */
export function waitEvent(ev: RedisEvent, out: Int32Array): void {
  Atomics.add(out, 0, 1);
  Atomics.notify(out, 0);
  if (ev.wait(10_000)) Atomics.add(out, 1, 1);
}

/** Puts `n` items `[from + i]`. */
export function produce(
  queue: RedisQueue<number>,
  from: number,
  n: number,
): void {
  for (let i = 0; i < n; i++) queue.put(from + i);
}

/** Takes items until it gets -1, adding each to `seen` (counts by item). */
export function consume(
  queue: RedisQueue<number>,
  seen: RedisSharedMap<number, number>,
): void {
  for (;;) {
    const item = queue.get();
    queue.taskDone();
    if (item === -1) return;
    seen.update(item, (n) => (n ?? 0) + 1);
  }
}

/** Puts one item (it may wait for room); out[0] = 1 once put. */
export function putOne(queue: RedisQueue<number>, out: Int32Array): void {
  queue.put(99);
  Atomics.store(out, 0, 1);
  Atomics.notify(out, 0);
}

/** Adds 1 to `key` of `map` `n` times with update(). */
export function bump(
  map: RedisSharedMap<string, number>,
  key: string,
  n: number,
): void {
  for (let i = 0; i < n; i++) map.update(key, (v) => (v ?? 0) + 1);
}

/** Connects to `url` itself and reports (out[0]) how many I/O threads run. */
export async function connectHere(url: string, out: Int32Array): Promise<void> {
  const { connect } = await import("../src/redis.ts");
  const { enumerate } = await import("../mod.ts");
  await using redis = await connect(url, { prefix: "here" });
  new redis.Event("e").isSet();
  out[0] = enumerate().filter((t) => t.name.startsWith("RedisIO")).length;
}

/** out[0] = 1 if `sem` arrived as a BoundedSemaphore, and works. */
export function isBounded(sem: RedisSemaphore, out: Int32Array): void {
  out[0] = sem.constructor.name === "RedisBoundedSemaphore" ? 1 : 2;
  sem.acquire();
  sem.release();
}
