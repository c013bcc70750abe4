// The bench:compare workloads in @weft/threading; prints one JSON object.
//
// Usage: deno run -A bench/_ours.ts GROUP [ROW_KEY...]
// Runs the rows of one group (all of them, or the keys given) in this fresh
// process. Rows that are fast are the median of several samples taken here.
import {
  Event,
  setThreadPoolSize,
  Thread,
  type ThreadPoolExecutor,
} from "../mod.ts";
import {
  conditionPingPong,
  counter,
  eventPingPong,
  executorGather,
  executorMap,
  executorPrimes,
  executorRoundTrip,
  firstStarts,
  lockConstruct,
  lockHoldCallback,
  lockHoldUsing,
  lockUncontended,
  nestedStarts,
  pipeline,
  queuePutGet,
  queueRssMb,
  rlockUncontended,
  semaphore,
  server,
  sharedListPushPop,
  sharedMapSetGet,
  sharedMapUpdates,
  startJoin,
  startJoinEach,
  startJoinShared,
  timerLateness,
  warmExecutor,
} from "./_workloads.ts";
import { busy, idle } from "./_targets.ts";
import { median, rssKib, sampled } from "./_stats.ts";

type Measure = () => number | Promise<number>;

interface Group {
  /** Runs before the group's first row (warm-up). */
  setup?: () => void;
  rows: Record<string, Measure>;
}

/** Computes `fn` once, on first use: rows that come out of one measurement. */
function once<T>(fn: () => T): () => T {
  let done = false;
  let value: T;
  return () => {
    if (!done) {
      value = fn();
      done = true;
    }
    return value;
  };
}

/** RSS added per live thread waiting on an Event, with `n` of them. */
function idleThreadKib(n: number): number {
  const before = rssKib();
  return (liveBatch(n) - before) / n;
}

/** Starts `n` threads that wait on an Event; returns RSS with all of them up, then ends them. */
function liveBatch(n: number): number {
  const release = new Event();
  const threads = Array.from(
    { length: n },
    () => new Thread({ target: idle, args: [release] }),
  );
  for (const t of threads) t.start();
  const up = rssKib();
  release.set();
  for (const t of threads) t.join();
  return up;
}

const delay = (ms: number): Promise<void> =>
  new Promise((resolve) => setTimeout(resolve, ms));

/**
 * `batches` batches of `size` threads alive at once, each batch joined
 * before the next (threads beyond the pool's 8): what RSS rose by at the
 * peak, and the share of that rise still held after the last join (the
 * lowest RSS seen over the next second, the event loop free).
 */
async function churn(
  batches: number,
  size: number,
): Promise<{ rise: number; kept: number }> {
  liveBatch(8); // fills the pool: parked workers are not what this measures
  await delay(200);
  const before = rssKib();
  let peak = before;
  for (let b = 0; b < batches; b++) peak = Math.max(peak, liveBatch(size));
  let low = rssKib();
  for (let i = 0; i < 10; i++) {
    await delay(100);
    low = Math.min(low, rssKib());
  }
  return { rise: peak - before, kept: (low - before) / (peak - before) };
}

/**
 * µs per top-level `new Lock()` in a module generated with `n` of them, each
 * a distinct construction site, timed from inside that module.
 */
async function topLevelSites(n: number): Promise<number> {
  const lib = new URL("../mod.ts", import.meta.url).href;
  const lines = [
    `import { Lock } from ${JSON.stringify(lib)};`,
    "const begin = performance.now();",
    ...Array.from({ length: n }, (_, i) => `export const l${i} = new Lock();`),
    "export const ms = performance.now() - begin;",
  ];
  const file = await Deno.makeTempFile({
    prefix: "weft_sites_",
    suffix: ".js",
  });
  try {
    await Deno.writeTextFile(file, lines.join("\n") + "\n");
    const module = await import(new URL(`file://${file}`).href);
    return module.ms * 1000 / n;
  } finally {
    await Deno.remove(file);
  }
}

/** Runs `fn` while `extra` threads keep every core busy: threads outnumber cores. */
function crowded<T>(extra: number, fn: () => T): T {
  const stop = new Int32Array(new SharedArrayBuffer(4));
  const threads = Array.from(
    { length: extra },
    () => new Thread({ target: busy, args: [stop] }),
  );
  for (const t of threads) t.start();
  try {
    return fn();
  } finally {
    Atomics.store(stop, 0, 1);
    for (const t of threads) t.join();
  }
}

const SMALL = { id: 1, name: "alice", tags: [1, 2, 3] };
const cores = navigator.hardwareConcurrency;
const ns = (seconds: number, n: number): number => seconds / n * 1e9;

const firsts = once(firstStarts);
const mapTimes = once(() =>
  Array.from({ length: 5 }, () => sharedMapSetGet(100_000))
);
let pool: ThreadPoolExecutor | undefined;
const executor = (): ThreadPoolExecutor => pool ??= warmExecutor(4);
const churned = once(() => churn(6, 50));

const GROUPS: Record<string, Group> = {
  locks: {
    setup: () => startJoin(50),
    rows: {
      lock_ns: () =>
        sampled(5, () => ns(lockUncontended(2_000_000), 2_000_000)),
      rlock_ns: () =>
        sampled(5, () => ns(rlockUncontended(1_000_000), 1_000_000)),
      lock_with_ns: () => sampled(5, () => ns(lockHoldUsing(500_000), 500_000)),
      lock_hold_fn_ns: () =>
        sampled(5, () => ns(lockHoldCallback(2_000_000), 2_000_000)),
      counter_1: () => sampled(3, () => 400_000 / counter(1, 400_000)),
      counter_2: () => sampled(3, () => 400_000 / counter(2, 400_000)),
      counter_4: () => sampled(3, () => 400_000 / counter(4, 400_000)),
      semaphore_4: () => sampled(3, () => 200_000 / semaphore(4, 200_000)),
    },
  },
  handoff: {
    setup: () => startJoin(50),
    rows: {
      event_pingpong: () => sampled(3, () => 20_000 / eventPingPong(20_000)),
      condition_pingpong: () =>
        sampled(3, () => 20_000 / conditionPingPong(20_000)),
      event_pingpong_parked: () =>
        crowded(cores, () => sampled(3, () => 2_000 / eventPingPong(2_000))),
      condition_pingpong_parked: () =>
        crowded(
          cores,
          () => sampled(3, () => 2_000 / conditionPingPong(2_000)),
        ),
    },
  },
  threads: {
    setup: () => startJoin(50),
    rows: {
      start_join_us: () => sampled(3, () => startJoin(1_000) / 1_000 * 1e6),
      start_join_shared_us: () =>
        sampled(3, () => startJoinShared(1_000) / 1_000 * 1e6),
      nested_start_us: () => median(nestedStarts(500))! * 1000,
      server_ms: () => sampled(3, () => server(20)),
      timer_late_ms: () => timerLateness(20, 10),
    },
  },
  "first-start": {
    rows: {
      first_start_ms: () => firsts().main,
      nested_first_start_ms: () => firsts().nested,
    },
  },
  cold: {
    // No parked workers and no spares from the start: every start() needs a
    // new worker, which only main creates (also for a thread's start(),
    // while main waits in join()).
    setup: () => setThreadPoolSize(0),
    rows: {
      first_start_nopool_ms: () => firsts().main,
      nested_first_start_nopool_ms: () => firsts().nested,
      start_join_cold_ms: () => {
        firsts(); // not the program's first start()
        return median(startJoinEach(10))!;
      },
      nested_start_cold_ms: () => {
        firsts();
        return median(nestedStarts(10))!;
      },
    },
  },
  queues: {
    setup: () => {
      startJoin(50);
      // V8 compiles the queue's put and get paths first (CPython has no JIT).
      queuePutGet(20_000, 42);
      queuePutGet(20_000, SMALL);
    },
    rows: {
      queue_int_ns: () => sampled(5, () => ns(queuePutGet(100_000, 42), 1e5)),
      queue_obj_ns: () => sampled(5, () => ns(queuePutGet(50_000, SMALL), 5e4)),
      pipe_int: () =>
        sampled(3, () => 200_000 / pipeline(1, 1, 0, 200_000, false)),
      pipe_int_64: () =>
        sampled(3, () => 200_000 / pipeline(1, 1, 64, 200_000, false)),
      pipe_obj_64: () =>
        sampled(3, () => 200_000 / pipeline(1, 1, 64, 200_000, true)),
      pipe_4x4_64: () =>
        sampled(3, () => 200_000 / pipeline(4, 4, 64, 200_000, false)),
    },
  },
  containers: {
    setup: () => {
      startJoin(50);
      sharedMapSetGet(20_000);
    },
    rows: {
      map_set_ns: () => median(mapTimes().map((t) => ns(t.set, 100_000)))!,
      map_get_ns: () => median(mapTimes().map((t) => ns(t.get, 100_000)))!,
      list_push_pop_ns: () =>
        sampled(5, () => ns(sharedListPushPop(100_000), 200_000)),
      map_updates_4: () =>
        sampled(3, () => 100_000 / sharedMapUpdates(4, 25_000)),
    },
  },
  construct: {
    // In this order, in a fresh process: main has started no thread until
    // the last row, so its module-level window is open for the others.
    rows: {
      lock_construct_early_ns: () =>
        new Promise((resolve) =>
          setTimeout(() =>
            resolve(sampled(5, () => ns(lockConstruct(1_000), 1_000)))
          )
        ),
      lock_construct_first_ns: () =>
        sampled(5, () => ns(lockConstruct(1_000), 1_000)),
      lock_construct_sites_us: () => topLevelSites(2_000),
      lock_construct_ns: () => {
        startJoin(1);
        return sampled(5, () => ns(lockConstruct(20_000), 20_000));
      },
    },
  },
  "queue-memory": {
    rows: { queue_rss_mb: () => queueRssMb(1_000_000) },
  },
  memory: {
    // Alone in a fresh process: freed memory would hide what threads cost.
    rows: { idle_thread_kib: () => idleThreadKib(100) },
  },
  churn: {
    rows: {
      churn_rise_mb: async () => (await churned()).rise / 1024,
      churn_rss_kept_pct: async () => (await churned()).kept * 100,
    },
  },
  executor: {
    // Its own process: the executor's threads stay alive until it ends.
    rows: {
      executor_round_trip_us: () =>
        sampled(3, () => executorRoundTrip(executor(), 2_000) / 2_000 * 1e6),
      executor_gather: () =>
        sampled(3, () => 200_000 / executorGather(executor(), 200_000)),
      executor_map: () =>
        sampled(3, () => 200_000 / executorMap(executor(), 200_000)),
      executor_primes_speedup: () => {
        pool?.shutdown();
        pool = undefined;
        const one = executorPrimes(1, 2_000_000, 32);
        const two = executorPrimes(2, 2_000_000, 32);
        return one / two;
      },
    },
  },
};

if (import.meta.main) {
  const [name, ...keys] = Deno.args;
  const group = GROUPS[name];
  if (group === undefined) {
    throw new TypeError(`Cannot run group: received ${name}`);
  }
  group.setup?.();
  const out: Record<string, number | string> = {
    runtime:
      `@weft/threading on Deno ${Deno.version.deno} (V8 ${Deno.version.v8})`,
  };
  for (const [key, measure] of Object.entries(group.rows)) {
    if (keys.length === 0 || keys.includes(key)) out[key] = await measure();
  }
  pool?.shutdown();
  // bench:compare takes the time from here to this process's exit.
  if (name === "churn") out.end_epoch_ms = Date.now();
  console.log(JSON.stringify(out));
}
