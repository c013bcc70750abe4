// The Redis rows of bench:compare (issue 19), kept apart from compare.ts:
// their rows, and their runners, which share one local redis-server for the
// whole run (started on first use, stopped by stopRedis()), so every runtime
// meets the same server in the same run: @weft/threading
// (bench/_redis_ours.ts), redis-py (bench/_redis_py.py, in the CPython
// column) and BullMQ (bench/_bullmq.ts, in the npm peer column).

type Result = Record<string, number | string>;
type Run = (cmd: string, args: string[]) => Promise<Result | undefined>;

/** The rows, shaped as compare.ts's. */
export const REDIS_ROWS = [
  {
    key: "redis_lock_us",
    label: "Redis Lock acquire+release (CPython: redis-py's Lock)",
    unit: "µs",
    higher: false,
    target: "≤ redis-py",
    met: (o: number, p: number | undefined) => p === undefined || o <= p,
  },
  {
    key: "redis_lock_commands",
    label: "…Redis commands (round trips) per acquire+release",
    unit: "",
    higher: false,
    target: "",
  },
  {
    key: "redis_queue_us",
    label: "Redis Queue put+get+taskDone (CPython: redis-py LPUSH+BLMOVE+LREM)",
    unit: "µs",
    higher: false,
    target: "≤ redis-py",
    met: (o: number, p: number | undefined) => p === undefined || o <= p,
  },
  {
    key: "redis_queue_commands",
    label: "…Redis commands per put+get+taskDone (taskDone not waited for)",
    unit: "",
    higher: false,
    target: "",
  },
  {
    key: "redis_executor_tasks",
    label: "Redis Executor, 4 workers (npm peer: BullMQ, concurrency 4)",
    unit: "tasks/s",
    higher: true,
    target: "≥ BullMQ",
    met: (
      o: number,
      _p: number | undefined,
      _mine: Record<string, number | undefined>,
      peer?: number,
    ) => peer === undefined || o >= peer,
  },
  {
    key: "redis_executor_commands",
    label: "…Redis commands per task",
    unit: "",
    higher: false,
    target: "",
  },
];

let server: Deno.ChildProcess | undefined;
let url: string | undefined;

/** The run's server: started once, or undefined when there is none. */
async function serverUrl(): Promise<string | undefined> {
  if (url !== undefined || server !== undefined) return url;
  const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const port = (listener.addr as Deno.NetAddr).port;
  listener.close();
  try {
    server = new Deno.Command("redis-server", {
      args: [
        "--port",
        String(port),
        "--bind",
        "127.0.0.1",
        "--save",
        "",
        "--appendonly",
        "no",
      ],
      stdout: "null",
      stderr: "null",
    }).spawn();
  } catch (error) {
    if (!(error instanceof Deno.errors.NotFound)) throw error;
    console.error("redis-server not found: the Redis rows are skipped");
    return undefined;
  }
  for (let i = 0; i < 500; i++) {
    try {
      (await Deno.connect({ hostname: "127.0.0.1", port })).close();
      url = `redis://127.0.0.1:${port}`;
      return url;
    } catch {
      await new Promise((r) => setTimeout(r, 20));
    }
  }
  throw new Error("redis-server did not start");
}

/** Stops the run's server. */
export async function stopRedis(): Promise<void> {
  if (server === undefined) return;
  server.kill("SIGTERM");
  await server.status;
  server = undefined;
}

/** The runners of each runtime, spawned through compare.ts's `run`. */
export function redisRunners(run: Run): {
  ours: () => Promise<Result | undefined>;
  cpython: () => Promise<Result | undefined>;
  bullmq: () => Promise<Result | undefined>;
} {
  const deno = Deno.execPath();
  const using = (
    f: (u: string) => Promise<Result | undefined>,
  ) =>
  async () => {
    const u = await serverUrl();
    return u === undefined ? undefined : await f(u);
  };
  return {
    ours: using((u) => run(deno, ["run", "-A", "bench/_redis_ours.ts", u])),
    cpython: using((u) => run("python3", ["bench/_redis_py.py", u])),
    bullmq: using((u) => run(deno, ["run", "-A", "bench/_bullmq.ts", u])),
  };
}
