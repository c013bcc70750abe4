// A child program for deadlock_test.ts: `report` (two threads deadlock in
// report mode, then one gives up), `inversion` (two orders, no deadlock) or
// `containers` (two daemon threads deadlock on two containers' locks; main
// prints what findDeadlocks() sees, and exits).
import {
  Event,
  findDeadlocks,
  Lock,
  Queue,
  setDeadlockDetection,
  SharedList,
  SharedMap,
  Thread,
} from "../mod.ts";
import {
  inOrder,
  listThenMap,
  mapThenList,
  takeBoth,
} from "./_deadlock_fixtures.ts";

/** The kind of a primitive's name: "SharedMap" for "SharedMap at x.ts:3". */
const kind = (name: string): string => name.split(" ")[0];

function containers(): void {
  const map = new SharedMap<string, number>([["k", 1]]);
  const list = new SharedList<number>([2]);
  const go = new Event();
  const insides = [new Event(), new Event()];
  const out = new Int32Array(new SharedArrayBuffer(4));
  const messages = new Queue<string>();
  new Thread({
    name: "map-first",
    target: mapThenList,
    args: [map, list, insides[0], go, out, messages],
    daemon: true,
  }).start();
  new Thread({
    name: "list-first",
    target: listThenMap,
    args: [list, map, insides[1], go, out, messages],
    daemon: true,
  }).start();
  for (const e of insides) e.wait();
  go.set();
  const deadline = performance.now() + 10_000;
  while (findDeadlocks().length === 0 && performance.now() < deadline) {
    new Event().wait(5);
  }
  // Stuck for good: the daemon threads end with the process.
  console.log(JSON.stringify(
    findDeadlocks().map((d) =>
      Object.fromEntries(
        d.threads.map((e) => [e.thread.name, {
          holds: e.holds.map(kind),
          waitsFor: kind(e.waitsFor),
        }]),
      )
    ),
  ));
}

if (import.meta.main) {
  const mode = Deno.args[0];
  setDeadlockDetection("report");
  const a = new Lock();
  const b = new Lock();
  if (mode === "containers") {
    containers();
  } else if (mode === "report") {
    const out = new Int32Array(new SharedArrayBuffer(4));
    const took = new Event();
    // The thread takes b, then waits for a (which main holds) for 2 s.
    a.acquire();
    const t = new Thread({ target: takeBoth, args: [b, a, took, 2_000, out] });
    t.start();
    took.wait();
    // Main now waits for b: the cycle is reported, and waiting goes on
    // until the thread gives up and lets b go.
    b.acquire();
    b.release();
    a.release();
    t.join();
    console.log(`thread outcome ${out[0]}`);
  } else {
    inOrder(a, b);
    const t = new Thread({ target: inOrder, args: [b, a] });
    t.start();
    t.join();
    console.log("no deadlock");
  }
}
