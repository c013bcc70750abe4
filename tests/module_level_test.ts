import assert from "node:assert/strict";
import { Thread } from "../mod.ts";
import { cells, test } from "./_helpers.ts";
import {
  countUnderLock,
  lock,
  primitives,
  reportRefs,
  useLocal,
} from "./_module_level_fixtures.ts";
import { shareOf } from "../src/_handles.ts";

function refsIn(out: Int32Array): number[] {
  return [...out.subarray(1, 1 + out[0])];
}

function mainRefs(): number[] {
  return primitives().map((p) => shareOf(p)!.ref);
}

test(
  "every kind of primitive made at a module's top level is the same object in a thread that loads the module",
  () => {
    const out = cells(64);
    const t = new Thread({ target: reportRefs, args: [out] });
    t.start();
    assert.equal(t.join(30_000), true);
    const mine = mainRefs();
    const theirs = refsIn(out);
    // All but the last (made inside a function) are shared.
    assert.deepEqual(theirs.slice(0, -1), mine.slice(0, -1));
    assert.notEqual(theirs.at(-1), mine.at(-1));
  },
  60_000,
);

test(
  "a loop at top level makes one shared primitive per iteration, and a class built at top level shares what its constructor and fields make",
  () => {
    const mine = mainRefs();
    // looped[0..2], first.items, first.guard, second.items, second.guard
    const made = mine.slice(15, 22);
    assert.equal(new Set(made).size, made.length);
  },
);

test(
  "a module-level Lock guards a counter of 4 threads x 20,000 increments exactly",
  () => {
    const counter = cells(1);
    const threads = Array.from(
      { length: 4 },
      () => new Thread({ target: countUnderLock, args: [counter, 20_000] }),
    );
    for (const t of threads) t.start();
    countUnderLock(counter, 20_000);
    for (const t of threads) assert.equal(t.join(60_000), true);
    assert.equal(counter[0], 100_000);
    assert.equal(lock.locked(), false);
  },
  90_000,
);

test(
  "a module-level ThreadLocal keeps per-thread values",
  () => {
    const out = cells(2);
    useLocal(cells(2), 1);
    const t = new Thread({ target: useLocal, args: [out, 2] });
    t.start();
    assert.equal(t.join(30_000), true);
    assert.deepEqual([...out], [-1, 2]);
    const again = cells(2);
    useLocal(again, 3);
    assert.deepEqual([...again], [1, 3]);
  },
);
