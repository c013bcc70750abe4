// A main thread fills a Queue with jobs; four worker threads take them,
// process them and call taskDone(); main join()s the queue, then shuts it
// down, which ends the workers.
import {
  currentThread,
  Queue,
  QueueShutDown,
  sleep,
  Thread,
} from "@weft/threading";
import { basicConfig } from "./_log.ts";

const logging = basicConfig("(%(threadName)-9s) %(message)s");

export interface Job {
  id: number;
  cost: number;
}

export function worker(jobs: Queue<Job>): void {
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

if (import.meta.main) {
  const jobs = new Queue<Job>();
  const workers = Array.from(
    { length: 4 },
    (_, i) => new Thread({ target: worker, args: [jobs], name: `worker-${i}` }),
  );
  for (const w of workers) w.start();

  for (let id = 1; id <= 10; id++) jobs.put({ id, cost: 20 + (id % 3) * 10 });
  logging.debug("queued 10 jobs");

  jobs.join();
  logging.debug("all jobs done");
  jobs.shutdown();
  for (const w of workers) w.join();
}
