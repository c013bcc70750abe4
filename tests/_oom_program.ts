// A child program for the tests of threads that run out of memory: each
// mode lets a thread (or an executor's worker) reach its heap limit, prints
// what the rest of the process sees on stdout, and ends normally.
import {
  findDeadlocks,
  Lock,
  MemoryError,
  setDeadlockDetection,
  setDefaultResourceLimits,
  setExcepthook,
  SharedMap,
  startTrace,
  stopTrace,
  Thread,
  ThreadPoolExecutor,
} from "../mod.ts";

/** Allocates until the heap limit ends the thread. */
export function hog(): number {
  const a: number[][] = [];
  for (;;) a.push(new Array(100_000).fill(a.length + 0.5));
}

export function double(n: number): number {
  return 2 * n;
}

/** Takes `lock`, then runs out of memory holding it. */
export function hogHolding(lock: Lock): void {
  lock.acquire();
  hog();
}

/** Runs out of memory inside `map`'s update(): its mutex stays held. */
export function hogInUpdate(map: SharedMap<string, number>): void {
  map.update("k", () => hog());
}

export function takeWithin(lock: Lock, ms: number, out: Int32Array): void {
  if (lock.acquire({ timeout: ms })) {
    Atomics.store(out, 0, 1);
    lock.release();
  } else {
    Atomics.store(out, 0, 2);
  }
}

/** Starts a thread that runs out of memory, joins it, then says so. */
export function joinHog(out: Int32Array): void {
  const t = new Thread({
    name: "hog",
    target: hog,
    resourceLimits: { maxHeapMb: 64 },
  });
  t.start();
  out[1] = t.join(60_000) ? 1 : 2;
  Atomics.store(out, 0, 1);
}

/** A thread joins the one that dies, while main computes (no wait, no event loop). */
function joinedByThread(): void {
  const out = new Int32Array(new SharedArrayBuffer(8));
  const joiner = new Thread({ name: "joiner", target: joinHog, args: [out] });
  joiner.start();
  const deadline = performance.now() + 60_000;
  while (Atomics.load(out, 0) === 0 && performance.now() < deadline) {
    // Busy: nothing of main's runs meanwhile.
  }
  console.log(`joiner returned ${out[1] === 1}`);
  joiner.join();
}

/** An excepthook that prints on stdout. */
export function printingHook(
  { error, thread }: { error: unknown; thread: Thread | null },
): void {
  console.log(`hook: ${thread?.name} ${describe(error)}`);
}

function describe(error: unknown): string {
  return `${(error as Error).name} ${error instanceof MemoryError}`;
}

/** Starts a thread that runs out of memory, and joins it (or awaits). */
async function thread(limits: boolean, async: boolean): Promise<void> {
  const t = new Thread({
    name: "hog",
    target: hog,
    resourceLimits: limits ? { maxHeapMb: 64 } : undefined,
  });
  t.start();
  const joined = async ? await t.joinAsync(60_000) : t.join(60_000);
  console.log(`joined ${joined} alive ${t.isAlive()}`);
  const after = new Thread({ target: double, args: [1], name: "after" });
  after.start();
  after.join();
  console.log("after joined");
}

function executor(): void {
  using pool = new ThreadPoolExecutor({
    maxWorkers: 1,
    resourceLimits: { maxHeapMb: 64 },
  });
  const failing = pool.submit(hog);
  // Queued behind the task that kills the worker: a new one runs them.
  const queued = [1, 2, 3].map((n) => pool.submit(double, n));
  try {
    failing.result(60_000);
    console.log("no error");
  } catch (error) {
    console.log(`task failed: ${describe(error)}`);
  }
  console.log(`queued: ${queued.map((f) => f.result(60_000))}`);
  console.log(`later: ${pool.submit(double, 21).result(60_000)}`);
}

function executorInitializer(): void {
  using pool = new ThreadPoolExecutor({
    maxWorkers: 1,
    initializer: hog,
    resourceLimits: { maxHeapMb: 64 },
  });
  for (const when of ["queued", "later"]) {
    try {
      pool.submit(double, 1).result(60_000);
      console.log(`${when}: no error`);
    } catch (error) {
      console.log(`${when}: ${(error as Error).name}`);
    }
  }
}

async function lock(): Promise<void> {
  setDeadlockDetection("report");
  const lock = new Lock();
  const t = new Thread({
    name: "hog",
    target: hogHolding,
    args: [lock],
    resourceLimits: { maxHeapMb: 64 },
  });
  t.start();
  t.join(60_000);
  console.log(`locked ${lock.locked()}`);
  const out = new Int32Array(new SharedArrayBuffer(4));
  const waiter = new Thread({
    name: "waiter",
    target: takeWithin,
    args: [lock, 60_000, out],
  });
  waiter.start();
  const deadline = performance.now() + 10_000;
  while (findDeadlocks().length === 0 && performance.now() < deadline) {
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
  console.log(JSON.stringify(
    findDeadlocks().map((d) => ({
      threads: d.threads.map((e) => e.thread.name),
      deadOwner: d.deadOwner?.name,
      deadIdent: d.deadOwner?.ident === t.ident,
    })),
  ));
  lock.release();
  waiter.join();
  console.log(`waiter took it ${out[0] === 1}`);
}

function container(): void {
  const map = new SharedMap<string, number>([["k", 1]]);
  const t = new Thread({
    name: "hog",
    target: hogInUpdate,
    args: [map],
    resourceLimits: { maxHeapMb: 64 },
  });
  t.start();
  t.join(60_000);
  try {
    map.get("k");
    console.log("no error");
  } catch (error) {
    console.log(`${(error as Error).name}: ${(error as Error).message}`);
  }
}

if (import.meta.main) {
  switch (Deno.args[0]) {
    case "thread":
      await thread(true, false);
      break;
    case "thread-async":
      await thread(true, true);
      break;
    case "default":
      // The default limit: main's own (see --v8-flags in the test).
      await thread(false, false);
      break;
    case "set-default":
      setDefaultResourceLimits({ maxHeapMb: 64 });
      await thread(false, false);
      break;
    case "hook":
      setExcepthook(printingHook);
      await thread(true, false);
      break;
    case "trace": {
      startTrace();
      const t = new Thread({
        name: "hog",
        target: hog,
        resourceLimits: { maxHeapMb: 64 },
      });
      t.start();
      t.join(60_000);
      const { traceEvents } = stopTrace();
      const named = traceEvents.filter((e) => e.name === "thread_name");
      console.log(JSON.stringify(named.map((e) => e.args!.name).sort()));
      const life = traceEvents.find((e) =>
        e.cat === "thread" && e.tid === t.ident
      );
      console.log(`life ${life?.name} ${life!.ts > 0}`);
      break;
    }
    case "unjoined":
      // Nobody joins it: the process waits for it, as for any thread.
      new Thread({
        name: "hog",
        target: hog,
        resourceLimits: { maxHeapMb: 64 },
      }).start();
      break;
    case "joined-by-thread":
      joinedByThread();
      break;
    case "executor":
      executor();
      break;
    case "executor-initializer":
      executorInitializer();
      break;
    case "lock":
      await lock();
      break;
    case "container":
      container();
      break;
  }
  console.log("main done");
}
