// queue_workers across three processes: this one puts 10 jobs in a Redis
// Queue; two other processes, two worker threads each, take them, work and
// call taskDone(); this one join()s the queue (every job done, wherever it
// ran), then shuts it down, which ends the workers. The code of the workers
// is the local example's: only the Queue comes from Redis.
import { currentThread, QueueShutDown, sleep, Thread } from "@weft/threading";
import { connect, type RedisQueue } from "@weft/threading/redis";
import { basicConfig } from "./_log.ts";
import { spawnSelf, startServer } from "./_redis_server.ts";

const logging = basicConfig("(%(threadName)-9s) %(message)s");

export interface Job {
  id: number;
  cost: number;
}

export function worker(
  jobs: RedisQueue<Job>,
  ready: RedisQueue<string>,
): void {
  ready.put(currentThread().name);
  for (;;) {
    let job: Job;
    try {
      job = jobs.get();
    } catch (error) {
      if (error instanceof QueueShutDown) break;
      throw error;
    }
    logging.debug`took job ${job.id}`;
    sleep(job.cost);
    jobs.taskDone();
  }
  logging.debug`queue shut down, ${currentThread().name} exits`;
}

/** A worker process: two threads on the queue, until it is shut down. */
async function workerProcess(url: string, prefix: string, n: string) {
  await using redis = await connect(url, { prefix });
  const jobs = new redis.Queue<Job>("jobs");
  const ready = new redis.Queue<string>("ready", { visibility: 0 });
  const threads = [0, 1].map((i) =>
    new Thread({
      target: worker,
      args: [jobs, ready],
      name: `worker-${n}${i}`,
    })
  );
  for (const t of threads) t.start();
  for (const t of threads) await t.joinAsync();
}

if (import.meta.main) {
  if (Deno.args[0] === "worker") {
    await workerProcess(Deno.args[1], Deno.args[2], Deno.args[3]);
  } else {
    await using server = await startServer();
    if (server !== undefined) {
      const prefix = `example-${crypto.randomUUID()}`;
      await using redis = await connect(server.url, { prefix });
      const jobs = new redis.Queue<Job>("jobs");
      const workers = ["0", "1"].map((n) =>
        spawnSelf(import.meta.url, "worker", server.url, prefix, n)
      );
      // As locally, the workers wait for jobs before the first is put.
      const ready = new redis.Queue<string>("ready", { visibility: 0 });
      for (let i = 0; i < 4; i++) await ready.getAsync();
      for (let id = 1; id <= 10; id++) {
        jobs.put({ id, cost: 20 + (id % 3) * 10 });
      }
      logging.debug("queued 10 jobs");
      await jobs.joinAsync();
      logging.debug("all jobs done");
      await jobs.shutdownAsync();
      for (const w of workers) await w.status;
    }
  }
}
