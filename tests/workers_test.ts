import assert from "node:assert/strict";
import { setThreadPoolSize, sleep, Thread } from "../mod.ts";
import { cells, test } from "./_helpers.ts";
import {
  CountingLocal,
  freshness,
  noop,
  recordWorkerToken,
  SharedText,
  startAndJoinChild,
} from "./_fixtures.ts";

test("a reused worker runs every thread fresh: its own ident, name, ThreadLocals and no old timers", () => {
  const local = new CountingLocal(1, "t");
  const seen = new Set<number>();
  for (let i = 0; i < 5; i++) {
    const out = cells(4);
    const text = new SharedText();
    const t = new Thread({
      target: freshness,
      args: [out, local, text],
      name: `fresh-${i}`,
    });
    t.start();
    t.join();
    sleep(5); // a timer left by this thread would tick meanwhile if it survived
    assert.equal(out[0], t.ident);
    assert.equal(text.read(), `fresh-${i}`);
    assert.equal(out[1], 0, "no attribute of an earlier thread");
    assert.equal(
      out[2],
      1,
      "the subclass constructor ran once for this thread",
    );
    assert.equal(out[3], 0, "no timer of an earlier thread ran");
    seen.add(out[0]);
  }
  assert.equal(seen.size, 5);
  assert.equal("mark" in local, false, "main's local is untouched");
});

test("setThreadPoolSize() bounds the parked workers; 0 turns reuse off", () => {
  try {
    setThreadPoolSize(0);
    for (let i = 0; i < 3; i++) {
      const t = new Thread({ target: noop });
      t.start();
      t.join();
    }
    setThreadPoolSize(2);
    const threads = Array.from(
      { length: 4 },
      () => new Thread({ target: noop }),
    );
    for (const t of threads) t.start();
    for (const t of threads) t.join();
  } finally {
    setThreadPoolSize(8);
  }
  assert.throws(() => setThreadPoolSize(-1), RangeError);
  assert.throws(() => setThreadPoolSize(65), RangeError);
  assert.throws(() => setThreadPoolSize(1.5), RangeError);
  assert.throws(() => setThreadPoolSize("2" as never), TypeError);
});

test("a thread started from a thread gets its worker from main, also while main is blocked in join()", () => {
  try {
    // No parked worker to take: main must create the child's worker while
    // it waits in join() for the parent.
    setThreadPoolSize(0);
    const cell = cells(1);
    const parent = new Thread({ target: startAndJoinChild, args: [cell] });
    parent.start();
    assert.equal(parent.join(30_000), true);
    assert.equal(cell[0], 1);
  } finally {
    setThreadPoolSize(8);
  }
});

test("a full pool makes room for the heap limit used now: a thread with it finds a parked worker", () => {
  const tokenOf = (): number => {
    const out = cells(1);
    const t = new Thread({
      target: recordWorkerToken,
      args: [out],
      resourceLimits: { maxHeapMb: 56 },
    });
    t.start();
    t.join();
    return out[0];
  };
  try {
    setThreadPoolSize(2);
    // Parked workers of another limit fill the pool.
    const others = [1, 2, 3].map(() =>
      new Thread({ target: noop, resourceLimits: { maxHeapMb: 48 } })
    );
    for (const t of others) t.start();
    for (const t of others) t.join();
    const first = tokenOf();
    assert.equal(tokenOf(), first, "the same worker ran both");
  } finally {
    setThreadPoolSize(8);
  }
});
