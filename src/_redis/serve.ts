// serve(): a process's side of an Executor. It starts `maxWorkers` threads
// of this library; each imports the worker's `modules` (the only code a task
// may run), then takes tasks one at a time (src/_redis/io_executor.ts keeps
// the task's lease alive while the process lives), runs the function the
// task names if one of those modules exports it, and publishes the outcome.
// A task is never a reason to import anything.
import type { RedisConnection } from "./connection.ts";
import { rememberNamespace } from "../_locate/modules.ts";
import { describeClass } from "../_locate/locate.ts";
import { Queue } from "../queue.ts";
import { Thread } from "../thread.ts";
import {
  checkInteger,
  checkOptions,
  describeValue,
} from "../_core/validate.ts";
import { callerModules } from "../_core/call_sites.ts";
import { ownerOfObject, send, sendAsync } from "./base.ts";
import { fromRedis, toRedis } from "./codec.ts";
import { ConnectionError } from "./errors.ts";
import { RedisExecutor, sourceHash, type Task } from "./executor.ts";
import { RETURNED, THREW } from "./io_executor.ts";

/** Options of `serve()`. */
export interface ServeOptions {
  /**
   * How many tasks run at once: one thread each.
   *
   * @default {Math.min(32, navigator.hardwareConcurrency + 4)}
   */
  maxWorkers?: number;
  /**
   * The modules whose exported functions tasks may run (URLs, or paths
   * relative to the calling module). Nothing else is ever run or imported.
   */
  modules: (string | URL)[];
}

/** What `serve()` resolves to. */
export interface ServeHandle {
  /** Stops taking tasks, lets the running ones finish, ends the threads. */
  stop(): Promise<void>;
  /** `await using worker = await redis.serve(...)`: stops at the end. */
  [Symbol.asyncDispose](): Promise<void>;
}

interface Exported {
  fn: (...args: unknown[]) => unknown;
  url: string;
}

/** Imports the worker's modules; returns their exported functions by name. */
async function load(modules: string[]): Promise<Map<string, Exported[]>> {
  const byName = new Map<string, Exported[]>();
  for (const url of modules) {
    const ns = await import(url) as Record<string, unknown>;
    // Known to the locator: a result's class is found in its module.
    rememberNamespace(url, ns);
    for (const [name, value] of Object.entries(ns)) {
      if (typeof value !== "function") continue;
      // Its instances may arrive in arguments: this thread knows the class.
      if (value.prototype !== undefined) {
        describeClass(value as unknown as abstract new () => unknown, [url]);
      }
      let list = byName.get(name);
      if (list === undefined) byName.set(name, list = []);
      list.push({ fn: value as Exported["fn"], url });
    }
  }
  return byName;
}

/** The function a task names, among the worker's modules only. */
function find(
  task: Task,
  exported: Map<string, Exported[]>,
  modules: string[],
): Exported["fn"] {
  const found = exported.get(task.name) ?? [];
  if (found.length === 0) {
    throw new TypeError(
      `Cannot run task "${task.name}": no module in this worker's modules ` +
        `exports a function of that name (modules: ${modules.join(", ")}; ` +
        `the task was submitted from ${
          task.modules.join(", ") || "an unknown module"
        }). A worker runs only functions exported by the modules it serves: ` +
        `add the function's module to serve()'s modules.`,
    );
  }
  return (found.find((e) => task.modules.includes(e.url)) ??
    found.find((e) => sourceHash(e.fn) === task.source) ?? found[0]).fn;
}

function outcome(kind: number, value: unknown): Uint8Array {
  let bytes: Uint8Array;
  try {
    bytes = toRedis(value, kind === RETURNED ? "result" : "error");
  } catch (error) {
    kind = THREW;
    bytes = toRedis(error, "error");
  }
  const out = new Uint8Array(bytes.length + 1);
  out[0] = kind;
  out.set(bytes, 1);
  return out;
}

async function runOne(
  owner: RedisConnection,
  bytes: Uint8Array,
  exported: Map<string, Exported[]>,
  modules: string[],
): Promise<{ outcome: Uint8Array; resultTtl: number }> {
  let resultTtl = 3_600_000;
  try {
    const task = fromRedis(bytes, "a task", owner) as Task;
    resultTtl = task.resultTtl;
    const fn = find(task, exported, modules);
    const args = fromRedis(
      task.args,
      "the task's arguments",
      owner,
    ) as unknown[];
    const value = await fn(...args);
    return { outcome: outcome(RETURNED, value), resultTtl };
  } catch (error) {
    return { outcome: outcome(THREW, error), resultTtl };
  }
}

/**
 * A worker thread of serve(): loads the modules, says it is ready (null)
 * or why not, then runs tasks until its serve() is stopped. Each step
 * reports the task it ran and takes the next in one request (one round
 * trip), blocking this thread while it waits (its event loop has nothing
 * else to do).
 */
export async function runTasks(
  executor: RedisExecutor,
  serveId: string,
  modules: string[],
  reports: Queue<string | null>,
): Promise<void> {
  let exported: Map<string, Exported[]>;
  try {
    exported = await load(modules);
  } catch (error) {
    reports.put(error instanceof Error ? error.message : String(error));
    return;
  }
  reports.put(null);
  const owner = ownerOfObject(executor);
  let finished: [string, Uint8Array, number] | undefined;
  for (;;) {
    let got: [string, Uint8Array] | null;
    try {
      got = send(executor, "exec.next", { serve: serveId, finished }) as
        | [string, Uint8Array]
        | null;
    } catch (error) {
      if (owner.closed || !(error instanceof ConnectionError)) throw error;
      // Redis is away (the call retried for connectTimeout): a task not
      // reported runs again elsewhere once its lease lapses. Try again.
      finished = undefined;
      continue;
    }
    finished = undefined;
    if (got === null) return;
    const done = await runOne(owner, got[1], exported, modules);
    finished = [got[0], done.outcome, done.resultTtl];
  }
}

function checkModules(modules: unknown): string[] {
  if (!Array.isArray(modules) || modules.length === 0) {
    throw new TypeError(
      `Cannot serve: modules must be a non-empty array of module URLs, ` +
        `received ${describeValue(modules)}`,
    );
  }
  const base = callerModules()[0] ?? `file://${Deno.cwd()}/`;
  return modules.map((m) => {
    if (typeof m !== "string" && !(m instanceof URL)) {
      throw new TypeError(
        `Cannot serve: a module must be a string or URL, received ${
          describeValue(m)
        }`,
      );
    }
    return new URL(m, base).href;
  });
}

/**
 * Serves the Executor `name` from this process (see the connection's
 * `serve()`).
 */
export async function serve(
  owner: RedisConnection,
  name: string,
  options: ServeOptions,
): Promise<ServeHandle> {
  checkOptions(options);
  if (options === undefined) {
    throw new TypeError("Cannot serve: options with modules are required");
  }
  const modules = checkModules(options.modules);
  const maxWorkers = checkInteger(
    options.maxWorkers ??
      Math.min(32, (navigator.hardwareConcurrency || 1) + 4),
    "maxWorkers",
    1,
    1024,
  );
  const executor = new RedisExecutor(owner, name);
  const serveId = crypto.randomUUID();
  const reports = new Queue<string | null>();
  const threads: Thread[] = [];
  for (let i = 0; i < maxWorkers; i++) {
    const thread = new Thread({
      target: runTasks,
      module: new URL("./serve.ts", import.meta.url),
      args: [executor, serveId, modules, reports],
      name: `RedisWorker-${name}_${i}`,
      daemon: false,
    });
    thread.start();
    threads.push(thread);
  }
  const stopAll = async (): Promise<void> => {
    if (!owner.closed) {
      await sendAsync(executor, "exec.stop", { serve: serveId });
    }
    for (const t of threads) await t.joinAsync();
  };
  for (let i = 0; i < maxWorkers; i++) {
    const failure = await reports.getAsync();
    if (failure !== null) {
      await stopAll();
      throw new TypeError(`Cannot serve ${name}: ${failure}`);
    }
  }
  return { stop: stopAll, [Symbol.asyncDispose]: stopAll };
}
