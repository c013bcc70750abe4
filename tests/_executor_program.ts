// Programs run as subprocesses by executor_test.ts: how an executor lives and
// dies with the process. `deno run -A _executor_program.ts MODE`.
import {
  BrokenExecutor,
  BrokenThreadPool,
  currentThread,
  Event,
  getIdent,
  sleep,
  ThreadPoolExecutor,
} from "../mod.ts";

/** Waits for `go` (set as the main program's last statement), then prints. */
export function printAfter(go: Event, label: string): void {
  if (!go.wait(10_000)) throw new Error("go never came");
  sleep(20);
  console.log(label);
}

export function sleepAndPrint(ms: number, label: string): void {
  sleep(ms);
  console.log(label);
}

export function holdThenPrint(started: Event, go: Event, label: string): void {
  started.set();
  if (!go.wait(10_000)) throw new Error("go never came");
  console.log(label);
}

export function initFail(): never {
  throw new Error("error in initializer");
}

export async function initFailAsync(): Promise<never> {
  await new Promise((r) => setTimeout(r, 1));
  throw new Error("async error in initializer");
}

export function noop(): void {}

export function identAndName(): [number, string] {
  return [getIdent(), currentThread().name];
}

function describe(error: unknown): string {
  const e = error as Error;
  return `${e.name} ${e instanceof BrokenThreadPool} ${
    e instanceof BrokenExecutor
  }`;
}

if (import.meta.main) {
  const mode = Deno.args[0];
  if (mode === "exit-runs-tasks" || mode === "exit-error") {
    // Five tasks on two workers, all still pending when the main program ends.
    const executor = new ThreadPoolExecutor({ maxWorkers: 2 });
    const go = new Event();
    const futures = [1, 2, 3, 4, 5].map((i) =>
      executor.submit(printAfter, go, `task ${i}`)
    );
    console.log(`pending ${futures.filter((f) => !f.done()).length}`);
    go.set();
    if (mode === "exit-error") throw new Error("main failed");
  } else if (mode === "exit-cancel") {
    // shutdown({ wait: false, cancelFutures: true }): the queued tasks never
    // run, the running one finishes.
    const executor = new ThreadPoolExecutor({ maxWorkers: 1 });
    const started = new Event();
    const go = new Event();
    executor.submit(holdThenPrint, started, go, "first");
    const queued = [2, 3, 4].map((i) =>
      executor.submit(sleepAndPrint, 0, `queued ${i}`)
    );
    started.wait(10_000);
    executor.shutdown({ wait: false, cancelFutures: true });
    console.log(`cancelled ${queued.filter((f) => f.cancelled()).length}`);
    go.set();
  } else if (mode === "exit-no-wait") {
    // Python's test_hang_gh83386: shutdown(wait=False) with a running task.
    const executor = new ThreadPoolExecutor({ maxWorkers: 3 });
    const go = new Event();
    executor.submit(printAfter, go, "apple");
    executor.shutdown({ wait: false });
    console.log("main done");
    go.set();
  } else if (mode === "broken-init" || mode === "broken-init-async") {
    const executor = new ThreadPoolExecutor({
      maxWorkers: 2,
      initializer: mode === "broken-init" ? initFail : initFailAsync,
    });
    let future;
    try {
      future = executor.submit(noop);
    } catch (error) {
      console.log(`submit threw early: ${describe(error)}`);
    }
    if (future !== undefined) {
      try {
        future.result(10_000);
        console.log("future: no error");
      } catch (error) {
        console.log(`future: ${describe(error)}`);
      }
    }
    try {
      executor.submit(noop);
      console.log("later submit: accepted");
    } catch (error) {
      console.log(`later submit: ${describe(error)}`);
    }
    executor.shutdown();
    console.log("shut down");
  } else {
    throw new Error(`unknown mode ${mode}`);
  }
}
