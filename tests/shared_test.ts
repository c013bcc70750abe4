import assert from "node:assert/strict";
import {
  Event,
  Lock,
  setModuleSharing,
  shared,
  SharedMap,
  Thread,
  ThreadError,
} from "../mod.ts";
import { shareOf } from "../src/_core/handles.ts";
import { heap } from "../src/_core/heap.ts";
import { H_PARKED } from "../src/_core/layout.ts";
import { cells, runAll, test, until } from "./_helpers.ts";
import {
  askAfter,
  askRacing,
  claimThenThrow,
  readComposite,
  Tally,
} from "./_shared_fixtures.ts";

const FIXTURES = new URL("./_shared_fixtures.ts", import.meta.url);

async function program(
  mode: string,
): Promise<{ out: string; err: string }> {
  const { code, stdout, stderr } = await new Deno.Command(Deno.execPath(), {
    args: ["run", "-A", "--v8-flags=--expose-gc", FIXTURES.href, mode],
    stdout: "piped",
    stderr: "piped",
    env: { NO_COLOR: "1" },
    signal: AbortSignal.timeout(60_000),
  }).output();
  const err = new TextDecoder().decode(stderr);
  assert.equal(code, 0, err);
  return { out: new TextDecoder().decode(stdout).trim(), err };
}

test(
  "shared() runs make once when eight threads ask at the same moment, and all get the same Lock",
  () => {
    const made = cells(1);
    const out = cells(9);
    const go = cells(2);
    const threads = Array.from(
      { length: 8 },
      (_, i) =>
        new Thread({
          target: askRacing,
          args: ["race for a lock", made, out, i, go],
        }),
    );
    for (const t of threads) t.start();
    while (Atomics.load(go, 1) < 8) Atomics.pause();
    Atomics.store(go, 0, 1);
    const mine = shared("race for a lock", () => {
      Atomics.add(made, 0, 1);
      return new Lock();
    });
    for (const t of threads) assert.equal(t.join(30_000), true);
    Atomics.store(out, 8, shareOf(mine)!.ref);
    assert.equal(made[0], 1, "make ran once");
    assert.equal(new Set(out).size, 1, "one lock for all");
  },
  90_000,
);

test("in one thread every call returns the same object; the scoped name is another name", () => {
  const a = shared("same object", () => new Lock());
  assert.equal(shared("same object", () => new Lock()), a);
  const scoped = shared(import.meta, "same object", () => new Lock());
  assert.notEqual(scoped, a);
  assert.equal(shared(import.meta, "same object", () => new Lock()), scoped);
  assert.equal(shared("a number", () => 42), 42);
  assert.equal(shared("a number", () => 43), 42);
});

test("a make that throws leaves the name free: the caller gets the error, the next caller makes it", () => {
  assert.throws(
    () =>
      shared("fails once", () => {
        throw new RangeError("not now");
      }),
    RangeError,
  );
  assert.equal(shared("fails once", () => "made"), "made");
});

test("threads waiting while another thread's make throws do not get its error: one runs its own make", async () => {
  const claimed = new Event();
  const go = new Event();
  const asking = new Event();
  const out = cells(1);
  const name = "claimed then thrown";
  const maker = new Thread({
    target: claimThenThrow,
    args: [name, claimed, go],
  });
  maker.start();
  assert.ok(claimed.wait(10_000));
  const parked = Atomics.load(heap().i32, H_PARKED);
  const waiter = new Thread({ target: askAfter, args: [name, asking, out] });
  waiter.start();
  assert.ok(asking.wait(10_000));
  // The waiter sleeps on the claim (one more parked thread), then the make
  // fails.
  await until(() => Atomics.load(heap().i32, H_PARKED) > parked, 10_000);
  go.set();
  assert.equal(maker.join(10_000), true);
  assert.equal(waiter.join(10_000), true);
  assert.equal(out[0], 7, "the waiter made its own value");
});

test("a make that asks for its own name is a ThreadError; other names are fine", () => {
  assert.throws(
    () => shared("itself", () => shared("itself", () => 1)),
    ThreadError,
  );
  const outer = shared("outer", () => ({ inner: shared("inner", () => 5) }));
  assert.deepEqual(outer, { inner: 5 });
  assert.equal(shared("itself", () => 2), 2, "the name was left free");
});

test("a value of primitives, data and class instances arrives in a thread with its primitives shared", () => {
  const map = new SharedMap<string, number>([["a", 1]]);
  const value = shared("composite", () => ({ tally: new Tally(), map, n: 9 }));
  value.tally.bump();
  const out = cells(5);
  runAll([new Thread({ target: readComposite, args: [out] })]);
  assert.deepEqual([...out.subarray(0, 4)], [1, 1, 1, 9]);
  assert.equal(out[4], shareOf(map)!.ref, "the map is the same map");
});

test("bad arguments are TypeErrors", () => {
  assert.throws(() => shared(1 as unknown as string, () => 1), TypeError);
  assert.throws(() => shared("x", 1 as unknown as () => 1), TypeError);
  assert.throws(
    () => shared({} as ImportMeta, "x", () => 1),
    /import\.meta/,
  );
  assert.throws(() => shared("a function", () => () => 1), TypeError);
  assert.equal(
    shared("a function", () => 3),
    3,
    "a refused value frees the name",
  );
});

test("a name lives while its value is held: once every holder dropped it, make runs again", async () => {
  assert.equal(
    (await program("lifetime")).out,
    "held 2 freed true made again true",
  );
});

test("a primitive made through a function at a module's top level warns once in the process, naming the site and shared()", async () => {
  const { out, err } = await program("factory");
  assert.equal(out, "same lock in the thread: true");
  const warnings = err.split("\n").filter((l) => l.includes("@weft/threading"));
  assert.equal(warnings.length, 1, err);
  assert.match(warnings[0], /SharedValue made at _shared_factory\.ts:\d+/);
  assert.match(warnings[0], /shared\(/);
});

test('setModuleSharing("off") turns module-level sharing and its warnings off for the whole process', async () => {
  const { out, err } = await program("off");
  assert.equal(out, "same lock in the thread: false");
  assert.equal(err, "");
  assert.throws(
    () => shared("x", () => 1) && setModuleSharing("on" as "off"),
    TypeError,
  );
});
