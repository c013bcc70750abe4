// The Executor row of bench:compare in BullMQ (what a Node program would use
// instead): a Queue, a Worker with concurrency 4 in this process, and
// QueueEvents, through which the submitting side sees each job complete (as
// a future's result reaches our submitter). BullMQ runs on Deno when given
// ready-made ioredis clients. Prints one JSON object, with the commands its
// clients sent per job. Args: the Redis URL.
// deno-lint-ignore-file no-import-prefix
import { Queue, QueueEvents, Worker } from "npm:bullmq@5";
import { Redis } from "npm:ioredis@5";

const url = Deno.args[0];
const JOBS = 2_000;
const name = `bench-bullmq-${crypto.randomUUID()}`;

let sent = 0;
function client(): Redis {
  const c = new Redis(url, { maxRetriesPerRequest: null });
  const send = c.sendCommand.bind(c);
  c.sendCommand = ((...args: Parameters<typeof send>) => {
    sent++;
    return send(...args);
  }) as typeof c.sendCommand;
  return c;
}

const clients = [client(), client(), client()];
const queue = new Queue(name, { connection: clients[0] });
const events = new QueueEvents(name, { connection: clients[1] });
await events.waitUntilReady();
const worker = new Worker(name, (job) => Promise.resolve(job.data.x + 1), {
  connection: clients[2],
  concurrency: 4,
});
await worker.waitUntilReady();

async function round(n: number): Promise<number> {
  let left = n;
  const done = new Promise<void>((resolve) => {
    const onDone = () => {
      if (--left === 0) {
        events.off("completed", onDone);
        resolve();
      }
    };
    events.on("completed", onDone);
  });
  const t0 = performance.now();
  await queue.addBulk(
    Array.from({ length: n }, (_, x) => ({
      name: "inc",
      data: { x },
      opts: { removeOnComplete: true },
    })),
  );
  await done;
  return (performance.now() - t0) / 1000;
}

await round(200);
const before = sent;
const seconds = await round(JOBS);
const commands = (sent - before) / JOBS;
await worker.close();
await events.close();
await queue.obliterate({ force: true });
await queue.close();
for (const c of clients) c.disconnect();
console.log(JSON.stringify({
  runtime: "BullMQ 5 (ioredis 5)",
  redis_executor_tasks: JOBS / seconds,
  redis_executor_commands: commands,
}));
