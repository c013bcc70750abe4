/**
 * The threading API on Redis (or Valkey), for programs that outgrow one
 * process or one machine: Lock, RLock, Semaphore, BoundedSemaphore, Event,
 * Queue, LifoQueue, PriorityQueue, SharedValue, SharedList, SharedMap and a
 * concurrent.futures Executor, found by name: the same name on any process
 * on any machine is the same object. Method names, arguments and errors are
 * the local ones; every blocking call has its sync form, which blocks only
 * the calling thread (the network I/O runs in the connection's I/O thread),
 * and an `…Async` twin.
 *
 * The guarantees (leases, fencing tokens, at-least-once delivery) and the
 * keys used in Redis are described in the README, "Many machines".
 *
 * @example
 * ```ts ignore
 * import { connect } from "@weft/threading/redis";
 *
 * await using redis = await connect("redis://127.0.0.1:6379", { prefix: "app" });
 * const lock = new redis.Lock("reports", { lease: 30_000 });
 * lock.hold(() => console.log("only one process at a time; token", lock.fence));
 * ```
 *
 * @module
 */
export {
  connect,
  type ConnectOptions,
  RedisConnection,
} from "./_redis/connection.ts";
export { AuthenticationError, ConnectionError } from "./_redis/errors.ts";
export {
  type LeaseOptions,
  RedisBoundedSemaphore,
  RedisEvent,
  RedisLock,
  RedisLockBase,
  RedisRLock,
  RedisSemaphore,
} from "./_redis/locks.ts";
export {
  type QueueOptions,
  RedisLifoQueue,
  RedisPriorityQueue,
  RedisQueue,
} from "./_redis/queues.ts";
export {
  RedisSharedList,
  RedisSharedMap,
  RedisSharedValue,
} from "./_redis/containers.ts";
export {
  type ExecutorOptions,
  type MapAsyncOptions,
  type MapOptions,
  RedisExecutor,
  type ShutdownOptions,
} from "./_redis/executor.ts";
export type { ServeHandle, ServeOptions } from "./_redis/serve.ts";
export { RedisObject } from "./_redis/base.ts";
export type { SharedKey } from "./_codec/key_codec.ts";
export type { Future } from "./future.ts";
export type { AcquireOptions, AsyncAcquireOptions } from "./_core/validate.ts";
export type { HoldAsyncOptions } from "./_core/hold.ts";
