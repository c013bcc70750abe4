import assert from "node:assert/strict";
import {
  DeadlockError,
  Event,
  findDeadlocks,
  Lock,
  Queue,
  RLock,
  setDeadlockDetection,
  SharedList,
  SharedMap,
  Thread,
} from "../mod.ts";
import { cells, runChild, test, until } from "./_helpers.ts";
import {
  listThenMap,
  mapThenList,
  takeAndEnd,
  takeBoth,
  tryTake,
} from "./_deadlock_fixtures.ts";
import { S_IDENT, S_WAITING, slotWord } from "../src/_core/layout.ts";
import { runtime } from "../src/_threads/runtime.ts";

/** Whether `thread` is blocked on a lock now (what detection records). */
function blockedOnLock(thread: Thread): boolean {
  const words = runtime().registry.words;
  for (const slot of runtime().registry.aliveSlots()) {
    if (Atomics.load(words, slotWord(slot, S_IDENT)) === thread.ident) {
      return Atomics.load(words, slotWord(slot, S_WAITING)) !== 0;
    }
  }
  return false;
}

async function child(
  mode: string,
): Promise<{ code: number; stdout: string; stderr: string }> {
  const { code, stdout, stderr } = await new Deno.Command(Deno.execPath(), {
    args: [
      "run",
      "-A",
      new URL("./_deadlock_program.ts", import.meta.url).href,
      mode,
    ],
    stdout: "piped",
    stderr: "piped",
  }).output();
  const text = new TextDecoder();
  return { code, stdout: text.decode(stdout), stderr: text.decode(stderr) };
}

test("throw mode: the acquire that closes a two-lock cycle throws DeadlockError naming both", async () => {
  setDeadlockDetection("throw");
  try {
    const a = new Lock();
    const b = new Lock();
    const out = cells(1);
    const took = new Event();
    a.acquire();
    const t = new Thread({
      target: takeBoth,
      args: [b, a, took, 30_000, out],
      name: "taker",
    });
    t.start();
    took.wait();
    await until(() => blockedOnLock(t), 10_000, "the thread to block on a");
    let error: unknown;
    try {
      b.acquire();
    } catch (e) {
      error = e;
    }
    assert.ok(error instanceof DeadlockError, String(error));
    const message = (error as Error).message;
    assert.match(message, /^Deadlock detected:/);
    assert.match(
      message,
      /thread "MainThread" holds Lock at deadlock_test\.ts:\d+ and waits for Lock at deadlock_test\.ts:\d+/,
    );
    assert.match(
      message,
      /thread "taker" holds Lock at deadlock_test\.ts:\d+ and waits for Lock at deadlock_test\.ts:\d+/,
    );
    assert.equal(b.locked(), true, "the refused acquire changed nothing");
    a.release();
    t.join();
    assert.equal(out[0], 1, "the thread got a once main let it go");
  } finally {
    setDeadlockDetection("off");
  }
});

test("throw mode: a Lock acquired again by its holder throws; an RLock does not", () => {
  setDeadlockDetection("throw");
  try {
    const lock = new Lock();
    lock.acquire();
    assert.throws(() => lock.acquire(), DeadlockError);
    assert.equal(lock.acquire({ blocking: false }), false, "a try is no wait");
    lock.release();
    const rlock = new RLock();
    rlock.acquire();
    assert.equal(rlock.acquire(), true);
    rlock.release();
    rlock.release();
  } finally {
    setDeadlockDetection("off");
  }
});

test(
  "findDeadlocks() lists the cycle while two threads are stuck, then nothing",
  async () => {
    setDeadlockDetection("report");
    try {
      const a = new Lock();
      const b = new Lock();
      const out1 = cells(1);
      const out2 = cells(1);
      const took1 = new Event();
      const took2 = new Event();
      const go = new Event();
      // "two" gives up after 2 s: then "one" goes on.
      const t1 = new Thread({
        target: takeBoth,
        args: [a, b, took1, 30_000, out1, go],
        name: "one",
      });
      const t2 = new Thread({
        target: takeBoth,
        args: [b, a, took2, 2_000, out2, go],
        name: "two",
      });
      t1.start();
      took1.wait();
      t2.start();
      took2.wait();
      go.set();
      await until(
        () => blockedOnLock(t1) && blockedOnLock(t2),
        10_000,
        "both stuck",
      );
      const cycles = findDeadlocks();
      assert.equal(cycles.length, 1);
      const threads = cycles[0].threads;
      assert.deepEqual(threads.map((e) => e.thread.name).sort(), [
        "one",
        "two",
      ]);
      for (const entry of threads) {
        assert.equal(entry.holds.length, 1);
        assert.match(entry.holds[0], /^Lock at deadlock_test\.ts:\d+$/);
        assert.match(entry.waitsFor, /^Lock at deadlock_test\.ts:\d+$/);
        assert.notEqual(entry.holds[0], entry.waitsFor);
      }
      assert.equal(threads[0].waitsFor, threads[1].holds[0]);
      t1.join();
      t2.join();
      assert.deepEqual([out1[0], out2[0]], [1, 2]);
      assert.deepEqual(findDeadlocks(), []);
    } finally {
      setDeadlockDetection("off");
    }
  },
  60_000,
);

test("report mode prints the cycle to stderr and waiting goes on", async () => {
  const { code, stdout, stderr } = await child("report");
  assert.equal(code, 0, stderr);
  assert.match(
    stderr,
    /Deadlock detected:\n {2}thread "[^"]+" holds Lock at _deadlock_program\.ts:\d+ and waits for Lock at _deadlock_program\.ts:\d+\n {2}thread "[^"]+" holds Lock at _deadlock_program\.ts:\d+ and waits for Lock/,
  );
  assert.match(
    stdout,
    /thread outcome 2/,
    "the thread timed out, then main went on",
  );
});

test("a lock-order inversion is reported without a deadlock", async () => {
  const { code, stdout, stderr } = await child("inversion");
  assert.equal(code, 0, stderr);
  assert.match(stdout, /no deadlock/);
  assert.match(
    stderr,
    /Potential deadlock \(lock order inversion\):\n {2}thread "Thread-1 \(inOrder\)" takes Lock at _deadlock_program\.ts:\d+ while holding Lock at _deadlock_program\.ts:\d+\n {2}thread "MainThread" took Lock/,
  );
  assert.equal(stderr.match(/Potential deadlock/g)?.length, 1, "once per pair");
});

test("with detection off nothing is recorded: findDeadlocks() sees nothing", async () => {
  const a = new Lock();
  const out = cells(1);
  const took = new Event();
  const b = new Lock();
  a.acquire();
  const t = new Thread({ target: takeBoth, args: [b, a, took, 30_000, out] });
  t.start();
  took.wait();
  await until(() => a.locked(), 10_000, "a held");
  assert.equal(blockedOnLock(t), false);
  assert.deepEqual(findDeadlocks(), []);
  a.release();
  t.join();
  assert.equal(out[0], 1);
});

test("setDeadlockDetection() refuses other modes", () => {
  assert.throws(() => setDeadlockDetection("on" as never), TypeError);
});

test("throw mode: waiting for an RLock whose holder ended holding it throws, naming the dead owner", () => {
  setDeadlockDetection("throw");
  // Only its owner could release it, and the owner is gone.
  const lock = new RLock();
  try {
    const holder = new Thread({
      name: "holder",
      target: takeAndEnd,
      args: [lock],
    });
    holder.start();
    holder.join();
    assert.equal(lock.locked(), true, "Python's rule: it stays held");
    const out = cells(1);
    const messages = new Queue<string>();
    // The waiter likely runs in the slot the holder had.
    const waiter = new Thread({
      name: "waiter",
      target: tryTake,
      args: [lock, 5_000, out, messages],
    });
    waiter.start();
    waiter.join();
    assert.equal(out[0], 3, "DeadlockError, not a wait");
    assert.match(
      messages.get(),
      /^Deadlock detected:\n {2}thread "waiter" holds nothing and waits for RLock at deadlock_test\.ts:\d+\n {2}thread "holder" holds RLock at deadlock_test\.ts:\d+ and is dead: it ended without releasing it$/,
    );
  } finally {
    setDeadlockDetection("off");
  }
});

test("throw mode: a Lock whose holder ended is reported, not refused: any thread may still release it", async () => {
  setDeadlockDetection("throw");
  const lock = new Lock();
  try {
    const holder = new Thread({
      name: "holder",
      target: takeAndEnd,
      args: [lock],
    });
    holder.start();
    holder.join();
    const out = cells(1);
    const waiter = new Thread({
      name: "waiter",
      target: tryTake,
      args: [lock, 30_000, out, new Queue<string>()],
    });
    waiter.start();
    await until(() => findDeadlocks().length > 0, 10_000, "the wait");
    assert.equal(findDeadlocks()[0].deadOwner?.name, "holder");
    lock.release();
    waiter.join();
    assert.equal(out[0], 1, "the waiter took it once released");
  } finally {
    setDeadlockDetection("off");
  }
});

test("findDeadlocks() names a dead owner, and never shows its waiter in a cycle with itself", async () => {
  setDeadlockDetection("report");
  const lock = new Lock();
  try {
    const holder = new Thread({
      name: "holder",
      target: takeAndEnd,
      args: [lock],
    });
    holder.start();
    holder.join();
    const out = cells(1);
    const waiter = new Thread({
      name: "waiter",
      target: tryTake,
      args: [lock, 30_000, out, new Queue<string>()],
    });
    waiter.start();
    await until(() => findDeadlocks().length > 0, 10_000, "the deadlock");
    const found = findDeadlocks();
    assert.equal(found.length, 1);
    assert.deepEqual(found[0].threads.map((e) => e.thread.name), ["waiter"]);
    assert.deepEqual(found[0].threads[0].holds, []);
    assert.match(found[0].threads[0].waitsFor, /^Lock at deadlock_test\.ts:/);
    assert.deepEqual(found[0].deadOwner, {
      name: "holder",
      ident: holder.ident,
    });
    // Any thread may release a Lock: the waiter then takes it.
    lock.release();
    waiter.join();
    assert.equal(out[0], 1);
    assert.deepEqual(findDeadlocks(), []);
  } finally {
    setDeadlockDetection("off");
  }
});

test("throw mode: two containers updated in opposite orders raise DeadlockError instead of hanging", () => {
  setDeadlockDetection("throw");
  try {
    const map = new SharedMap<string, number>([["k", 10]]);
    const list = new SharedList<number>([20]);
    const go = new Event();
    const insides = [new Event(), new Event()];
    const outs = [cells(1), cells(1)];
    const messages = new Queue<string>();
    const threads = [
      new Thread({
        name: "map-first",
        target: mapThenList,
        args: [map, list, insides[0], go, outs[0], messages],
      }),
      new Thread({
        name: "list-first",
        target: listThenMap,
        args: [list, map, insides[1], go, outs[1], messages],
      }),
    ];
    for (const t of threads) t.start();
    for (const e of insides) e.wait();
    go.set();
    for (const t of threads) assert.equal(t.join(20_000), true);
    const outcomes = outs.map((o) => o[0]);
    assert.ok(outcomes.includes(3), `a DeadlockError: ${outcomes}`);
    assert.ok(outcomes.every((o) => o === 1 || o === 3), `${outcomes}`);
    for (let i = messages.qsize(); i > 0; i--) {
      assert.match(
        messages.get(),
        /^Deadlock detected:\n {2}thread "(map-first|list-first)" holds Shared(Map|List) at deadlock_test\.ts:\d+ and waits for Shared(List|Map) at deadlock_test\.ts:\d+\n {2}thread "(list-first|map-first)" holds Shared(List|Map) at deadlock_test\.ts:\d+ and waits for Shared(Map|List) at deadlock_test\.ts:\d+$/,
      );
    }
    // The refused update changed nothing; the other one completed.
    assert.deepEqual(
      [map.get("k"), list.at(0)],
      outcomes[0] === 1 ? [10 + 20 + 1, 20] : [10, 20 + 10 + 1],
    );
    // Nothing is left held.
    map.set("k", 0);
    list.set(0, 0);
    assert.deepEqual(findDeadlocks(), []);
  } finally {
    setDeadlockDetection("off");
  }
});

test("report mode: two containers updated in opposite orders are reported and listed by findDeadlocks()", async () => {
  const { code, stdout, stderr } = await child("containers");
  assert.equal(code, 0, stderr);
  assert.match(
    stderr,
    /Deadlock detected:\n {2}thread "(map-first|list-first)" holds Shared(Map|List) at _deadlock_program\.ts:\d+ and waits for Shared(List|Map) at _deadlock_program\.ts:\d+\n {2}thread "(list-first|map-first)" holds Shared(List|Map)/,
  );
  assert.deepEqual(JSON.parse(stdout), [
    {
      "list-first": {
        holds: ["SharedList"],
        waitsFor: "SharedMap",
      },
      "map-first": {
        holds: ["SharedMap"],
        waitsFor: "SharedList",
      },
    },
  ]);
});

Deno.test({
  name:
    "a Lock held by a thread that ran out of memory stays held; findDeadlocks() and the report name that dead owner",
  timeout: 120_000,
}, async () => {
  const r = await runChild(
    new URL("./_oom_program.ts", import.meta.url),
    ["lock"],
  );
  assert.equal(r.code, 0, r.err);
  assert.deepEqual(r.out.trim().split("\n"), [
    "locked true",
    JSON.stringify([{
      threads: ["waiter"],
      deadOwner: "hog",
      deadIdent: true,
    }]),
    "waiter took it true",
    "main done",
  ]);
  assert.match(
    r.err,
    /Deadlock detected:\n {2}thread "waiter" holds nothing and waits for Lock at _oom_program\.ts:\d+\n {2}thread "hog" holds Lock at _oom_program\.ts:\d+ and is dead: it ended without releasing it/,
  );
});
