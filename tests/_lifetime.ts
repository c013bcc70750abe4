// Programs run as subprocesses by lifetime_test.ts: each mode checks how the
// process lives and dies with its threads.
import { currentThread, Event, sleep, Thread } from "../mod.ts";

const g = globalThis as { lifetimeLoads?: number; mainBlockRan?: boolean };
g.lifetimeLoads = (g.lifetimeLoads ?? 0) + 1;

export function slowWorker(label: string): void {
  sleep(200);
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
      new Thread({ target: slowWorker, args: ["daemon"], daemon: true })
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
    case "blocked": {
      const t = new Thread({ target: parent });
      t.start();
      t.join();
      break;
    }
  }
  console.log("main done");
}
