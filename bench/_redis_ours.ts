// The Redis rows of bench:compare, in @weft/threading: sequential Lock
// acquire+release, sequential Queue put+get, and Executor tasks/s with 4
// workers (serve() in this process). Prints one JSON object; also the
// commands sent to Redis per operation (in the sequential loops, each one a
// round trip; a taskDone() is sent without waiting). Args: the Redis URL.
import { connect } from "../src/redis.ts";
import { send } from "../src/_redis/base.ts";
import { inc } from "./_redis_tasks.ts";

const url = Deno.args[0];
const LOCKS = 2_000;
const ITEMS = 2_000;
const TASKS = 2_000;

/** Commands this process's I/O thread has sent to Redis so far. */
function commands(): number {
  return send(lock, "io.sent") as number;
}

async function measure(
  n: number,
  body: () => void | Promise<void>,
): Promise<{ us: number; commands: number }> {
  const before = commands();
  const t0 = performance.now();
  for (let i = 0; i < n; i++) await body();
  const us = (performance.now() - t0) * 1000 / n;
  return { us, commands: (commands() - before) / n };
}

const redis = await connect(url, { prefix: `bench-${crypto.randomUUID()}` });
const lock = new redis.Lock("lock");
const queue = new redis.Queue<number>("queue");
// Warm up: scripts loaded, channels joined, code compiled.
for (let i = 0; i < 200; i++) {
  lock.acquire();
  lock.release();
  queue.put(i);
  queue.get();
  queue.taskDone();
}
const locks = await measure(LOCKS, () => {
  lock.acquire();
  lock.release();
});
const items = await measure(ITEMS, () => {
  queue.put(1);
  queue.get();
  queue.taskDone();
});
const serving = await redis.serve("bench", {
  maxWorkers: 4,
  modules: [new URL("./_redis_tasks.ts", import.meta.url)],
});
const executor = new redis.Executor("bench");
await Promise.all(
  Array.from({ length: 200 }, (_, i) => executor.submit(inc, i)),
);
const before = commands();
const t0 = performance.now();
const futures = Array.from(
  { length: TASKS },
  (_, i) => executor.submit(inc, i),
);
for (const [i, f] of futures.entries()) {
  if (await f !== i + 1) throw new Error("wrong result");
}
const seconds = (performance.now() - t0) / 1000;
const taskCommands = (commands() - before) / TASKS;
await serving.stop();
await redis.close();
console.log(JSON.stringify({
  runtime: `Deno ${Deno.version.deno}`,
  redis_lock_us: locks.us,
  redis_lock_commands: locks.commands,
  redis_queue_us: items.us,
  redis_queue_commands: items.commands,
  redis_executor_tasks: TASKS / seconds,
  redis_executor_commands: taskCommands,
}));
