import assert from "node:assert/strict";
import {
  Barrier,
  Event,
  Lock,
  Queue,
  type SharedKey,
  SharedList,
  SharedMap,
  SharedValue,
  Thread,
  ThreadError,
} from "../mod.ts";
import { prng, runAll, runChild, test } from "./_helpers.ts";
import {
  countKeys,
  exitInUpdate,
  fillFromQueue,
  PATIENCE,
  pushToStoredList,
  raceSetDefault,
  readUnrebuildable,
  setOwnKeys,
  sumValues,
  useStoredPrimitives,
} from "./_container_fixtures.ts";
import { makeHidden } from "./_fixtures.ts";
import { Unloaded } from "./_unloaded_class.ts";

/** A key's identity under the contract's rules, as a string (for models). */
function canon(key: SharedKey): string {
  if (Array.isArray(key)) return `[${key.map(canon).join(",")}]`;
  switch (typeof key) {
    case "number":
      return `n${Object.is(key, -0) ? 0 : key}`;
    case "bigint":
      return `b${key}`;
    case "string":
      return `s${JSON.stringify(key)}`;
    case "boolean":
      return `t${key}`;
    default:
      return "null";
  }
}

// --- construction, basics -------------------------------------------------

test("SharedMap: empty by default, or built from any iterable of entries", () => {
  const empty = new SharedMap<string, number>();
  assert.equal(empty.size, 0);
  assert.deepEqual([...empty], []);

  const map = new SharedMap([["a", 1], ["b", 2]]);
  assert.equal(map.size, 2);
  assert.deepEqual([...map], [["a", 1], ["b", 2]]);
  assert.deepEqual(
    [...new SharedMap(new Map([[1, "x"], [2, "y"]]))],
    [[1, "x"], [2, "y"]],
  );
  function* gen(): Generator<[string, { n: number }]> {
    yield ["p", { n: 1 }];
    yield ["q", { n: 2 }];
  }
  assert.deepEqual([...new SharedMap(gen())], [["p", { n: 1 }], ["q", {
    n: 2,
  }]]);
  const dup = new SharedMap([["a", 1], ["b", 2], ["a", 3]]);
  assert.deepEqual(
    [...dup],
    [["a", 3], ["b", 2]],
    "a repeated key: the last value, at the first position",
  );
  assert.equal(new SharedMap(undefined, {}).size, 0);
  assert.equal(new SharedMap([], { maxBytes: 1 << 20 }).size, 0);
});

test("SharedMap: get/has/set/delete/size/clear; set() returns the map", () => {
  const map = new SharedMap<string, number>();
  assert.equal(map.set("a", 1), map, "set returns this");
  assert.equal(map.set("b", 2).set("c", 3), map, "chainable");
  assert.equal(map.size, 3);
  assert.equal(map.get("a"), 1);
  assert.equal(map.get("z"), undefined);
  assert.equal(map.has("b"), true);
  assert.equal(map.has("z"), false);
  map.set("a", 10);
  assert.equal(map.get("a"), 10);
  assert.equal(map.size, 3, "re-setting a key does not add one");
  assert.equal(map.delete("b"), true);
  assert.equal(map.delete("b"), false);
  assert.equal(map.delete("never"), false);
  assert.equal(map.has("b"), false);
  assert.equal(map.get("b"), undefined);
  assert.equal(map.size, 2);
  map.clear();
  assert.equal(map.size, 0);
  assert.equal(map.has("a"), false);
  assert.deepEqual([...map], []);
  map.clear();
  map.set("again", 1);
  assert.deepEqual([...map], [["again", 1]], "usable after clear()");
});

test("SharedMap: a key may map to undefined or null, and still be there", () => {
  const map = new SharedMap<string, unknown>();
  map.set("u", undefined).set("n", null);
  assert.equal(map.size, 2);
  assert.equal(map.has("u"), true);
  assert.equal(map.get("u"), undefined);
  assert.equal(map.get("n"), null);
  assert.deepEqual([...map], [["u", undefined], ["n", null]]);
  assert.equal(map.setDefault("u", 5), undefined, "present: not replaced");
  assert.equal(map.get("u"), undefined);
});

// --- keys -------------------------------------------------------------------

test("SharedMap: keys are compared by value, across types as the contract says", () => {
  const map = new SharedMap<SharedKey, string>();
  map.set(1, "number one");
  assert.equal(map.get(1.0), "number one", "1 and 1.0 are one key");
  assert.equal(map.get("1"), undefined, `"1" is another key`);
  assert.equal(map.get(1n), undefined, "1n is another key");
  assert.equal(map.get(true), undefined, "true is another key");
  assert.equal(map.get([1]), undefined, "[1] is another key");
  map.set("1", "string one").set(1n, "bigint one").set(true, "true");
  map.set([1], "array one");
  assert.equal(map.size, 5);
  assert.equal(map.get(1), "number one");
  assert.equal(map.get("1"), "string one");
  assert.equal(map.get(1n), "bigint one");
  assert.equal(map.get(true), "true");
  assert.equal(map.get([1]), "array one");

  map.set(0, "zero");
  assert.equal(map.get(false), undefined, "false is not 0");
  assert.equal(map.get(0n), undefined, "0n is not 0");
  assert.equal(map.get(""), undefined, `"" is not 0`);
  assert.equal(map.get(null), undefined, "null is not 0");
  assert.equal(map.get(-0), "zero", "-0 and 0 are one key");
  map.set(-0, "minus zero");
  assert.equal(map.get(0), "minus zero");
  assert.equal(map.size, 6);

  map.set(null, "null").set(false, "false").set("", "empty string");
  map.set([], "empty array");
  assert.equal(map.get(null), "null");
  assert.equal(map.get("null"), undefined);
  assert.equal(map.get(false), "false");
  assert.equal(map.get(""), "empty string");
  assert.equal(map.get([]), "empty array");
  assert.equal(map.get([[]]), undefined, "[[]] is not []");
  assert.equal(map.size, 10);

  map.set(NaN, "nan");
  assert.equal(map.get(NaN), "nan", "NaN is a key equal to itself");
  assert.equal(map.has(Number("not a number")), true);
  map.set(0 / 0, "nan again");
  assert.equal(map.get(NaN), "nan again");
  // A NaN with other bits (a payload) is the same key too.
  const otherNaN = new Float64Array(new Uint32Array([1, 0x7ff80000]).buffer)[0];
  assert.ok(Number.isNaN(otherNaN));
  assert.equal(map.get(otherNaN), "nan again", "a NaN with a payload");
  assert.equal(map.get([otherNaN]), undefined);
  map.set([NaN], "nan in an array");
  assert.equal(map.get([otherNaN]), "nan in an array");
  map.delete([NaN]);
  assert.equal(map.size, 11);

  map.set(Infinity, "inf").set(-Infinity, "-inf");
  assert.equal(map.get(Infinity), "inf");
  assert.equal(map.get(-Infinity), "-inf");
  map.set(0.1 + 0.2, "not 0.3");
  assert.equal(map.get(0.3), undefined);
  assert.equal(map.get(0.30000000000000004), "not 0.3");
  map.set(2 ** 53, "2^53").set(2n ** 53n, "2n^53n").set(2n ** 100n, "huge");
  assert.equal(map.get(2 ** 53), "2^53");
  assert.equal(map.get(2n ** 53n), "2n^53n");
  assert.equal(map.get(2n ** 100n), "huge");
  assert.equal(map.get(-(2n ** 100n)), undefined);
  assert.equal(map.get(2 ** 53 + 1), "2^53", "the same double");

  const zeros = [...map.keys()].filter((k) => k === 0);
  assert.equal(zeros.length, 1, "one zero key");
});

test("SharedMap: string keys are compared by their exact characters", () => {
  const map = new SharedMap<string, number>();
  const keys = [
    "a",
    "A",
    "a ",
    " a",
    "é",
    "e\u0301",
    "漢字",
    "😀",
    "\u0000",
    "",
  ];
  keys.forEach((k, i) => map.set(k, i));
  assert.equal(map.size, keys.length);
  keys.forEach((k, i) => assert.equal(map.get(k), i, JSON.stringify(k)));
  const long = "k".repeat(100_000);
  map.set(long, -1);
  assert.equal(map.get("k".repeat(100_000)), -1);
  assert.equal(map.get("k".repeat(99_999)), undefined);
  // A lone surrogate is a string like any other.
  map.set("\ud800", 100);
  assert.equal(map.get("\ud800"), 100);
  assert.equal(map.get("\udc00"), undefined);
});

test("SharedMap: array keys are compared element-wise, nested arrays too", () => {
  const map = new SharedMap<SharedKey, string>();
  map.set([1, "a"], "pair");
  assert.equal(map.get([1, "a"]), "pair", "a fresh [1, 'a'] finds it");
  assert.equal(map.has([1, "a"]), true);
  assert.equal(map.get(["a", 1]), undefined, "order matters");
  assert.equal(map.get([1, "a", null]), undefined, "length matters");
  assert.equal(map.get([1]), undefined);
  assert.equal(map.get(["1", "a"]), undefined, "elements by type too");
  assert.equal(map.get([1n, "a"]), undefined);
  assert.equal(map.get("1,a"), undefined, "not its string form");

  map.set([[1, 2], [3, [4, [5]]]], "nested");
  assert.equal(map.get([[1, 2], [3, [4, [5]]]]), "nested");
  assert.equal(map.get([[1, 2], [3, [4, 5]]]), undefined);
  assert.equal(map.get([1, 2, 3, 4, 5]), undefined, "not flattened");
  map.set([[1, 2]], "wrapped").set([1, 2], "flat");
  assert.equal(map.get([[1, 2]]), "wrapped");
  assert.equal(map.get([1, 2]), "flat");
  map.set([true, null, 2n, -0, NaN, ""], "mixed");
  assert.equal(map.get([true, null, 2n, 0, NaN, ""]), "mixed");
  map.set(Object.freeze([7, 8]), "frozen");
  assert.equal(map.get([7, 8]), "frozen");
  assert.equal(map.size, 6);

  // The key is copied: changing the array afterwards changes nothing.
  const key: SharedKey[] = [9];
  map.set(key, "nine");
  key.push(10);
  assert.equal(map.get([9]), "nine");
  assert.equal(map.get([9, 10]), undefined);

  // Keys come back as arrays equal to the ones set.
  const back = [...map.keys()].find((k) => Array.isArray(k) && k[0] === 9);
  assert.deepEqual(back, [9]);
  assert.notEqual(back, key);
  const nested = [...map.keys()][1];
  assert.deepEqual(nested, [[1, 2], [3, [4, [5]]]]);
  assert.equal(map.delete([[1, 2], [3, [4, [5]]]]), true);
  assert.equal(map.has([[1, 2], [3, [4, [5]]]]), false);
});

test("SharedMap: a key of another type is a TypeError in every method, and changes nothing", () => {
  const map = new SharedMap<SharedKey, number>([["ok", 1]]);
  const cyclic: unknown[] = [1];
  cyclic.push(cyclic);
  const badKeys: [string, unknown][] = [
    ["an object", {}],
    ["undefined", undefined],
    ["a symbol", Symbol("s")],
    ["a function", () => 1],
    ["a Date", new Date(0)],
    ["a Map", new Map()],
    ["a Set", new Set()],
    ["a typed array", new Uint8Array(2)],
    ["a boxed number", Object(1)],
    ["an array holding an object", [1, {}]],
    ["an array holding undefined", [1, undefined]],
    ["a nested array holding a Date", [[new Date(0)]]],
    ["an array holding itself", cyclic],
  ];
  for (const [what, bad] of badKeys) {
    const key = bad as SharedKey;
    assert.throws(() => map.set(key, 2), TypeError, `set(${what})`);
    assert.throws(() => map.get(key), TypeError, `get(${what})`);
    assert.throws(() => map.has(key), TypeError, `has(${what})`);
    assert.throws(() => map.delete(key), TypeError, `delete(${what})`);
    assert.throws(() => map.update(key, () => 2), TypeError, `update(${what})`);
    assert.throws(
      () => map.setDefault(key, 2),
      TypeError,
      `setDefault(${what})`,
    );
    assert.throws(
      () => new SharedMap([[key, 2]]),
      TypeError,
      `new SharedMap([[${what}, 2]])`,
    );
    assert.deepEqual([...map], [["ok", 1]], `unchanged after ${what}`);
  }
});

test("SharedMap: an array key whose element getter uses another SharedMap is still that key (or refused), never a corrupt entry", () => {
  const other = new SharedMap<string, number>([["zz", 1]]);
  const key: number[] = [1, 0];
  Object.defineProperty(key, 1, {
    get() {
      other.get("zz");
      return 2;
    },
    enumerable: true,
  });
  const map = new SharedMap<SharedKey, number>();
  let refused = false;
  try {
    map.set(key, 5);
  } catch (error) {
    assert.ok(error instanceof TypeError, `got ${error}`);
    refused = true;
  }
  if (refused) {
    assert.equal(map.size, 0);
  } else {
    assert.deepEqual([...map.keys()], [[1, 2]], "the key it holds");
    assert.equal(map.get([1, 2]), 5, "found by a plain [1, 2]");
  }
  for (const k of map.keys()) {
    assert.equal(map.has(k), true, `its own key ${JSON.stringify(k)}`);
  }
  const found = new SharedMap<SharedKey, number>([[[1, 2], 7]]);
  try {
    assert.equal(found.get(key), 7, "get() with such a key");
  } catch (error) {
    assert.ok(error instanceof TypeError, `got ${error}`);
  }
});

// --- values -------------------------------------------------------------

test("SharedMap: stores copies, and every read returns a fresh copy", () => {
  const original = { list: [1, 2], inner: { x: 1 } };
  const map = new SharedMap<string, typeof original>([["k", original]]);
  original.list.push(3);
  original.inner.x = 2;
  assert.deepEqual(map.get("k"), { list: [1, 2], inner: { x: 1 } });
  const got = map.get("k")!;
  got.list.push(99);
  got.inner.x = 99;
  assert.deepEqual(map.get("k"), { list: [1, 2], inner: { x: 1 } });
  assert.notEqual(map.get("k"), map.get("k"));

  const set = { list: [5], inner: { x: 5 } };
  map.set("s", set);
  set.inner.x = 6;
  assert.equal(map.get("s")!.inner.x, 5);
  for (const [, v] of map) v.inner.x = 7;
  for (const v of map.values()) v.inner.x = 8;
  for (const [, v] of map.entries()) v.inner.x = 9;
  map.forEach((v) => {
    v.inner.x = 10;
  });
  assert.equal(map.get("k")!.inner.x, 1);
  assert.equal(map.get("s")!.inner.x, 5);
  const inserted = map.setDefault("d", { list: [], inner: { x: 3 } });
  inserted.inner.x = 4;
  assert.equal(map.get("d")!.inner.x, 3);
  const updated = map.update("d", (v) => ({ ...v!, list: [1] }));
  updated.list.push(2);
  assert.deepEqual(map.get("d")!.list, [1]);
});

test("SharedMap: values keep structuredClone fidelity", () => {
  const value = {
    map: new Map<unknown, unknown>([[{ o: 1 }, new Set([1n])]]),
    date: new Date(86_400_000),
    big: -(2n ** 70n),
    bytes: new Int16Array([-1, 2]),
    regexp: /x/m,
    nested: [{ a: [{ b: "c" }] }],
    negZero: -0,
  };
  const map = new SharedMap<number, typeof value>([[1, value]]);
  const copy = map.get(1)!;
  assert.deepEqual(copy, value);
  assert.ok(copy.map instanceof Map);
  assert.ok(copy.date instanceof Date);
  assert.ok(copy.bytes instanceof Int16Array);
  assert.ok(copy.regexp instanceof RegExp);
  assert.ok(Object.is(copy.negZero, -0));
  assert.equal(copy.big, -(2n ** 70n));
});

test("SharedMap: this library's primitives stay shared in it", () => {
  const lock = new Lock();
  const event = new Event();
  const value = new SharedValue("v");
  const list = new SharedList<number>([1]);
  const map = new SharedMap<string, unknown>([
    ["lock", lock],
    ["event", event],
    ["value", value],
    ["list", list],
  ]);

  const gotLock = map.get("lock") as Lock;
  assert.ok(gotLock instanceof Lock);
  assert.equal(gotLock.acquire(), true);
  assert.equal(lock.locked(), true, "the Lock got back is the same lock");
  gotLock.release();
  assert.equal(lock.locked(), false);

  (map.get("event") as Event).set();
  assert.equal(event.isSet(), true);
  (map.get("value") as SharedValue<string>).set("changed");
  assert.equal(value.get(), "changed");
  (map.get("list") as SharedList<number>).push(2);
  assert.deepEqual(list.toArray(), [1, 2], "a SharedList in a SharedMap");
  const fromIteration = new Map([...map]).get("lock") as Lock;
  fromIteration.acquire();
  assert.equal(lock.locked(), true, "and from iteration");
  lock.release();
});

test("SharedMap: SharedArrayBuffers and functions as values are TypeErrors that change nothing", () => {
  const map = new SharedMap<string, unknown>([["a", 1]]);
  const sab = new SharedArrayBuffer(8);
  const bad: [string, unknown][] = [
    ["a SharedArrayBuffer", sab],
    ["a view over one", new Float64Array(sab)],
    ["a view inside an array", [1, new Uint8Array(sab)]],
    ["a function", () => 1],
    ["a function inside an object", { f: () => 1 }],
  ];
  for (const [what, value] of bad) {
    assert.throws(() => map.set("a", value), TypeError, `set(a, ${what})`);
    assert.throws(() => map.set("b", value), TypeError, `set(b, ${what})`);
    assert.throws(() => map.update("a", () => value), TypeError);
    assert.throws(() => map.update("b", () => value), TypeError);
    assert.throws(() => map.setDefault("b", value), TypeError);
    assert.deepEqual([...map], [["a", 1]], `unchanged after ${what}`);
    assert.throws(() => new SharedMap([["a", value]]), TypeError);
  }
});

// --- setDefault, update --------------------------------------------------

test("SharedMap: setDefault() returns the existing value without replacing it, or inserts", () => {
  const map = new SharedMap<string, { n: number }>([["a", { n: 1 }]]);
  assert.deepEqual(map.setDefault("a", { n: 2 }), { n: 1 });
  assert.deepEqual(map.get("a"), { n: 1 });
  assert.equal(map.size, 1);
  assert.deepEqual(map.setDefault("b", { n: 3 }), { n: 3 });
  assert.deepEqual(map.get("b"), { n: 3 });
  assert.equal(map.size, 2);
  assert.deepEqual(map.setDefault("b", { n: 4 }), { n: 3 });
  assert.deepEqual([...map.keys()], ["a", "b"], "inserted at the end");
});

test("SharedMap: update() gets undefined for a missing key, a copy otherwise, and returns the new value", () => {
  const map = new SharedMap<string, number[]>();
  const seen: unknown[] = [];
  assert.deepEqual(
    map.update("a", (v) => {
      seen.push(v);
      return [1];
    }),
    [1],
  );
  assert.deepEqual(seen, [undefined]);
  assert.deepEqual(map.get("a"), [1]);
  assert.equal(map.has("a"), true);
  assert.deepEqual(
    map.update("a", (v) => {
      v!.push(2);
      return v!;
    }),
    [1, 2],
  );
  assert.deepEqual(map.get("a"), [1, 2]);
  map.set("b", [0]);
  map.update("a", (v) => [...v!, 3]);
  assert.deepEqual([...map.keys()], ["a", "b"], "updating keeps the position");
  map.update("c", () => []);
  assert.deepEqual([...map.keys()], ["a", "b", "c"], "a new key at the end");

  const counts = new SharedMap<SharedKey, number>();
  for (const word of ["x", "y", "x", "x"]) {
    counts.update(word, (v) => (v ?? 0) + 1);
  }
  assert.deepEqual([...counts], [["x", 3], ["y", 1]]);
});

test("SharedMap: if update()'s fn throws, the error propagates and nothing changes", () => {
  const map = new SharedMap<string, number>([["a", 1]]);
  const boom = new Error("boom");
  const fail = () => {
    throw boom;
  };
  assert.throws(() => map.update("a", fail), (e) => e === boom);
  assert.throws(() => map.update("missing", fail), (e) => e === boom);
  assert.deepEqual([...map], [["a", 1]]);
  assert.equal(map.has("missing"), false);
  assert.throws(() => map.update("a", 5 as never), TypeError);
  assert.throws(() => map.update("a", undefined as never), TypeError);
  assert.deepEqual([...map], [["a", 1]]);
  assert.equal(map.update("a", (v) => v! + 1), 2, "still usable");
});

// --- order and iteration ----------------------------------------------------

test("SharedMap: iteration is in insertion order; re-setting keeps the position", () => {
  const map = new SharedMap<SharedKey, number>();
  map.set("c", 1).set("a", 2).set(3, 3).set([1], 4).set(true, 5);
  assert.deepEqual([...map.keys()], ["c", "a", 3, [1], true]);
  map.set("a", 20);
  map.set([1], 40);
  assert.deepEqual([...map.keys()], ["c", "a", 3, [1], true]);
  assert.deepEqual([...map.values()], [1, 20, 3, 40, 5]);
  map.delete("c");
  map.set("c", 10);
  assert.deepEqual([...map.keys()], ["a", 3, [1], true, "c"]);
  const entries = [["a", 20], [3, 3], [[1], 40], [true, 5], ["c", 10]];
  assert.deepEqual([...map], entries);
  assert.deepEqual([...map.entries()], entries);
  assert.deepEqual([...map[Symbol.iterator]()], entries);
  assert.deepEqual(new Map(map), new Map([...map]));
});

test("SharedMap: iteration is over a snapshot, mutations during it do not change it", () => {
  const map = new SharedMap<string, number>([["a", 1], ["b", 2], ["c", 3]]);
  const seen: [string, number][] = [];
  for (const entry of map) {
    seen.push(entry);
    map.delete("b");
    map.set("c", 30);
    map.set(`new ${entry[0]}`, 0);
  }
  assert.deepEqual(seen, [["a", 1], ["b", 2], ["c", 3]]);
  assert.deepEqual([...map.keys()], ["a", "c", "new a", "new b", "new c"]);

  const keys: string[] = [];
  for (const key of map.keys()) {
    map.clear();
    keys.push(key);
  }
  assert.deepEqual(keys, ["a", "c", "new a", "new b", "new c"]);
  assert.equal(map.size, 0);

  map.set("x", 1).set("y", 2);
  const values: number[] = [];
  for (const value of map.values()) {
    map.set("y", 99);
    values.push(value);
  }
  assert.deepEqual(values, [1, 2]);
  const entries: [string, number][] = [];
  for (const entry of map.entries()) {
    map.delete("y");
    entries.push(entry);
  }
  assert.deepEqual(entries, [["x", 1], ["y", 99]]);
});

test("SharedMap: forEach(fn) calls fn(value, key, map) in order, over a snapshot", () => {
  const map = new SharedMap<SharedKey, string>([[1, "one"], [[2], "two"]]);
  const calls: unknown[][] = [];
  map.forEach((value, key, m) => {
    calls.push([value, key, m === map]);
    map.set(`added by ${value}`, value);
    map.delete([2]);
  });
  assert.deepEqual(calls, [["one", 1, true], ["two", [2], true]]);
  assert.deepEqual([...map.keys()], [1, "added by one", "added by two"]);
  assert.throws(() => map.forEach(5 as never), TypeError);
  const boom = new Error("boom");
  assert.throws(
    () =>
      map.forEach(() => {
        throw boom;
      }),
    (e) => e === boom,
  );
  assert.equal(map.size, 3, "usable after fn threw");
});

// --- size limits ------------------------------------------------------------

test("SharedMap: filled to maxBytes, every growing call is a RangeError that changes nothing", () => {
  const value = (c: string) => c.repeat(1000);
  const key = (i: number) => `k${String(i).padStart(4, "0")}`;
  const map = new SharedMap<string, string>([], { maxBytes: 20_000 });
  let n = 0;
  for (;;) {
    try {
      map.set(key(n), value(String.fromCharCode(65 + n)));
    } catch (error) {
      assert.ok(error instanceof RangeError, `got ${error}`);
      break;
    }
    n++;
    assert.ok(n <= 20, "more than 20 values of 1000 bytes fit in 20,000");
  }
  assert.ok(n >= 5, `only ${n} values of 1000 bytes fit in 20,000`);
  const full = [...map];
  assert.equal(full.length, n);
  const unchanged = (what: string) =>
    assert.deepEqual([...map], full, `unchanged after ${what}`);

  assert.equal(map.has(key(n)), false, "the key refused is not there");
  assert.throws(() => map.set(key(n), value("z")), RangeError, "set new");
  unchanged("set new");
  assert.throws(
    () => map.set(key(0), value("z").repeat(3)),
    RangeError,
    "set bigger",
  );
  unchanged("set bigger");
  assert.throws(
    () => map.update(key(0), () => value("z").repeat(3)),
    RangeError,
    "update bigger",
  );
  unchanged("update bigger");
  assert.throws(
    () => map.update(key(n), () => value("z")),
    RangeError,
    "update new",
  );
  unchanged("update new");
  assert.throws(() => map.setDefault(key(n), value("z")), RangeError);
  unchanged("setDefault new");
  assert.equal(
    map.setDefault(key(0), value("z").repeat(3)),
    full[0][1],
    "setDefault of a present key needs no room",
  );
  unchanged("setDefault present");

  map.set(key(0), value("y"));
  assert.equal(map.get(key(0)), value("y"), "a value of the same size fits");
  map.set(key(0), full[0][1]);
  unchanged("a set of the same size, then back");

  assert.equal(map.delete(key(1)), true);
  map.set(key(n), value("z"));
  assert.equal(map.size, n, "a deleted key's room is reused");
  map.clear();
  for (let i = 0; i < n; i++) map.set(key(i), value("c"));
  assert.equal(map.size, n, "clear() gives all the room back");
});

test("SharedMap: a single key or value beyond maxBytes is refused", () => {
  const map = new SharedMap<string, string>([["keep", "me"]], {
    maxBytes: 10_000,
  });
  const huge = "h".repeat(20_000);
  assert.throws(() => map.set(huge, "v"), RangeError, "a huge key");
  assert.throws(() => map.set("k", huge), RangeError, "a huge value");
  assert.throws(() => map.update("k", () => huge), RangeError);
  assert.throws(() => map.setDefault("k", huge), RangeError);
  assert.deepEqual([...map], [["keep", "me"]]);
  assert.throws(
    () => new SharedMap([["a", "b"], ["c", huge]], { maxBytes: 10_000 }),
    RangeError,
  );
});

test("SharedMap: bad options are TypeErrors and RangeErrors", () => {
  for (const maxBytes of [0, -1, 1.5, Infinity]) {
    assert.throws(
      () => new SharedMap([], { maxBytes }),
      RangeError,
      `maxBytes: ${maxBytes}`,
    );
  }
  assert.throws(() => new SharedMap([], { maxBytes: "1" as never }), TypeError);
  assert.throws(() => new SharedMap([], 5 as never), TypeError);
  assert.throws(() => new SharedMap([], null as never), TypeError);
  assert.throws(() => new SharedMap(5 as never), TypeError, "not iterable");
  assert.throws(
    () => new SharedMap([1, 2] as never),
    TypeError,
    "entries that are not [key, value] pairs",
  );
});

// --- growth -----------------------------------------------------------------

test(
  "SharedMap: grows to 100,000 keys, all retrievable, then shrinks and regrows",
  () => {
    const map = new SharedMap<SharedKey, number>();
    const key = (i: number): SharedKey =>
      i % 3 === 0 ? i : i % 3 === 1 ? `s${i}` : [i, "a"];
    for (let i = 0; i < 100_000; i++) map.set(key(i), i);
    assert.equal(map.size, 100_000);
    const wrong: number[] = [];
    for (let i = 0; i < 100_000; i++) {
      if (map.get(key(i)) !== i) wrong.push(i);
    }
    assert.deepEqual(wrong.slice(0, 10), [], "keys not found or wrong");
    assert.equal(map.get(100_000), undefined);
    assert.equal(map.get("100000"), undefined);

    for (let i = 0; i < 100_000; i += 2) assert.equal(map.delete(key(i)), true);
    assert.equal(map.size, 50_000);
    for (let i = 0; i < 100_000; i++) {
      if (map.has(key(i)) !== (i % 2 === 1)) wrong.push(i);
    }
    assert.deepEqual(wrong.slice(0, 10), [], "wrong presence after deletes");
    for (let i = 0; i < 100_000; i += 2) map.set(key(i), -i);
    assert.equal(map.size, 100_000);
    const keys = [...map.keys()];
    assert.deepEqual(keys.slice(0, 3), [key(1), key(3), key(5)]);
    assert.deepEqual(keys.slice(50_000, 50_003), [key(0), key(2), key(4)]);
    assert.equal(map.get(key(4)), -4);
    assert.equal(map.get(key(5)), 5);
  },
  60_000,
);

test(
  "SharedMap: 20,000 random operations on mixed keys agree with a Map",
  () => {
    const map = new SharedMap<SharedKey, number>();
    const model = new Map<string, [SharedKey, number]>();
    const rand = prng(777);
    const pick = (): SharedKey => {
      const i = rand(12);
      switch (rand(7)) {
        case 0:
          return i;
        case 1:
          return String(i);
        case 2:
          return BigInt(i);
        case 3:
          return [i, "x"];
        case 4:
          return [[i], [String(i)]];
        case 5:
          return i % 2 === 0;
        default:
          return i < 6 ? null : i + 0.5;
      }
    };
    for (let op = 0; op < 20_000; op++) {
      const k = pick();
      const c = canon(k);
      const where = `op ${op} on ${c}`;
      switch (rand(6)) {
        case 0:
        case 1:
          map.set(k, op);
          if (model.has(c)) model.get(c)![1] = op;
          else model.set(c, [k, op]);
          break;
        case 2:
          assert.equal(map.delete(k), model.delete(c), where);
          break;
        case 3:
          assert.equal(map.get(k), model.get(c)?.[1], where);
          assert.equal(map.has(k), model.has(c), where);
          break;
        case 4: {
          const next = map.update(k, (v) => (v ?? 0) + 1);
          const entry = model.get(c);
          if (entry) entry[1] += 1;
          else model.set(c, [k, 1]);
          assert.equal(next, model.get(c)![1], where);
          break;
        }
        case 5: {
          const got = map.setDefault(k, op);
          if (!model.has(c)) model.set(c, [k, op]);
          assert.equal(got, model.get(c)![1], where);
          break;
        }
      }
      assert.equal(map.size, model.size, where);
      if (op % 500 === 0) {
        assert.deepEqual(
          [...map],
          [...model.values()],
          where,
        );
      }
    }
    assert.deepEqual([...map], [...model.values()]);
  },
  60_000,
);

// --- re-entrancy ------------------------------------------------------------

test("SharedMap: using the map inside its own update() is a ThreadError, not a deadlock", () => {
  const map = new SharedMap<string, number>([["a", 1], ["b", 2]]);
  const calls: [string, (m: SharedMap<string, number>) => unknown][] = [
    ["get", (m) => m.get("b")],
    ["has", (m) => m.has("b")],
    ["set", (m) => m.set("b", 5)],
    ["delete", (m) => m.delete("b")],
    ["clear", (m) => m.clear()],
    ["update", (m) => m.update("b", (v) => v!)],
    ["setDefault", (m) => m.setDefault("c", 3)],
    ["keys", (m) => [...m.keys()]],
    ["values", (m) => [...m.values()]],
    ["entries", (m) => [...m.entries()]],
    ["iterate", (m) => [...m]],
    ["forEach", (m) => m.forEach(() => {})],
  ];
  for (const [what, call] of calls) {
    assert.throws(
      () =>
        map.update("a", (v) => {
          call(map);
          return v! + 100;
        }),
      ThreadError,
      `${what}() inside update()`,
    );
    assert.deepEqual([...map], [["a", 1], ["b", 2]], `after ${what}()`);
  }
  let caught: unknown;
  assert.equal(
    map.update("a", (v) => {
      try {
        map.set("z", 0);
      } catch (error) {
        caught = error;
      }
      return v! + 1;
    }),
    2,
  );
  assert.ok(caught instanceof ThreadError);
  assert.deepEqual([...map], [["a", 2], ["b", 2]]);

  const other = new SharedMap([["o", 10]]);
  assert.equal(map.update("b", (v) => v! + other.get("o")!), 12);
  other.update("o", () => map.get("a")!);
  assert.equal(other.get("o"), 2, "another map's update may read this one");
});

// --- across threads ---------------------------------------------------------

test(
  "SharedMap: 4 threads x 25,000 update(key, v => (v ?? 0) + 1) on shared keys sum exactly",
  () => {
    const map = new SharedMap<SharedKey, number>();
    const keys: SharedKey[] = ["a", 1, 1n, [1, "a"], [[2], null, true]];
    const start = new Barrier(4);
    runAll(Array.from(
      { length: 4 },
      () => new Thread({ target: countKeys, args: [map, keys, 25_000, start] }),
    ));
    assert.equal(map.size, 5);
    assert.equal(map.get("a"), 20_000);
    assert.equal(map.get(1), 20_000);
    assert.equal(map.get(1n), 20_000);
    assert.equal(map.get([1, "a"]), 20_000);
    assert.equal(map.get([[2], null, true]), 20_000);
    assert.deepEqual([...map.values()], [
      20_000,
      20_000,
      20_000,
      20_000,
      20_000,
    ]);
  },
  120_000,
);

test(
  "SharedMap: threads each set their own keys, and the main thread sees all",
  () => {
    const map = new SharedMap<
      [number, number],
      { thread: number; i: number }
    >();
    const start = new Barrier(4);
    runAll(Array.from(
      { length: 4 },
      (_, t) =>
        new Thread({ target: setOwnKeys, args: [map, t, 5_000, start] }),
    ));
    assert.equal(map.size, 20_000);
    const wrong: string[] = [];
    for (let t = 0; t < 4; t++) {
      for (let i = 0; i < 5_000; i++) {
        const v = map.get([t, i]);
        if (v?.thread !== t || v.i !== i) wrong.push(`${t},${i}`);
      }
    }
    assert.deepEqual(wrong.slice(0, 10), [], "keys not found or wrong");
    // Each thread's keys are in the order that thread set them.
    const keys = [...map.keys()];
    for (let t = 0; t < 4; t++) {
      const own = keys.filter(([k]) => k === t).map(([, i]) => i);
      assert.ok(own.every((i, at) => i === at), `thread ${t}'s order`);
    }
  },
  120_000,
);

test(
  "SharedMap: setDefault() racing in 4 threads: one value wins per key, all see it",
  () => {
    const n = 2_000;
    const map = new SharedMap<number, number>();
    const out = new Int32Array(new SharedArrayBuffer(4 * n * 4)).fill(-1);
    const start = new Barrier(4);
    runAll(Array.from(
      { length: 4 },
      (_, t) =>
        new Thread({ target: raceSetDefault, args: [map, t, n, out, start] }),
    ));
    assert.equal(map.size, n);
    const wrong: number[] = [];
    for (let i = 0; i < n; i++) {
      const winner = map.get(i)!;
      if (!(winner >= 0 && winner < 4)) wrong.push(i);
      for (let t = 0; t < 4; t++) if (out[t * n + i] !== winner) wrong.push(i);
    }
    assert.deepEqual(wrong.slice(0, 10), [], "keys where threads disagree");
  },
  120_000,
);

test(
  "SharedMap: a thread sees and changes the same map, passed in args or by a Queue",
  () => {
    const map = new SharedMap([["x", 1], ["y", 2], ["remove me", 3]]);
    runAll([new Thread({ target: sumValues, args: [map] })]);
    assert.deepEqual([...map], [["x", 1], ["y", 2], ["sum", 6]]);

    const queue = new Queue<SharedMap<number, number>>();
    const target = new SharedMap<number, number>([[0, -1]]);
    const t = new Thread({ target: fillFromQueue, args: [queue, [1, 2, 3]] });
    t.start();
    queue.put(target);
    assert.equal(t.join(PATIENCE), true);
    assert.deepEqual([...target], [[0, -1], [1, 10], [2, 20], [3, 30]]);
  },
  120_000,
);

test(
  "SharedMap: primitives stored in it are the same ones in another thread",
  () => {
    const event = new Event();
    const value = new SharedValue(41);
    const map = new SharedMap<string, Event | SharedValue<number>>([
      ["event", event],
      ["value", value],
    ]);
    runAll([new Thread({ target: useStoredPrimitives, args: [map] })]);
    assert.equal(event.isSet(), true);
    assert.equal(value.get(), 42);

    const list = new SharedList<string>();
    const lists = new SharedMap([["list", list]]);
    runAll([new Thread({ target: pushToStoredList, args: [lists, "hi"] })]);
    assert.deepEqual(list.toArray(), ["hi"]);
  },
  120_000,
);

test("a call waiting for a map whose holder ended inside update() throws ThreadError instead of hanging", () => {
  const map = new SharedMap<string, number>([["k", 1]]);
  const t = new Thread({ target: exitInUpdate, args: [map] });
  t.start();
  t.join();
  const began = performance.now();
  assert.throws(
    () => map.get("k"),
    (error: Error) =>
      error instanceof ThreadError &&
      /^SharedMap is locked by the thread of ident \d+, which has ended without unlocking it/
        .test(error.message),
  );
  assert.ok(performance.now() - began < 5_000);
});

Deno.test({
  name:
    "a map whose update() ran out of memory: the next call throws ThreadError naming that, the process goes on",
  timeout: 120_000,
}, async () => {
  const r = await runChild(
    new URL("./_oom_program.ts", import.meta.url),
    ["container"],
  );
  assert.equal(r.code, 0, r.err);
  assert.match(r.err, /^Exception in thread hog:\nMemoryError: /m);
  assert.match(
    r.out,
    /^ThreadError: SharedMap is locked by the thread of ident \d+, which has ended without unlocking it \(it ran out of memory inside update\(\)\?\): nothing will unlock it\nmain done\n$/,
  );
});

// --- classes ----------------------------------------------------------------

test("set() refuses an instance of a class its module does not export, naming its path; the map is unchanged", () => {
  const map = new SharedMap<string, unknown>([["k", 1]]);
  assert.throws(
    () => map.set("k", { list: [0, makeHidden()] }),
    /^TypeError: Cannot pass an instance of class Hidden, which is not exported .* \(at value\.list\[1\]\)/,
  );
  assert.equal(map.get("k"), 1);
  map.set("k", 2);
  assert.equal(map.get("k"), 2);
});

test("get() of a value a thread cannot rebuild throws a TypeError naming the class and its module, and the value stays", async () => {
  const map = new SharedMap<string, unknown>([["u", new Unloaded("u", [7])]]);
  const out = new Queue<string>();
  const t = new Thread({ target: readUnrebuildable, args: [map, out] });
  t.start();
  assert.equal(await t.joinAsync(PATIENCE), true);
  const report = JSON.parse(out.get({ timeout: PATIENCE }));
  for (const read of report.reads) {
    assert.match(
      read.error,
      /^TypeError: Cannot rebuild an instance of class Unloaded \(exported by file:.*_unloaded_class\.ts\)/,
    );
  }
  assert.deepStrictEqual(report.stays, { has: true, size: 1 });
  assert.ok(map.get("u") instanceof Unloaded);
});

test("SharedMap keeps small integers without a record, exactly, and counts them in maxBytes as encoded", () => {
  const edge = [
    0,
    -0,
    1,
    -1,
    2 ** 30 - 1,
    -(2 ** 30),
    2 ** 30,
    -(2 ** 30) - 1,
    2 ** 31 - 1,
    -(2 ** 31),
    0.5,
    NaN,
  ];
  const map = new SharedMap<number, number>(edge.map((v, i) => [i, v]));
  edge.forEach((v, i) => assert.ok(Object.is(map.get(i), v), `${v}`));
  // -0 stays -0 (a float), 2^30 and beyond are records: all exact.
  const tiny = new SharedMap<string, number>([], { maxBytes: 64 });
  tiny.set("a", 1);
  const small = tiny.update("a", (n) => n! + 1);
  assert.equal(small, 2);
  // An immediate counts what it would take encoded: this bound holds as
  // it did when every value was a record.
  assert.throws(() => {
    for (let i = 0; i < 100; i++) tiny.set(`k${i}`, i);
  }, RangeError);
});
