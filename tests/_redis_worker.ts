// A worker process: serves executor `name` with the tasks of
// _redis_tasks.ts, writes "ready" to a file, and serves until killed.
// Args: the Redis URL, the prefix, the executor's name, the ready file,
// maxWorkers.
import { connect } from "../src/redis.ts";

const [url, prefix, name, ready, workers] = Deno.args;
const redis = await connect(url, { prefix });
await redis.serve(name, {
  maxWorkers: Number(workers ?? 2),
  modules: [new URL("./_redis_tasks.ts", import.meta.url)],
});
await Deno.writeTextFile(ready, "ready");
