// Programs run as subprocesses by lifetime_test.ts: each mode checks how the
// process lives and dies with its threads.
import process from "node:process";
import {
  currentThread,
  enumerate,
  Event,
  setThreadPoolSize,
  sleep,
  Thread,
} from "../mod.ts";

const g = globalThis as { lifetimeLoads?: number; mainBlockRan?: boolean };
g.lifetimeLoads = (g.lifetimeLoads ?? 0) + 1;

export function slowWorker(label: string): void {
  sleep(200);
  console.log(`${label} done`);
}

/** Prints long after an exit that does not wait for it (a daemon's). */
export function lateWorker(label: string): void {
  new Event().wait(20_000);
  console.log(`${label} done`);
}

export function forever(): void {
  new Event().wait();
}

export function busy(): void {
  for (;;) { /* spin */ }
}

export function parent(): void {
  new Thread({ target: slowWorker, args: ["grandchild"] }).start();
  console.log("parent done");
}

export function daemonParent(): void {
  new Thread({ target: slowWorker, args: ["non-daemon child"], daemon: false })
    .start();
}

export function kaboom(): void {
  throw new Error("kaboom");
}

/** Ends its thread the way `how` says, before printing anything. */
export function exitEarly(how: string): void {
  if (how === "deno") Deno.exit(3);
  if (how === "process") process.exit(4);
  if (how === "close") (globalThis as unknown as { close(): void }).close();
  if (how === "self-close") self.close();
  console.log("not reached");
}

/** Starts and joins a thread that exits its worker, `times` times. */
function exits(how: string, times: number): void {
  for (let i = 0; i < times; i++) {
    const t = new Thread({ target: exitEarly, args: [how], name: `exit-${i}` });
    t.start();
    console.log(
      `joined ${t.join(10_000)} alive ${t.isAlive()} listed ${
        enumerate().includes(t)
      }`,
    );
  }
}

export function report(): void {
  console.log(
    `loads=${g.lifetimeLoads} mainBlock=${g.mainBlockRan === true} ` +
      `name=${currentThread().name}`,
  );
}

if (import.meta.main) {
  g.mainBlockRan = true;
  switch (Deno.args[0]) {
    case "non-daemon":
      new Thread({ target: slowWorker, args: ["worker"] }).start();
      break;
    case "daemon":
      new Thread({ target: forever, daemon: true }).start();
      new Thread({ target: busy, daemon: true }).start();
      new Thread({ target: lateWorker, args: ["daemon"], daemon: true })
        .start();
      break;
    case "nested":
      new Thread({ target: parent }).start();
      break;
    case "error": {
      const t = new Thread({ target: kaboom, name: "boom-thread" });
      t.start();
      t.join();
      new Thread({ target: slowWorker, args: ["after"] }).start();
      break;
    }
    case "module":
      new Thread({ target: report, name: "reporter" }).start();
      break;
    case "exit-deno":
    case "exit-process":
    case "exit-close":
    case "exit-self-close":
      // On a reused worker, then on one that is not.
      exits(Deno.args[0].slice(5), 3);
      setThreadPoolSize(0);
      exits(Deno.args[0].slice(5), 2);
      break;
    case "main-error":
      new Thread({ target: slowWorker, args: ["worker"] }).start();
      throw new Error("boom in main");
    case "main-rejection":
      new Thread({ target: slowWorker, args: ["worker"] }).start();
      await Promise.reject(new Error("rejected in main"));
      break;
    case "main-error-alone":
      throw new Error("boom with no thread");
    case "blocked": {
      const t = new Thread({ target: parent });
      t.start();
      t.join();
      break;
    }
  }
  console.log("main done");
}
