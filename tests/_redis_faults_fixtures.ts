// Thread targets of tests/redis_faults_test.ts.
import { ConnectionError, type RedisQueue } from "../src/redis.ts";

/**
 * Says it waits (out[0]), then get(timeout): out[1] = 1 on ConnectionError
 * (2 on anything else), out[2] = the ms it took.
 */
export function getWithTimeout(
  queue: RedisQueue<number>,
  timeout: number,
  out: Int32Array,
): void {
  Atomics.store(out, 0, 1);
  Atomics.notify(out, 0);
  const t0 = performance.now();
  try {
    queue.get({ timeout });
  } catch (error) {
    out[1] = error instanceof ConnectionError ? 1 : 2;
  }
  out[2] = Math.round(performance.now() - t0);
}
