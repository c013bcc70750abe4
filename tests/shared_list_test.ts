import assert from "node:assert/strict";
import {
  Barrier,
  Event,
  Lock,
  Queue,
  SharedList,
  SharedValue,
  Thread,
  ThreadError,
} from "../mod.ts";
import { prng, runAll, test } from "./_helpers.ts";
import {
  BAD_ITEMS,
  consume,
  CONSUMED,
  doubleAndSum,
  GAVE_UP,
  holdListedLock,
  incrementAt,
  type Item,
  OUT_OF_ORDER,
  PATIENCE,
  produce,
  PRODUCED,
  pushFromQueue,
  pushRange,
  takeUnrebuildable,
} from "./_container_fixtures.ts";
import { makeHidden } from "./_fixtures.ts";
import { Unloaded } from "./_unloaded_class.ts";

// --- construction, reading ----------------------------------------------

test("SharedList: empty by default, or built from any iterable", () => {
  const empty = new SharedList<number>();
  assert.equal(empty.length, 0);
  assert.deepEqual(empty.toArray(), []);
  assert.deepEqual([...empty], []);

  assert.deepEqual(new SharedList([1, 2, 3]).toArray(), [1, 2, 3]);
  assert.equal(new SharedList([1, 2, 3]).length, 3);
  assert.deepEqual(new SharedList(new Set(["a", "b"])).toArray(), ["a", "b"]);
  assert.deepEqual(new SharedList("xyz").toArray(), ["x", "y", "z"]);
  function* gen() {
    yield { n: 1 };
    yield { n: 2 };
  }
  assert.deepEqual(new SharedList(gen()).toArray(), [{ n: 1 }, { n: 2 }]);
  assert.deepEqual(new SharedList(new Map([[1, "a"]])).toArray(), [[1, "a"]]);
  assert.deepEqual(new SharedList([]).toArray(), []);
  assert.deepEqual(new SharedList(undefined, {}).toArray(), []);
});

test("SharedList: at() counts from the start, negative from the end, undefined out of range", () => {
  const list = new SharedList([10, 20, 30]);
  assert.equal(list.at(0), 10);
  assert.equal(list.at(1), 20);
  assert.equal(list.at(2), 30);
  assert.equal(list.at(-1), 30);
  assert.equal(list.at(-2), 20);
  assert.equal(list.at(-3), 10);
  assert.equal(list.at(3), undefined);
  assert.equal(list.at(100), undefined);
  assert.equal(list.at(-4), undefined);
  assert.equal(list.at(-100), undefined);
  const empty = new SharedList<number>();
  assert.equal(empty.at(0), undefined);
  assert.equal(empty.at(-1), undefined);
});

test("SharedList: holds undefined and null as elements", () => {
  const list = new SharedList<unknown>([undefined, null]);
  assert.equal(list.length, 2);
  assert.equal(list.at(0), undefined);
  assert.equal(list.at(1), null);
  assert.deepEqual(list.toArray(), [undefined, null]);
  assert.equal(list.push(undefined), 3);
  assert.equal(list.length, 3);
});

// --- writing --------------------------------------------------------------

test("SharedList: set() replaces an element, RangeError outside the list", () => {
  const list = new SharedList(["a", "b", "c"]);
  list.set(0, "A");
  list.set(2, "C");
  assert.deepEqual(list.toArray(), ["A", "b", "C"]);
  assert.throws(() => list.set(3, "d"), RangeError);
  assert.throws(() => list.set(100, "d"), RangeError);
  assert.throws(() => list.set(-4, "d"), RangeError);
  assert.deepEqual(list.toArray(), ["A", "b", "C"]);
  assert.throws(() => new SharedList<string>().set(0, "x"), RangeError);
});

test("SharedList: push() and pop() at the end; push returns the new length", () => {
  const list = new SharedList<number>();
  assert.equal(list.push(1), 1);
  assert.equal(list.push(2, 3, 4), 4);
  assert.equal(list.push(), 4);
  assert.deepEqual(list.toArray(), [1, 2, 3, 4]);
  assert.equal(list.pop(), 4);
  assert.equal(list.pop(), 3);
  assert.equal(list.length, 2);
  assert.equal(list.pop(), 2);
  assert.equal(list.pop(), 1);
  assert.equal(list.pop(), undefined);
  assert.equal(list.pop(), undefined);
  assert.equal(list.length, 0);
  assert.equal(list.push(5), 1, "usable after popping it empty");
  assert.deepEqual(list.toArray(), [5]);
});

test("SharedList: unshift() and shift() at the front, in Array's order", () => {
  const list = new SharedList([3]);
  assert.equal(list.unshift(2), 2);
  assert.equal(list.unshift(0, 1), 4);
  assert.equal(list.unshift(), 4);
  assert.deepEqual(
    list.toArray(),
    [0, 1, 2, 3],
    "like Array.prototype.unshift",
  );
  assert.equal(list.shift(), 0);
  assert.equal(list.shift(), 1);
  assert.equal(list.shift(), 2);
  assert.equal(list.shift(), 3);
  assert.equal(list.shift(), undefined);
  assert.equal(list.shift(), undefined);
  assert.equal(list.length, 0);
  assert.equal(list.unshift(9), 1, "usable after shifting it empty");
  assert.deepEqual(list.toArray(), [9]);
});

test("SharedList: as a deque, push 1000 then shift 1000 interleaved with unshift, round after round", () => {
  const list = new SharedList<number>();
  const model: number[] = [];
  let next = 0;
  for (let round = 0; round < 5; round++) {
    for (let i = 0; i < 1000; i++) {
      assert.equal(list.push(next), model.push(next));
      next++;
    }
    for (let i = 0; i < 1000; i++) {
      assert.equal(list.shift(), model.shift(), `round ${round}, shift ${i}`);
      if (i % 3 === 0) {
        assert.equal(list.unshift(-next), model.unshift(-next));
        next++;
      }
    }
    assert.equal(list.length, model.length);
    assert.deepEqual(list.toArray(), model, `after round ${round}`);
    assert.equal(list.at(0), model[0]);
    assert.equal(list.at(-1), model[model.length - 1]);
  }
  while (model.length > 0) assert.equal(list.pop(), model.pop());
  assert.equal(list.length, 0);
  assert.equal(list.shift(), undefined);
});

test(
  "SharedList: 20,000 random deque and index operations agree with an Array",
  () => {
    const list = new SharedList<number>();
    const model: number[] = [];
    const rand = prng(12345);
    let next = 0;
    for (let op = 0; op < 20_000; op++) {
      const len = model.length;
      const what = rand(10);
      const where = `op ${op} (kind ${what}, length ${len})`;
      switch (what) {
        case 0:
        case 1: {
          const items = Array.from({ length: 1 + rand(3) }, () => next++);
          assert.equal(list.push(...items), model.push(...items), where);
          break;
        }
        case 2:
        case 3: {
          const items = Array.from({ length: 1 + rand(3) }, () => next++);
          assert.equal(list.unshift(...items), model.unshift(...items), where);
          break;
        }
        case 4:
          assert.equal(list.pop(), model.pop(), where);
          break;
        case 5:
          assert.equal(list.shift(), model.shift(), where);
          break;
        case 6: {
          const i = rand(len + 2) - 1;
          assert.equal(list.at(i), model.at(i), where);
          break;
        }
        case 7:
          if (len > 0) {
            const i = rand(len);
            list.set(i, next);
            model[i] = next++;
          }
          break;
        case 8: {
          const i = rand(len + 1);
          list.insert(i, next);
          model.splice(i, 0, next++);
          break;
        }
        case 9:
          if (len > 0) {
            const i = rand(len);
            assert.equal(list.removeAt(i), model.splice(i, 1)[0], where);
          }
          break;
      }
      assert.equal(list.length, model.length, where);
      if (op % 1000 === 0) assert.deepEqual(list.toArray(), model, where);
    }
    assert.deepEqual(list.toArray(), model);
  },
  60_000,
);

test("SharedList: insert() at 0, in the middle, at the end, and negative from the end", () => {
  const list = new SharedList(["b", "d"]);
  list.insert(0, "a");
  assert.deepEqual(list.toArray(), ["a", "b", "d"]);
  list.insert(2, "c");
  assert.deepEqual(list.toArray(), ["a", "b", "c", "d"]);
  list.insert(4, "e");
  assert.deepEqual(list.toArray(), ["a", "b", "c", "d", "e"]);
  list.insert(-1, "before e");
  assert.deepEqual(
    list.toArray(),
    ["a", "b", "c", "d", "before e", "e"],
    "Python's list.insert(-1, x): before the last",
  );
  list.insert(-6, "first");
  assert.equal(list.at(0), "first");
  assert.equal(list.length, 7);
  assert.throws(() => list.insert(8, "x"), RangeError);
  assert.throws(() => list.insert(100, "x"), RangeError);
  assert.equal(list.length, 7);
  const empty = new SharedList<string>();
  empty.insert(0, "only");
  assert.deepEqual(empty.toArray(), ["only"]);
  assert.throws(() => new SharedList<string>().insert(1, "x"), RangeError);
});

test("SharedList: removeAt() returns the element, RangeError outside the list", () => {
  const list = new SharedList(["a", "b", "c", "d", "e"]);
  assert.equal(list.removeAt(0), "a");
  assert.equal(list.removeAt(1), "c");
  assert.equal(list.removeAt(2), "e");
  assert.deepEqual(list.toArray(), ["b", "d"]);
  assert.throws(() => list.removeAt(2), RangeError);
  assert.throws(() => list.removeAt(-3), RangeError);
  assert.deepEqual(list.toArray(), ["b", "d"]);
  assert.equal(list.removeAt(0), "b");
  assert.equal(list.removeAt(0), "d");
  assert.throws(() => list.removeAt(0), RangeError);
  assert.equal(list.length, 0);
});

test("SharedList: set/removeAt/update take negative indices from the end, like at()", () => {
  const list = new SharedList([1, 2, 3, 4]);
  list.set(-1, 40);
  assert.deepEqual(list.toArray(), [1, 2, 3, 40], "set(-1)");
  assert.equal(list.update(-2, (x) => x * 10), 30, "update(-2)");
  assert.deepEqual(list.toArray(), [1, 2, 30, 40]);
  assert.equal(list.removeAt(-4), 1, "removeAt(-4)");
  assert.deepEqual(list.toArray(), [2, 30, 40]);
});

test("SharedList: update() replaces with fn(copy) and returns the new value", () => {
  const list = new SharedList([{ n: 1 }, { n: 2 }]);
  let got: { n: number } | undefined;
  const result = list.update(1, (v) => {
    got = v;
    v.n = 99;
    return { n: v.n + 1 };
  });
  assert.deepEqual(result, { n: 100 });
  assert.deepEqual(got, { n: 99 });
  assert.deepEqual(list.toArray(), [{ n: 1 }, { n: 100 }]);
  assert.throws(() => list.update(2, (v) => v), RangeError);
  assert.throws(() => list.update(-3, (v) => v), RangeError);
  assert.throws(() => new SharedList<number>().update(0, (v) => v), RangeError);
  assert.deepEqual(list.toArray(), [{ n: 1 }, { n: 100 }]);
});

test("SharedList: if update()'s fn throws, the error propagates and nothing changes", () => {
  const list = new SharedList([1, 2]);
  const boom = new Error("boom");
  assert.throws(
    () =>
      list.update(0, () => {
        throw boom;
      }),
    (e) => e === boom,
  );
  assert.deepEqual(list.toArray(), [1, 2]);
  assert.equal(list.update(0, (v) => v + 10), 11, "still usable");
  assert.deepEqual(list.toArray(), [11, 2]);
});

test("SharedList: clear() empties it; toArray() returns a fresh array", () => {
  const list = new SharedList([1, 2, 3]);
  const array = list.toArray();
  array.push(4);
  assert.deepEqual(list.toArray(), [1, 2, 3]);
  assert.notEqual(list.toArray(), list.toArray());
  list.clear();
  assert.equal(list.length, 0);
  assert.deepEqual(list.toArray(), []);
  assert.equal(list.at(0), undefined);
  assert.equal(list.pop(), undefined);
  list.clear();
  assert.equal(list.push(7, 8), 2, "usable after clear()");
  assert.deepEqual(list.toArray(), [7, 8]);
});

test("SharedList: iteration is over a snapshot, mutations during it do not change it", () => {
  const list = new SharedList([1, 2, 3]);
  const seen: number[] = [];
  for (const x of list) {
    seen.push(x);
    list.push(x * 10);
    list.shift();
    list.set(0, -1);
  }
  assert.deepEqual(seen, [1, 2, 3]);
  assert.deepEqual(list.toArray(), [-1, 20, 30]);

  const cleared: number[] = [];
  for (const x of list) {
    list.clear();
    cleared.push(x);
  }
  assert.deepEqual(cleared, [-1, 20, 30]);
  assert.equal(list.length, 0);

  const iterator = new SharedList(["a"])[Symbol.iterator]();
  assert.deepEqual(iterator.next(), { value: "a", done: false });
  assert.equal(iterator.next().done, true);
});

// --- values ---------------------------------------------------------------

test("SharedList: stores copies, and every read returns a fresh copy", () => {
  const original = { list: [1, 2], inner: { x: 1 } };
  const list = new SharedList([original]);
  original.list.push(3);
  original.inner.x = 2;
  assert.deepEqual(list.at(0), { list: [1, 2], inner: { x: 1 } });

  const got = list.at(0)!;
  got.list.push(99);
  got.inner.x = 99;
  assert.deepEqual(list.at(0), { list: [1, 2], inner: { x: 1 } });
  assert.notEqual(list.at(0), list.at(0));

  const pushed = { y: 1 };
  list.push(pushed as never);
  pushed.y = 2;
  assert.deepEqual(list.at(1), { y: 1 });
  const popped = list.pop() as unknown as { y: number };
  assert.deepEqual(popped, { y: 1 });
  assert.notEqual(popped, pushed);

  const array = list.toArray();
  array[0].inner.x = 42;
  assert.equal(list.at(0)!.inner.x, 1);
  for (const item of list) item.inner.x = 43;
  assert.equal(list.at(0)!.inner.x, 1);
});

test("SharedList: values keep structuredClone fidelity", () => {
  const shared = { same: true };
  const value = {
    map: new Map<unknown, unknown>([["a", 1], [2, { b: [3] }]]),
    set: new Set([1, "two", 3n]),
    date: new Date(1_700_000_000_000),
    big: 2n ** 100n,
    negZero: -0,
    nan: NaN,
    inf: -Infinity,
    regexp: /a+b/gi,
    bytes: new Uint8Array([1, 2, 255]),
    floats: new Float64Array([0.5, -1.25]),
    buffer: new Uint16Array([7, 8]).buffer,
    nested: { deep: [[1, [2, [3]]]], s: "é漢😀" },
    error: new RangeError("bad", { cause: "why" }),
    twice: [shared, shared],
    undef: undefined,
    nul: null,
  };
  const list = new SharedList<typeof value>([value]);
  const copy = list.at(0)!;
  assert.deepEqual(copy, value);
  assert.ok(copy.map instanceof Map);
  assert.ok(copy.set instanceof Set);
  assert.ok(copy.date instanceof Date);
  assert.equal(copy.date.getTime(), 1_700_000_000_000);
  assert.equal(copy.big, 2n ** 100n);
  assert.ok(Object.is(copy.negZero, -0));
  assert.ok(Number.isNaN(copy.nan));
  assert.ok(copy.regexp instanceof RegExp);
  assert.equal(copy.regexp.flags, "gi");
  assert.ok(copy.bytes instanceof Uint8Array);
  assert.ok(copy.floats instanceof Float64Array);
  assert.ok(copy.buffer instanceof ArrayBuffer);
  assert.ok(copy.error instanceof RangeError);
  assert.equal(copy.error.message, "bad");
  assert.equal(copy.error.cause, "why");
  assert.equal(copy.twice[0], copy.twice[1], "shared references stay shared");
  assert.ok("undef" in copy);

  const cyclic: { self?: unknown; n: number } = { n: 1 };
  cyclic.self = cyclic;
  list.set(0, cyclic as never);
  const back = list.at(0) as unknown as typeof cyclic;
  assert.equal(back.self, back);
});

test("SharedList: large values and 100,000 elements, all retrievable", () => {
  const big = "x".repeat(1 << 20);
  const list = new SharedList<string | number>([big]);
  assert.equal(list.at(0), big);
  list.clear();
  for (let i = 0; i < 100_000; i++) list.push(i);
  assert.equal(list.length, 100_000);
  for (let i = 0; i < 100_000; i += 997) assert.equal(list.at(i), i);
  assert.equal(list.at(-1), 99_999);
  const all = list.toArray();
  assert.equal(all.length, 100_000);
  assert.ok(all.every((x, i) => x === i));
  for (let i = 0; i < 50_000; i++) assert.equal(list.shift(), i);
  assert.equal(list.length, 50_000);
  assert.equal(list.at(0), 50_000);
}, 60_000);

test("SharedList: this library's primitives stay shared in it", () => {
  const lock = new Lock();
  const event = new Event();
  const value = new SharedValue(1);
  const list = new SharedList<unknown>([lock, event, value]);

  const gotLock = list.at(0) as Lock;
  assert.ok(gotLock instanceof Lock);
  assert.equal(gotLock.acquire(), true);
  assert.equal(lock.locked(), true, "the Lock got back is the same lock");
  lock.release();
  assert.equal(gotLock.locked(), false);

  (list.at(1) as Event).set();
  assert.equal(event.isSet(), true, "the Event got back is the same event");

  (list.toArray()[2] as SharedValue<number>).set(5);
  assert.equal(value.get(), 5, "the SharedValue got back is the same value");
  (list.pop() as SharedValue<number>).update((v) => v + 1);
  assert.equal(value.get(), 6);
});

test("SharedList: SharedArrayBuffers and functions are TypeErrors that change nothing", () => {
  const list = new SharedList<unknown>([1, 2]);
  const sab = new SharedArrayBuffer(8);
  const bad: [string, unknown][] = [
    ["a SharedArrayBuffer", sab],
    ["a view over one", new Int32Array(sab)],
    ["a view inside an object", { view: new Uint8Array(sab) }],
    ["a function", () => 1],
    ["a function inside an object", { f() {} }],
    ["a symbol", Symbol("s")],
  ];
  for (const [what, value] of bad) {
    assert.throws(() => list.push(value), TypeError, `push(${what})`);
    assert.throws(() => list.push(3, value), TypeError, `push(3, ${what})`);
    assert.throws(() => list.unshift(0, value), TypeError, `unshift(${what})`);
    assert.throws(() => list.set(0, value), TypeError, `set(${what})`);
    assert.throws(() => list.insert(1, value), TypeError, `insert(${what})`);
    assert.throws(
      () => list.update(0, () => value),
      TypeError,
      `update(() => ${what})`,
    );
    assert.deepEqual(list.toArray(), [1, 2], `nothing changed after ${what}`);
    assert.throws(
      () => new SharedList([1, value]),
      TypeError,
      `new SharedList([1, ${what}])`,
    );
  }
});

// --- maxBytes ---------------------------------------------------------------

test("SharedList: filled to maxBytes, every growing call is a RangeError that changes nothing", () => {
  const item = (c: string) => c.repeat(1000);
  const list = new SharedList<string>([], { maxBytes: 20_000 });
  let n = 0;
  for (;;) {
    try {
      list.push(item(String.fromCharCode(65 + n)));
    } catch (error) {
      assert.ok(error instanceof RangeError, `got ${error}`);
      break;
    }
    n++;
    assert.ok(n <= 20, "more than 20 items of 1000 bytes fit in 20,000");
  }
  assert.ok(n >= 5, `only ${n} items of 1000 bytes fit in 20,000`);
  const full = list.toArray();
  assert.equal(full.length, n);
  const unchanged = (what: string) =>
    assert.deepEqual(list.toArray(), full, `unchanged after ${what}`);

  assert.throws(() => list.push(item("z")), RangeError, "push one");
  unchanged("push one");
  assert.throws(() => list.unshift(item("z")), RangeError, "unshift one");
  unchanged("unshift one");
  assert.throws(() => list.insert(1, item("z")), RangeError, "insert");
  unchanged("insert");
  assert.throws(() => list.set(0, item("z").repeat(3)), RangeError, "set");
  unchanged("set");
  assert.throws(
    () => list.update(0, () => item("z").repeat(3)),
    RangeError,
    "update",
  );
  unchanged("update");

  // Replacing an element by one of the same size fits.
  list.set(0, item("y"));
  assert.equal(list.at(0), item("y"));
  list.set(0, full[0]);
  unchanged("a set of the same size, then back");

  // One free slot: several items at once are all or nothing.
  const last = list.pop()!;
  const oneLess = full.slice(0, -1);
  assert.throws(() => list.push(item("p"), item("q")), RangeError, "push 2");
  assert.deepEqual(list.toArray(), oneLess, "push of 2 is all or nothing");
  assert.throws(() => list.unshift(item("p"), item("q")), RangeError);
  assert.deepEqual(list.toArray(), oneLess, "unshift of 2 is all or nothing");
  assert.equal(list.push(last), n, "one item fits again after pop()");
  unchanged("pop then push");

  // Space freed at the front is reused at the back (and the other way).
  const first = list.shift()!;
  assert.equal(list.push(first), n, "push after shift()");
  assert.equal(list.at(-1), first);
  const end = list.pop()!;
  assert.equal(list.unshift(end), n, "unshift after pop()");
  assert.deepEqual(list.toArray(), full);

  list.clear();
  for (let i = 0; i < n; i++) list.push(item("c"));
  assert.equal(list.length, n, "clear() gives all the space back");
});

test("SharedList: a single item beyond maxBytes is refused, even among items that fit", () => {
  const list = new SharedList<string>(["keep"], { maxBytes: 10_000 });
  const huge = "h".repeat(20_000);
  assert.throws(() => list.push("a", "b", huge), RangeError);
  assert.throws(() => list.unshift("a", "b", huge), RangeError);
  assert.throws(() => list.insert(0, huge), RangeError);
  assert.throws(() => list.set(0, huge), RangeError);
  assert.throws(() => list.update(0, () => huge), RangeError);
  assert.deepEqual(list.toArray(), ["keep"]);
  assert.throws(
    () => new SharedList(["a", huge], { maxBytes: 10_000 }),
    RangeError,
  );
});

test("SharedList: bad options and arguments are TypeErrors and RangeErrors", () => {
  for (const maxBytes of [0, -1, 1.5, Infinity]) {
    assert.throws(
      () => new SharedList([], { maxBytes }),
      RangeError,
      `maxBytes: ${maxBytes}`,
    );
  }
  assert.throws(
    () => new SharedList([], { maxBytes: "1000" as never }),
    TypeError,
  );
  assert.throws(() => new SharedList([], 5 as never), TypeError);
  assert.throws(() => new SharedList([], "big" as never), TypeError);
  assert.throws(() => new SharedList([], null as never), TypeError);
  assert.throws(() => new SharedList(5 as never), TypeError, "not iterable");
  assert.throws(() => new SharedList({} as never), TypeError, "not iterable");

  const list = new SharedList([1]);
  assert.throws(() => list.update(0, 5 as never), TypeError);
  assert.throws(() => list.update(0, undefined as never), TypeError);
  assert.deepEqual(list.toArray(), [1]);
  assert.equal(new SharedList([1], { maxBytes: 1 << 20 }).at(0), 1);
});

// --- re-entrancy ------------------------------------------------------------

test("SharedList: using the list inside its own update() is a ThreadError, not a deadlock", () => {
  const list = new SharedList([1, 2]);
  const calls: [string, (l: SharedList<number>) => unknown][] = [
    ["at", (l) => l.at(0)],
    ["set", (l) => l.set(1, 5)],
    ["push", (l) => l.push(3)],
    ["pop", (l) => l.pop()],
    ["shift", (l) => l.shift()],
    ["unshift", (l) => l.unshift(0)],
    ["insert", (l) => l.insert(0, 0)],
    ["removeAt", (l) => l.removeAt(0)],
    ["update", (l) => l.update(1, (x) => x)],
    ["clear", (l) => l.clear()],
    ["toArray", (l) => l.toArray()],
    ["iterate", (l) => [...l]],
  ];
  for (const [what, call] of calls) {
    assert.throws(
      () =>
        list.update(0, (x) => {
          call(list);
          return x + 100;
        }),
      ThreadError,
      `${what}() inside update()`,
    );
    assert.deepEqual(list.toArray(), [1, 2], `unchanged after ${what}()`);
  }

  // Caught inside fn: the inner call did nothing, the update goes through.
  let caught: unknown;
  assert.equal(
    list.update(0, (x) => {
      try {
        list.push(3);
      } catch (error) {
        caught = error;
      }
      return x + 1;
    }),
    2,
  );
  assert.ok(caught instanceof ThreadError);
  assert.deepEqual(list.toArray(), [2, 2]);

  // Another list is fine.
  const other = new SharedList([10]);
  assert.equal(list.update(1, (x) => x + other.update(0, (y) => y + 1)), 13);
  assert.deepEqual(list.toArray(), [2, 13]);
  assert.deepEqual(other.toArray(), [11]);
});

// --- across threads ---------------------------------------------------------

test(
  "SharedList: 4 threads x 10,000 push() lose and duplicate nothing",
  () => {
    const list = new SharedList<number>();
    const start = new Barrier(4);
    runAll(Array.from(
      { length: 4 },
      (_, t) =>
        new Thread({
          target: pushRange,
          args: [list, t * 10_000, 10_000, start],
        }),
    ));
    assert.equal(list.length, 40_000);
    const all = list.toArray();
    const sorted = [...all].sort((a, b) => a - b);
    const missing = sorted.filter((x, i) => x !== i).slice(0, 5);
    assert.deepEqual(missing, [], "the exact multiset 0..39,999");
    // Each thread's pushes are in that thread's order.
    for (let t = 0; t < 4; t++) {
      const own = all.filter((x) => Math.floor(x / 10_000) === t);
      assert.ok(own.every((x, i) => x === t * 10_000 + i), `thread ${t}`);
    }
  },
  120_000,
);

test(
  "SharedList: 4 threads x 5,000 update(0, x => x + 1) make exactly 20,000",
  () => {
    const list = new SharedList([0, -7]);
    const start = new Barrier(4);
    runAll(Array.from(
      { length: 4 },
      () => new Thread({ target: incrementAt, args: [list, 0, 5_000, start] }),
    ));
    assert.deepEqual(list.toArray(), [20_000, -7]);
  },
  120_000,
);

test(
  "SharedList: producers push() and consumers shift() every item exactly once",
  () => {
    const producers = 4;
    const perProducer = 5_000;
    const list = new SharedList<Item>();
    const counters = new Int32Array(new SharedArrayBuffer(8 * 4));
    const seen = new Int32Array(
      new SharedArrayBuffer(producers * perProducer * 4),
    );
    const start = new Barrier(2 * producers);
    runAll([
      ...Array.from({ length: producers }, (_, p) =>
        new Thread({
          target: produce,
          args: [list, p, perProducer, counters, start],
        })),
      ...Array.from({ length: producers }, () =>
        new Thread({
          target: consume,
          args: [list, producers, perProducer, counters, seen, start],
        })),
    ]);
    assert.equal(Atomics.load(counters, GAVE_UP), 0, "no consumer gave up");
    assert.equal(Atomics.load(counters, PRODUCED), producers * perProducer);
    assert.equal(Atomics.load(counters, CONSUMED), producers * perProducer);
    assert.equal(Atomics.load(counters, BAD_ITEMS), 0, "no corrupt item");
    assert.equal(
      Atomics.load(counters, OUT_OF_ORDER),
      0,
      "each consumer sees each producer's items in order",
    );
    const wrong = [...seen].flatMap((count, i) => count === 1 ? [] : [i]);
    assert.deepEqual(wrong.slice(0, 10), [], "items not seen exactly once");
    assert.equal(list.length, 0);
  },
  120_000,
);

test(
  "SharedList: a thread sees and changes the same list, passed in args or by a Queue",
  () => {
    const list = new SharedList([1, 2, 3]);
    runAll([new Thread({ target: doubleAndSum, args: [list] })]);
    assert.deepEqual(list.toArray(), [2, 4, 6, 12]);

    const queue = new Queue<SharedList<number>>();
    const target = new SharedList<number>([-1]);
    const t = new Thread({ target: pushFromQueue, args: [queue, 100] });
    t.start();
    queue.put(target);
    assert.equal(t.join(PATIENCE), true);
    assert.equal(target.length, 101);
    assert.deepEqual(target.toArray(), [
      -1,
      ...Array.from({ length: 100 }, (_, i) => i),
    ]);
  },
  120_000,
);

test(
  "SharedList: a Lock stored in the list is the same Lock in another thread",
  () => {
    const lock = new Lock();
    const list = new SharedList([lock]);
    const held = new Event();
    const release = new Event();
    const t = new Thread({
      target: holdListedLock,
      args: [list, held, release],
    });
    t.start();
    try {
      assert.equal(held.wait(PATIENCE), true);
      assert.equal(lock.locked(), true, "the thread holds the original lock");
      assert.equal(lock.acquire({ blocking: false }), false);
    } finally {
      release.set();
      assert.equal(t.join(PATIENCE), true);
    }
    assert.equal(lock.locked(), false);
  },
  120_000,
);

// --- classes ----------------------------------------------------------------

test("push() refuses an instance of a class its module does not export, naming its path; the list is unchanged", () => {
  const list = new SharedList<unknown>(["a"]);
  assert.throws(
    () => list.push("b", { inner: makeHidden() }),
    /^TypeError: Cannot pass an instance of class Hidden, which is not exported .* \(at value\.inner\)/,
  );
  assert.throws(
    () => list.set(0, [makeHidden()]),
    /class Hidden.*at value\[0\]/,
  );
  assert.deepStrictEqual(list.toArray(), ["a"]);
  list.push("b");
  assert.deepStrictEqual(list.toArray(), ["a", "b"]);
});

test("shift(), pop() and removeAt() of an item a thread cannot rebuild take it out inside the TypeError, which names the class and its module", async () => {
  const list = new SharedList<unknown>([
    new Unloaded("first", [1]),
    "keep",
    new Unloaded("middle", [2]),
    new Unloaded("last", [3]),
  ]);
  const out = new Queue<string>();
  const t = new Thread({ target: takeUnrebuildable, args: [list, out] });
  t.start();
  assert.equal(await t.joinAsync(PATIENCE), true);
  const report = JSON.parse(out.get({ timeout: PATIENCE }));
  const unloaded = (label: string, values: number[]) => ({ label, values });
  assert.deepStrictEqual(
    report.takes.map((
      r: { what: string; value: unknown },
    ) => [r.what, r.value]),
    [
      ["shift", unloaded("first", [1])],
      ["pop", unloaded("last", [3])],
      ["removeAt", unloaded("middle", [2])],
    ],
  );
  for (const take of report.takes) {
    assert.match(
      take.error,
      /^TypeError: Cannot rebuild an instance of class Unloaded \(exported by file:.*_unloaded_class\.ts\): .*not loaded in this thread/,
    );
  }
  assert.deepStrictEqual(report.left, ["keep"]);
  assert.deepStrictEqual(list.toArray(), ["keep"]);
});
