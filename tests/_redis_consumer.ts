// A consumer process of queue "jobs": records each item's id in list
// "seen", then marks it done, until it gets `null`. With a `stall` count, it
// stops after that many items holding the next one (not done), writes the
// file, and waits to be killed. Args: the Redis URL, the prefix, the
// visibility (ms), the file, the stall count (or -1).
import { connect } from "../src/redis.ts";

const [url, prefix, visibility, file, stall] = Deno.args;
const redis = await connect(url, { prefix });
const jobs = new redis.Queue<{ id: number } | null>("jobs", {
  visibility: Number(visibility),
});
const seen = new redis.SharedList<number>("seen");
for (let n = 0;; n++) {
  const job = jobs.get();
  if (job === null) {
    jobs.taskDone();
    break;
  }
  seen.push(job.id);
  if (n === Number(stall)) {
    await Deno.writeTextFile(file, String(job.id));
    setInterval(() => {}, 1 << 30);
    await new Promise(() => {});
  }
  jobs.taskDone();
}
await redis.close();
await Deno.writeTextFile(file, "done");
