// A worker process: serves executor `name` with the tasks of
// _redis_tasks.ts (or the module given), writes "ready" to a file, and
// serves until killed. Args: the Redis URL, the prefix, the executor's
// name, the ready file, maxWorkers, the module.
import { connect } from "../src/redis.ts";

const [url, prefix, name, ready, workers, module] = Deno.args;
const redis = await connect(url, { prefix });
await redis.serve(name, {
  maxWorkers: Number(workers ?? 2),
  modules: [new URL(module ?? "./_redis_tasks.ts", import.meta.url)],
});
await Deno.writeTextFile(ready, "ready");
