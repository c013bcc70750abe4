// Thread start + join of a thread that does nothing. Warm: a parked worker
// is reused (the baseline), also with shared arguments. A new worker: a bare
// web Worker's boot, module to first message (the baseline), a bare
// node:worker_threads Worker's, and a thread's start + join with the pool
// off, which needs a new worker every time.
import { Worker as NodeWorker } from "node:worker_threads";
import { setThreadPoolSize } from "../mod.ts";
import { startJoin, startJoinShared } from "./_workloads.ts";

startJoin(8); // warm the thread pool

Deno.bench({
  name: "warm (reused worker)",
  group: "thread start + join",
  baseline: true,
}, () => {
  startJoin(1);
});

Deno.bench({
  name: "warm, args: Lock, Event, typed array, Queue",
  group: "thread start + join",
}, () => {
  startJoinShared(1);
});

Deno.bench({
  name: "bare web Worker, module to first message",
  group: "a new worker",
  baseline: true,
  n: 20,
  warmup: 1,
}, async () => {
  const worker = new Worker(
    new URL("./_bare_web_worker.ts", import.meta.url),
    { type: "module" },
  );
  await new Promise((resolve) => worker.onmessage = resolve);
  worker.terminate();
});

Deno.bench({
  name: "bare node:worker_threads Worker, module to first message",
  group: "a new worker",
  n: 20,
  warmup: 1,
}, async () => {
  const worker = new NodeWorker(new URL("./_bare_worker.ts", import.meta.url));
  await new Promise((resolve) => worker.once("message", resolve));
  await worker.terminate();
});

Deno.bench({
  name: "thread start + join, pool off",
  group: "a new worker",
  n: 20,
  warmup: 1,
}, () => {
  setThreadPoolSize(0);
  try {
    startJoin(1);
  } finally {
    setThreadPoolSize(8);
  }
});
