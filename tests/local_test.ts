import assert from "node:assert/strict";
import { Barrier, getIdent, Thread, ThreadLocal } from "../mod.ts";
import { cells, test } from "./_helpers.ts";
import {
  CountingLocal,
  FailingLocal,
  hideAttributes,
  inspectLocal,
  localIsolation,
  SharedText,
  touchFailing,
} from "./_fixtures.ts";

test("ThreadLocal: 10 threads each see only their own value", () => {
  const local = new ThreadLocal();
  local.value = -99;
  const barrier = new Barrier(10);
  const out = cells(10);
  const threads = Array.from(
    { length: 10 },
    (_, i) =>
      new Thread({ target: localIsolation, args: [local, barrier, out, i] }),
  );
  for (const t of threads) t.start();
  for (const t of threads) t.join();
  assert.deepEqual(
    [...out],
    Array(10).fill(1),
    "empty on arrival, own value after all set theirs",
  );
  assert.equal(local.value, -99, "main's value is untouched");
});

test("a ThreadLocal subclass runs its constructor once per thread with the original arguments", () => {
  const local = new CountingLocal(1000, "tag");
  local.start = 5;
  local.extra = "main only";
  const text = new SharedText();
  const t = new Thread({ target: inspectLocal, args: [local, local, text] });
  t.start();
  t.join();
  assert.deepEqual(JSON.parse(text.read()), {
    same: true,
    cls: true,
    inits: 1,
    start: 1000,
    tag: "tag",
    repr: String(local),
  });
  assert.match(String(local), /^<CountingLocal object at 0x[0-9a-f]{8}>$/);
  assert.equal(local.inits, 1);
  assert.equal(local.start, 5);
});

test("ThreadLocal arguments that cannot cross threads are refused at start()", () => {
  const local = new ThreadLocal(() => {});
  const t = new Thread({
    target: inspectLocal as (...a: unknown[]) => void,
    args: [local],
  });
  assert.throws(() => t.start(), /args\[0\]\.constructorArgs\[0\]/);
});

test("a new thread on a reused worker sees no key of an earlier thread's ThreadLocal", () => {
  const local = new ThreadLocal();
  for (let i = 0; i < 4; i++) {
    const out = cells(2);
    const t = new Thread({ target: hideAttributes, args: [local, out] });
    t.start();
    t.join();
    assert.equal(out[0], 0, `thread ${i} saw no symbol or hidden key`);
    assert.equal(out[1], 2);
  }
  assert.equal(Reflect.ownKeys(local).length, 0, "main's attributes untouched");
  assert.throws(
    () => Object.defineProperty(local, "fixed", { value: 3 }),
    /non-configurable: its attributes are per thread/,
  );
});

test("a ThreadLocal subclass whose constructor throws in a thread fails that touch only", () => {
  const local = new FailingLocal(getIdent());
  assert.equal(local.ok, true);
  for (let i = 0; i < 3; i++) {
    const text = new SharedText();
    const t = new Thread({ target: touchFailing, args: [local, text] });
    t.start();
    assert.equal(t.join(10_000), true, "the thread ends; nothing blocks");
    assert.equal(
      text.read(),
      "no defaults in this thread|no defaults in this thread",
      "each touch runs the constructor again and throws",
    );
  }
  const fresh = new ThreadLocal();
  assert.notEqual(fresh, local as unknown);
  assert.equal(Reflect.ownKeys(fresh).length, 0, "a new local is new");
});
