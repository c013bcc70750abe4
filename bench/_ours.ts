// The bench:compare workloads in @weft/threading; prints one JSON object.
import { Event, setThreadPoolSize, Thread } from "../mod.ts";
import {
  conditionPingPong,
  counter,
  eventPingPong,
  executorGather,
  executorMap,
  executorPrimes,
  executorRoundTrip,
  lockConstruct,
  lockHoldCallback,
  lockHoldUsing,
  lockUncontended,
  nestedStart,
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
  startJoinShared,
  timerLateness,
  warmExecutor,
} from "./_workloads.ts";
import { busy, idle } from "./_targets.ts";
import { Worker } from "node:worker_threads";

function rssKib(): number {
  return Deno.memoryUsage().rss / 1024;
}

/** RSS added per live thread waiting on an Event, with `n` of them. */
function idleThreadKib(n: number): number {
  const release = new Event();
  const before = rssKib();
  const threads = Array.from(
    { length: n },
    () => new Thread({ target: idle, args: [release] }),
  );
  for (const t of threads) t.start();
  const after = rssKib();
  release.set();
  for (const t of threads) t.join();
  return (after - before) / n;
}

/** RSS added per bare Deno (node:worker_threads) Worker blocked in Atomics.wait. */
function bareWorkerKib(n: number): number {
  const flag = new Int32Array(new SharedArrayBuffer(8));
  const url = new URL("./_bare_worker.ts", import.meta.url);
  const before = rssKib();
  const workers = Array.from(
    { length: n },
    () => new Worker(url, { workerData: flag }),
  );
  for (let v = Atomics.load(flag, 1); v < n; v = Atomics.load(flag, 1)) {
    Atomics.wait(flag, 1, v);
  }
  const after = rssKib();
  Atomics.store(flag, 0, 1);
  Atomics.notify(flag, 0);
  for (const w of workers) w.unref();
  return (after - before) / n;
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

if (import.meta.main && Deno.args[0] === "memory") {
  // Alone in a fresh process: freed memory would hide what threads cost.
  console.log(JSON.stringify({ idle_thread_kib: idleThreadKib(100) }));
} else if (import.meta.main && Deno.args[0] === "queue-memory") {
  console.log(JSON.stringify({ queue_rss_mb: queueRssMb(1_000_000) }));
} else if (import.meta.main && Deno.args[0] === "executor") {
  // Its own process: the executor's threads stay alive until it ends.
  const executor = warmExecutor(4);
  const out = {
    executor_round_trip_us: executorRoundTrip(executor, 5_000) / 5_000 * 1e6,
    executor_gather: 200_000 / executorGather(executor, 200_000),
    executor_map: 200_000 / executorMap(executor, 200_000),
  };
  executor.shutdown();
  const one = executorPrimes(1, 2_000_000, 32);
  const two = executorPrimes(2, 2_000_000, 32);
  console.log(JSON.stringify({ ...out, executor_primes_speedup: one / two }));
} else if (import.meta.main && Deno.args[0] === "construct-first") {
  // Before the main thread's first start() (see _module_level.ts).
  console.log(JSON.stringify({
    lock_construct_first_ns: lockConstruct(5_000) / 5_000 * 1e9,
  }));
} else if (import.meta.main && Deno.args[0] === "bare") {
  console.log(JSON.stringify({ bare_worker_kib: bareWorkerKib(100) }));
  Deno.exit(0);
} else if (import.meta.main) {
  startJoin(50); // warm the pool
  // V8 compiles the queue's put and get paths first (CPython has no JIT).
  queuePutGet(20_000, 42);
  queuePutGet(20_000, SMALL);
  const cores = navigator.hardwareConcurrency;
  const out: Record<string, number | string> = {
    runtime: `Deno ${Deno.version.deno}`,
    lock_ns: lockUncontended(10_000_000) / 10_000_000 * 1e9,
    rlock_ns: rlockUncontended(5_000_000) / 5_000_000 * 1e9,
    lock_with_ns: lockHoldUsing(2_000_000) / 2_000_000 * 1e9,
    lock_hold_fn_ns: lockHoldCallback(10_000_000) / 10_000_000 * 1e9,
    counter_1: 400_000 / counter(1, 400_000),
    counter_2: 400_000 / counter(2, 400_000),
    counter_4: 400_000 / counter(4, 400_000),
    semaphore_4: 200_000 / semaphore(4, 200_000),
    event_pingpong: 20_000 / eventPingPong(20_000),
    condition_pingpong: 20_000 / conditionPingPong(20_000),
    // Fewer rounds with busy threads: CPython manages only tens per second.
    event_pingpong_parked: crowded(cores, () => 2_000 / eventPingPong(2_000)),
    condition_pingpong_parked: crowded(
      cores,
      () => 2_000 / conditionPingPong(2_000),
    ),
    start_join_us: startJoin(2_000) / 2_000 * 1e6,
    start_join_shared_us: startJoinShared(2_000) / 2_000 * 1e6,
    nested_start_us: nestedStart(500, false) * 1000,
    server_ms: server(20),
    timer_late_ms: timerLateness(20, 10),
    queue_int_ns: queuePutGet(200_000, 42) / 200_000 * 1e9,
    queue_obj_ns: queuePutGet(100_000, SMALL) / 100_000 * 1e9,
    pipe_int: 200_000 / pipeline(1, 1, 0, 200_000, false),
    pipe_int_64: 200_000 / pipeline(1, 1, 64, 200_000, false),
    pipe_obj_64: 200_000 / pipeline(1, 1, 64, 200_000, true),
    pipe_4x4_64: 200_000 / pipeline(4, 4, 64, 200_000, false),
    lock_construct_ns: lockConstruct(200_000) / 200_000 * 1e9,
    list_push_pop_ns: sharedListPushPop(200_000) / 400_000 * 1e9,
    map_updates_4: 100_000 / sharedMapUpdates(4, 25_000),
  };
  sharedMapSetGet(20_000);
  const map = sharedMapSetGet(200_000);
  out.map_set_ns = map.set / 200_000 * 1e9;
  out.map_get_ns = map.get / 200_000 * 1e9;
  // Without parked workers: every start creates one (main does, also for a
  // thread started by a thread, while main waits in join()).
  setThreadPoolSize(0);
  out.start_join_cold_us = startJoin(20) / 20 * 1e6;
  out.nested_start_cold_us = nestedStart(10, true) * 1000;
  setThreadPoolSize(8);
  console.log(JSON.stringify(out));
}
