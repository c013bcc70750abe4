// Tests of the internal codec (src/_codec.ts): fidelity against
// structuredClone, the library's own rules (copied views over a buffer of
// their own, shared memory shared, classes kept), data that is only data, and
// refusals that name where they were.
import assert from "node:assert/strict";
import { decode, decodeAsync, encode } from "../src/_codec/codec.ts";
import { Thread } from "../mod.ts";
import { test } from "./_helpers.ts";
import {
  decodeLateClass,
  decodePointSync,
  Point,
  SharedText,
} from "./_fixtures.ts";

const FIXTURES = new URL("./_fixtures.ts", import.meta.url).href;
const LATE = new URL("./_codec_late_class.ts", import.meta.url).href;
const here = (): string[] => [import.meta.url];

/** Encodes `value` and copies the bytes out of the reused scratch buffer. */
function encoded(
  value: unknown,
  modules: () => string[] = here,
): { bytes: Uint8Array; sabs: SharedArrayBuffer[] } {
  const { bytes, sabs } = encode(value, "value", modules);
  return { bytes: bytes.slice(), sabs };
}

/** decode(encode(value)), with the shared buffers passed back. */
function roundTrip<T>(value: T, modules: () => string[] = here): T {
  const { bytes, sabs } = encoded(value, modules);
  return decode(bytes, sabs) as T;
}

/** decodeAsync(encode(value)), with the shared buffers passed back. */
async function roundTripAsync<T>(
  value: T,
  modules: () => string[] = here,
): Promise<T> {
  const { bytes, sabs } = encoded(value, modules);
  return await decodeAsync(bytes, sabs) as T;
}

/** Both decodes of `value`: [sync, async]. */
async function bothWays<T>(value: T): Promise<[T, T]> {
  return [roundTrip(value), await roundTripAsync(value)];
}

/** Asserts that both decodes of every value deep-equal its structuredClone. */
async function matchesClone(
  cases: Record<string, unknown>,
): Promise<void> {
  for (const [what, value] of Object.entries(cases)) {
    const expected = structuredClone(value);
    const [sync, async] = await bothWays(value);
    assert.deepStrictEqual(sync, expected, `${what} (decode)`);
    assert.deepStrictEqual(async, expected, `${what} (decodeAsync)`);
  }
}

// Fidelity: structuredClone's.

Deno.test("decode(encode(v)) matches structuredClone for numbers: ints, floats, -0, NaN, Infinity", async () => {
  await matchesClone({
    zero: 0,
    one: 1,
    minusOne: -1,
    int32Max: 2 ** 31 - 1,
    int32Min: -(2 ** 31),
    aboveInt32: 2 ** 31,
    belowInt32: -(2 ** 31) - 1,
    maxSafe: Number.MAX_SAFE_INTEGER,
    minSafe: Number.MIN_SAFE_INTEGER,
    huge: 1e300,
    maxValue: Number.MAX_VALUE,
    tiny: Number.MIN_VALUE,
    epsilon: Number.EPSILON,
    float: 0.1 + 0.2,
    negativeFloat: -1234.5678,
    nan: NaN,
    infinity: Infinity,
    minusInfinity: -Infinity,
    all: [0, -0, NaN, 1.5, -(2 ** 53), Infinity],
  });
  for (const decoded of await bothWays(-0)) {
    assert.ok(Object.is(decoded, -0), "-0 stays -0");
  }
  for (const decoded of await bothWays({ z: -0, list: [-0] })) {
    assert.ok(Object.is(decoded.z, -0) && Object.is(decoded.list[0], -0));
  }
  for (const decoded of await bothWays(NaN)) {
    assert.ok(Number.isNaN(decoded));
  }
});

Deno.test("decode(encode(v)) matches structuredClone for bigints: zero, positive, negative, huge", async () => {
  const huge = 2n ** 1000n + 12345678901234567890n;
  await matchesClone({
    zero: 0n,
    one: 1n,
    minusOne: -1n,
    word: 0xffffffffn,
    twoWords: 0x1_0000_0000n,
    int64Max: 2n ** 63n - 1n,
    huge,
    minusHuge: -huge,
    inAnArray: [1n, -(2n ** 200n)],
  });
  for (const decoded of await bothWays(huge)) {
    assert.equal(typeof decoded, "bigint");
    assert.equal(decoded, huge);
  }
});

Deno.test("a BigInt of 1 MB is encoded and decoded in linear time: well under 100 ms, as structuredClone takes milliseconds", async () => {
  // 2^8,000,000 - c: a million bytes, every one of them significant.
  const big = (1n << 8_000_000n) - 123_456_789_987_654_321n;
  for (const value of [big, -big, Object(big)]) {
    let best = Infinity;
    let decoded: unknown;
    for (let round = 0; round < 3; round++) {
      const begin = performance.now();
      decoded = roundTrip(value);
      best = Math.min(best, performance.now() - begin);
    }
    assert.ok(best < 100, `encode + decode took ${best.toFixed(1)} ms`);
    assert.equal(
      typeof value === "bigint" ? decoded : (decoded as bigint).valueOf(),
      value.valueOf(),
    );
    const async = await roundTripAsync(value);
    assert.equal(
      typeof value === "bigint" ? async : (async as bigint).valueOf(),
      value.valueOf(),
    );
  }
  // Either side of the 64-bit boundary the writer switches at.
  const edges = [2n ** 64n - 1n, 2n ** 64n, 2n ** 64n + 1n, 2n ** 72n - 1n];
  await matchesClone(Object.fromEntries(
    edges.flatMap((v, i) => [[`p${i}`, v], [`n${i}`, -v]]),
  ));
});

Deno.test("decode(encode(v)) matches structuredClone for strings: empty, ASCII, Latin-1, non-BMP, >256 chars, >64KB", async () => {
  const cases = {
    empty: "",
    ascii: "hello, world",
    latin1: "café déjà vu ÿ ©",
    bmp: "日本語 Ελληνικά",
    emoji: "🧵🪡 weft 😀",
    shortLoneSurrogates: "a\ud800b\udc00",
    exactly255: "x".repeat(255),
    exactly256: "y".repeat(256),
    long: "long string ".repeat(40),
    longLatin1: "é".repeat(300),
    longEmoji: "😀".repeat(300),
    over64k: "0123456789abcdef".repeat(4100) + "ü€😀",
    control: "\u0000\u0001\u001f\u007f\u0080",
    asKeys: { "": 1, "é": 2, "😀": 3, ["k".repeat(300)]: 4 },
  };
  await matchesClone(cases);
  for (const decoded of await bothWays(cases.over64k)) {
    assert.equal(decoded.length, cases.over64k.length);
    assert.equal(decoded, cases.over64k);
  }
});

// Long strings travel as UTF-8, which has no lone surrogates: such strings
// must take the UTF-16 path (they once came back with U+FFFD).
Deno.test("decode(encode(v)) matches structuredClone for long strings (256+ code units) holding lone surrogates, as values and keys", async () => {
  const lone = "a".repeat(300) + "\ud800" + "b" + "\udfff";
  const key = "k".repeat(300) + "\udc00";
  assert.equal(structuredClone(lone), lone, "structuredClone keeps them");
  for (const decoded of await bothWays(lone)) {
    assert.equal(decoded.length, lone.length);
    assert.equal(decoded, lone);
  }
  for (const decoded of await bothWays({ [key]: 1 })) {
    assert.deepStrictEqual(Object.keys(decoded), [key]);
  }
});

Deno.test("decode(encode(v)) matches structuredClone for booleans, null and undefined", async () => {
  await matchesClone({
    true: true,
    false: false,
    null: null,
    undefined: undefined,
    inObject: { t: true, f: false, n: null, u: undefined },
    inArray: [true, false, null, undefined],
  });
  const [sync] = await bothWays({ u: undefined });
  assert.ok("u" in sync, "an undefined field stays a field");
});

Deno.test("decode(encode(v)) matches structuredClone for nested plain objects and arrays", async () => {
  const deep: Record<string, unknown> = { level: 0 };
  let at = deep;
  for (let i = 1; i < 200; i++) {
    const next = { level: i, list: [i, String(i)] };
    at.next = next;
    at = next;
  }
  await matchesClone({
    emptyObject: {},
    emptyArray: [],
    nested: { a: { b: { c: [1, [2, [3, { d: "e" }]]] } }, f: [[], {}] },
    numericKeys: { 2: "two", 1: "one", b: "b", a: "a", "-1": "minus" },
    manyKeys: Object.fromEntries(
      Array.from({ length: 300 }, (_, i) => [`key${i}`, i]),
    ),
    bigArray: Array.from({ length: 10_000 }, (_, i) => i * 1.5),
    deep,
  });
  const [sync] = await bothWays({ 2: "two", b: "b", 1: "one", a: "a" });
  assert.deepStrictEqual(Object.keys(sync), ["1", "2", "b", "a"]);
});

Deno.test("decode(encode(v)) matches structuredClone for arrays with holes and sparse arrays: holes stay holes", async () => {
  // deno-lint-ignore no-sparse-arrays
  const holes = [1, , 3];
  // deno-lint-ignore no-sparse-arrays
  const trailing = [1, 2, ,];
  const sparse: unknown[] = [];
  sparse[5] = "five";
  sparse[1000] = "thousand";
  const allHoles = new Array(10);
  const huge: unknown[] = [];
  huge[2 ** 32 - 2] = "last";
  await matchesClone({ holes, trailing, sparse, allHoles, huge });
  for (const decoded of await bothWays(holes)) {
    assert.equal(decoded.length, 3);
    assert.equal(1 in decoded, false, "index 1 is a hole");
    assert.equal(decoded[2], 3);
  }
  for (const decoded of await bothWays(sparse)) {
    assert.equal(decoded.length, 1001);
    assert.deepStrictEqual(Object.keys(decoded), ["5", "1000"]);
  }
  for (const decoded of await bothWays(trailing)) {
    assert.equal(decoded.length, 3);
    assert.equal(2 in decoded, false);
  }
  for (const decoded of await bothWays(huge)) {
    assert.equal(decoded.length, 2 ** 32 - 1);
    assert.equal(decoded[2 ** 32 - 2], "last");
  }
  const withUndefined = [undefined, undefined];
  for (const decoded of await bothWays(withUndefined)) {
    assert.equal(0 in decoded, true, "undefined elements are not holes");
  }
});

Deno.test("an index inherited from Array.prototype is never copied into an array: holes stay holes, the length and own elements stay", async () => {
  const proto = Array.prototype as unknown as Record<number, unknown>;
  // deno-lint-ignore no-sparse-arrays
  const holes = [1, , 3];
  const sparse = new Array(5);
  sparse[3] = "three";
  // Enumerable indices on the prototype: one a hole reads through to, one
  // past every length (for...in lists both).
  proto[1] = "inherited one";
  proto[7] = "inherited seven";
  try {
    for (const value of [holes, sparse]) {
      const expected = structuredClone(value);
      for (const decoded of await bothWays(value)) {
        assert.equal(decoded.length, expected.length);
        assert.deepStrictEqual(Object.keys(decoded), Object.keys(expected));
        assert.equal(Object.hasOwn(decoded, 1), false, "index 1 is a hole");
        assert.equal(Object.hasOwn(decoded, 7), false);
      }
    }
  } finally {
    delete proto[1];
    delete proto[7];
  }
});

// An array with a hole is written sparse. The writer once found the hole
// after writing the elements before it, so their objects kept numbers for
// back-references that the reader never saw: they came back undefined, later
// back-references pointed at the wrong objects, and a view before the hole
// corrupted the message.
Deno.test("decode(encode(v)) matches structuredClone for arrays whose object elements come before a hole", async () => {
  const shared = { s: 1 };
  const buffer = new Uint8Array([0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11]).buffer;
  await matchesClone({
    // deno-lint-ignore no-sparse-arrays
    objectThenHole: [{ a: 1 }, , 3],
    // deno-lint-ignore no-sparse-arrays
    nestedThenHole: [[shared], , shared],
    // deno-lint-ignore no-sparse-arrays
    laterBackReference: { x: [{ a: 1 }, ,], y: shared, z: shared },
    // deno-lint-ignore no-sparse-arrays
    viewThenHole: [new Uint8Array(buffer, 4, 4), , "hello", 7, 8, 9],
  });
});

// structuredClone turns an object with a null prototype into a plain object;
// the codec keeps the null prototype (a deliberate difference: nothing is
// inherited where the sender had nothing). The entries are structuredClone's.
Deno.test("decode(encode(v)) keeps objects with a null prototype (structuredClone's entries, the null prototype kept)", async () => {
  const bare = Object.create(null) as Record<string, unknown>;
  bare.a = 1;
  bare.nested = Object.assign(Object.create(null), { b: [2] });
  bare["toString" as string] = "not a method";
  const value = { bare, inArray: [bare, { plain: true }] };
  for (const decoded of await bothWays(value)) {
    assert.deepStrictEqual(decoded, value, "the same entries and prototypes");
    assert.equal(Object.getPrototypeOf(decoded.bare), null);
    assert.equal(Object.getPrototypeOf(decoded.bare.nested), null);
    assert.equal(decoded.bare["toString" as string], "not a method");
    assert.equal(decoded.inArray[0], decoded.bare);
    assert.equal(Object.getPrototypeOf(decoded.inArray[1]), Object.prototype);
    assert.deepStrictEqual(
      Object.keys(decoded.bare),
      Object.keys(structuredClone(bare)),
    );
  }
});

Deno.test("decode(encode(v)) matches structuredClone for Maps and Sets, object keys included", async () => {
  const key = { id: 1 };
  const map = new Map<unknown, unknown>([
    ["string", 1],
    [2, "number"],
    [key, { value: "object key" }],
    [[1, 2], new Set([1])],
    [NaN, "nan"],
    [-0, "minus zero"],
  ]);
  const set = new Set<unknown>([1, "1", key, [key], { other: true }, NaN]);
  await matchesClone({
    map,
    set,
    empty: [new Map(), new Set()],
    nested: new Map([["inner", new Map([["deeper", new Set([map])]])]]),
  });
  for (const decoded of await bothWays({ map, set, key })) {
    const keys = [...decoded.map.keys()];
    assert.equal(keys[2], decoded.key, "the key object is the one `key`");
    assert.deepStrictEqual(decoded.map.get(decoded.key), {
      value: "object key",
    });
    assert.ok(decoded.set.has(decoded.key));
    assert.equal(decoded.map.size, 6);
    assert.equal(decoded.set.size, 6);
  }
});

Deno.test("decode(encode(v)) matches structuredClone for Dates (invalid too) and RegExps with flags", async () => {
  const sticky = /a/y;
  sticky.lastIndex = 3;
  await matchesClone({
    epoch: new Date(0),
    now: new Date(),
    precise: new Date(Date.UTC(2026, 11, 25, 1, 2, 3, 456)),
    negative: new Date(-8.64e15),
    invalid: new Date(NaN),
    regexp: /a+b(c)?/,
    flags: /x[y]z/gimsuy,
    indices: /(?<name>q)/d,
    unicodeSets: /[\p{L}--[a-z]]/v,
    slashes: new RegExp("a/b\\/c", "g"),
    sticky,
  });
  for (const decoded of await bothWays(new Date(NaN))) {
    assert.ok(decoded instanceof Date);
    assert.ok(Number.isNaN(decoded.getTime()), "still an invalid Date");
  }
  for (const decoded of await bothWays(/x[y]z/gimsuy)) {
    assert.ok(decoded instanceof RegExp);
    assert.equal(decoded.source, "x[y]z");
    assert.equal(decoded.flags, "gimsuy");
    assert.ok(decoded.test("XYZ"));
  }
});

Deno.test("decode(encode(v)) matches structuredClone for boxed Boolean, Number, String and BigInt", async () => {
  const cases = {
    true: Object(true),
    false: Object(false),
    number: Object(1.5),
    minusZero: Object(-0),
    nan: Object(NaN),
    string: Object("boxed"),
    longString: Object("é😀".repeat(200)),
    bigint: Object(1n),
    hugeBigint: Object(-(2n ** 100n)),
  };
  await matchesClone(cases);
  for (const [what, value] of Object.entries(cases)) {
    for (const decoded of await bothWays(value)) {
      assert.equal(typeof decoded, "object", `${what} stays boxed`);
      assert.ok(
        Object.is(decoded.valueOf(), value.valueOf()),
        `${what}: valueOf`,
      );
    }
  }
  for (const decoded of await bothWays(Object(1n))) {
    assert.equal(typeof decoded, "object");
    assert.equal(decoded.valueOf(), 1n);
    assert.ok(decoded instanceof BigInt);
  }
});

Deno.test("decode(encode(v)) matches structuredClone for Errors of every built-in type, with message, stack and cause", async () => {
  const types = [
    Error,
    EvalError,
    RangeError,
    ReferenceError,
    SyntaxError,
    TypeError,
    URIError,
  ];
  for (const type of types) {
    const error = new type(`a ${type.name}`, {
      cause: { code: 42, inner: new Error("inner") },
    });
    await matchesClone({ [type.name]: error });
    for (const decoded of await bothWays(error)) {
      assert.equal(Object.getPrototypeOf(decoded), type.prototype);
      assert.ok(decoded instanceof type);
      assert.equal(decoded.name, type.name);
      assert.equal(decoded.message, `a ${type.name}`);
      assert.equal(decoded.stack, error.stack, "the stack is kept");
      assert.deepStrictEqual(decoded.cause, error.cause);
      assert.ok((decoded.cause as { inner: Error }).inner instanceof Error);
      assert.equal(Object.keys(decoded).length, 0, "nothing enumerable added");
    }
  }
  const plain = new Error("no cause");
  await matchesClone({
    plain,
    empty: new Error(),
    primitiveCause: new Error("p", { cause: "why" }),
  });
  for (const decoded of await bothWays(plain)) {
    assert.equal("cause" in decoded, false, "no cause appears");
  }
  const chain = new RangeError("outer", {
    cause: new TypeError("middle", { cause: new Error("root") }),
  });
  for (const decoded of await bothWays(chain)) {
    const middle = decoded.cause as Error;
    assert.ok(middle instanceof TypeError);
    assert.equal((middle.cause as Error).message, "root");
  }
});

Deno.test("decode(encode(v)) matches structuredClone for ArrayBuffers; a resizable one stays resizable with its maxByteLength", async () => {
  const plain = new Uint8Array([1, 2, 3, 250]).buffer;
  const resizable = new ArrayBuffer(8, { maxByteLength: 64 });
  new Uint8Array(resizable).set([9, 8, 7, 6, 5, 4, 3, 2]);
  await matchesClone({ plain, empty: new ArrayBuffer(0), resizable });
  for (const decoded of await bothWays(resizable)) {
    assert.ok(decoded instanceof ArrayBuffer);
    assert.equal(decoded.resizable, true);
    assert.equal(decoded.maxByteLength, 64);
    assert.equal(decoded.byteLength, 8);
    assert.deepStrictEqual([...new Uint8Array(decoded)], [
      9,
      8,
      7,
      6,
      5,
      4,
      3,
      2,
    ]);
    decoded.resize(32);
    assert.equal(decoded.byteLength, 32);
    assert.notEqual(decoded, resizable, "a copy");
  }
  for (const decoded of await bothWays(plain)) {
    assert.equal(decoded.resizable, false);
    assert.deepStrictEqual([...new Uint8Array(decoded)], [1, 2, 3, 250]);
  }
});

// The one documented difference for views: JavaScript cannot tell a view that
// tracks the length of a resizable buffer from one of fixed length, so it
// arrives with the length it had, over the same (still resizable) buffer.
Deno.test("a length-tracking view arrives over its resizable buffer with the length it had", async () => {
  const buffer = new ArrayBuffer(4, { maxByteLength: 16 });
  const value = { buffer, view: new Uint8Array(buffer) };
  for (const decoded of await bothWays(value)) {
    assert.equal(decoded.view.buffer, decoded.buffer);
    assert.equal(decoded.buffer.resizable, true);
    decoded.buffer.resize(8);
    assert.equal(decoded.view.length, 4, "not tracking: the length it had");
  }
});

const TYPED_ARRAYS = [
  Int8Array,
  Uint8Array,
  Uint8ClampedArray,
  Int16Array,
  Uint16Array,
  Int32Array,
  Uint32Array,
  Float32Array,
  Float64Array,
  BigInt64Array,
  BigUint64Array,
] as const;

Deno.test("decode(encode(v)) matches structuredClone for DataView and every typed array type", async () => {
  for (const type of TYPED_ARRAYS) {
    const big = type === BigInt64Array || type === BigUint64Array;
    const items = [1, 2, 3, 200, 7].map((n) => big ? BigInt(n) : n);
    const array = new (type as unknown as new (
      items: unknown[],
    ) => ArrayLike<unknown>)(items);
    const empty = new type(0);
    await matchesClone({ [type.name]: array, [`empty ${type.name}`]: empty });
    for (const decoded of await bothWays(array)) {
      assert.equal(Object.getPrototypeOf(decoded), type.prototype, type.name);
      assert.deepStrictEqual(Array.from(decoded as ArrayLike<unknown>), [
        ...Array.from(array),
      ]);
    }
  }
  const bytes = new Uint8Array([1, 2, 3, 4, 5, 6]);
  const view = new DataView(bytes.buffer, 1, 4);
  await matchesClone({ view, whole: new DataView(bytes.buffer) });
  for (const decoded of await bothWays(view)) {
    assert.ok(decoded instanceof DataView);
    assert.equal(decoded.byteLength, 4);
    assert.equal(decoded.getUint32(0), 0x02030405);
  }
});

// Float16Array is a typed array of this V8; it was once refused.
Deno.test("decode(encode(v)) matches structuredClone for Float16Array", async () => {
  const Float16 = (globalThis as {
    Float16Array?: new (items: number[]) => ArrayLike<number>;
  }).Float16Array;
  if (Float16 === undefined) return; // not in this runtime
  const array = new Float16([1.5, -2, 65504, 0.000061035156]);
  await matchesClone({ array });
  for (const decoded of await bothWays(array)) {
    assert.equal(Object.getPrototypeOf(decoded), Float16.prototype);
    assert.deepStrictEqual(Array.from(decoded), [
      ...Array.from(array),
    ]);
  }
});

Deno.test("decode(encode(v)) matches structuredClone for cycles: objects, arrays, Maps, Sets and errors that contain themselves", async () => {
  const object: Record<string, unknown> = { name: "self" };
  object.self = object;
  object.list = [object];
  const array: unknown[] = [1];
  array.push(array);
  const map = new Map<unknown, unknown>();
  map.set(map, map);
  map.set("object", object);
  const set = new Set<unknown>();
  set.add(set);
  const error = new Error("self") as Error & { cause: unknown };
  error.cause = error;
  // (node:assert recurses forever on an error that is its own cause.)
  await matchesClone({ object, array, map, set });
  for (const decoded of await bothWays(object)) {
    assert.equal(decoded.self, decoded);
    assert.equal((decoded.list as unknown[])[0], decoded);
  }
  for (const decoded of await bothWays(array)) {
    assert.equal(decoded[1], decoded);
  }
  for (const decoded of await bothWays(map)) {
    assert.equal(decoded.get(decoded), decoded);
    assert.equal([...decoded.keys()][0], decoded);
    const inner = decoded.get("object") as Record<string, unknown>;
    assert.equal(inner.self, inner);
  }
  for (const decoded of await bothWays(set)) {
    assert.ok(decoded.has(decoded));
  }
  for (const decoded of await bothWays(error)) {
    assert.equal(decoded.cause, decoded);
  }
});

Deno.test("decode(encode(v)) keeps shared references: one object twice comes back as one object twice", async () => {
  const shared = { id: 1 };
  const date = new Date(5);
  const typed = new Int16Array([1, 2]);
  const value = {
    a: shared,
    b: shared,
    list: [shared, shared, date, date, typed, typed],
    map: new Map([[shared, shared]]),
    set: new Set([shared]),
  };
  await matchesClone({ value });
  for (const decoded of await bothWays(value)) {
    assert.equal(decoded.a, decoded.b);
    assert.equal(decoded.list[0], decoded.a);
    assert.equal(decoded.list[1], decoded.a);
    assert.equal(decoded.list[2], decoded.list[3]);
    assert.equal(decoded.list[4], decoded.list[5]);
    assert.equal([...decoded.map.keys()][0], decoded.a);
    assert.equal(decoded.map.get(decoded.a), decoded.a);
    assert.ok(decoded.set.has(decoded.a));
    assert.notEqual(decoded.a, shared, "a copy");
  }
  // More objects than the writer's short list of seen objects.
  const many = Array.from({ length: 40 }, (_, i) => ({ i }));
  const twice = [...many, ...many, ...many.map((o) => [o])];
  await matchesClone({ twice });
  for (const decoded of await bothWays(twice)) {
    for (let i = 0; i < 40; i++) {
      assert.equal(decoded[i], decoded[40 + i], `object ${i}`);
      assert.equal((decoded[80 + i] as unknown[])[0], decoded[i]);
    }
  }
});

Deno.test("named properties set on an array besides its elements are not carried (an intended difference from structuredClone)", async () => {
  const array = [1, 2, 3] as number[] & { extra?: string };
  array.extra = "named";
  assert.equal(structuredClone(array).extra, "named", "structuredClone has it");
  for (const decoded of await bothWays(array)) {
    assert.deepStrictEqual(decoded, [1, 2, 3]);
    assert.equal("extra" in decoded, false);
  }
  // deno-lint-ignore no-sparse-arrays
  const sparse = [1, , 3] as number[] & { extra?: string };
  sparse.extra = "named";
  for (const decoded of await bothWays(sparse)) {
    assert.equal("extra" in decoded, false);
    assert.equal(decoded.length, 3);
    assert.equal(decoded[2], 3);
  }
});

// The library's own rules for buffers.

Deno.test("a copied typed array arrives over a buffer of its own holding only its bytes", async () => {
  const buffer = new ArrayBuffer(16);
  new Uint8Array(buffer).set([
    0,
    1,
    2,
    3,
    4,
    5,
    6,
    7,
    8,
    9,
    10,
    11,
    12,
    13,
    14,
    15,
  ]);
  for (const decoded of await bothWays(new Uint8Array(buffer, 4, 4))) {
    assert.equal(decoded.buffer.byteLength, 4);
    assert.equal(decoded.byteOffset, 0);
    assert.deepStrictEqual([...decoded], [4, 5, 6, 7]);
    assert.notEqual(decoded.buffer, buffer);
  }
  for (
    const decoded of await bothWays({ wide: new Int32Array(buffer, 8, 2) })
  ) {
    assert.equal(decoded.wide.buffer.byteLength, 8);
    assert.equal(decoded.wide.byteOffset, 0);
    assert.deepStrictEqual(
      [...new Uint8Array(decoded.wide.buffer)],
      [8, 9, 10, 11, 12, 13, 14, 15],
    );
  }
  for (const decoded of await bothWays([new DataView(buffer, 2, 3)])) {
    assert.equal(decoded[0].buffer.byteLength, 3);
    assert.equal(decoded[0].byteOffset, 0);
    assert.equal(decoded[0].getUint8(0), 2);
  }
  const resizable = new ArrayBuffer(8, { maxByteLength: 32 });
  new Uint8Array(resizable).set([1, 2, 3, 4, 5, 6, 7, 8]);
  for (const decoded of await bothWays(new Uint8Array(resizable, 2, 2))) {
    assert.equal(decoded.buffer.byteLength, 2);
    assert.deepStrictEqual([...decoded], [3, 4]);
  }
  // The same view twice is still one view over one small buffer.
  const view = new Uint8Array(buffer, 12, 2);
  for (const decoded of await bothWays([view, view])) {
    assert.equal(decoded[0], decoded[1]);
    assert.equal(decoded[0].buffer.byteLength, 2);
    assert.deepStrictEqual([...decoded[0]], [12, 13]);
  }
});

Deno.test("a view held with its ArrayBuffer, or two views over one buffer, still share one buffer after decoding, as with structuredClone", async () => {
  const buffer = new ArrayBuffer(16);
  new Uint8Array(buffer).set([
    0,
    1,
    2,
    3,
    4,
    5,
    6,
    7,
    8,
    9,
    10,
    11,
    12,
    13,
    14,
    15,
  ]);
  const viewFirst = { view: new Uint8Array(buffer, 4, 4), buffer };
  const bufferFirst = { buffer, view: new Uint8Array(buffer, 4, 4) };
  await matchesClone({ viewFirst, bufferFirst });
  for (const value of [viewFirst, bufferFirst]) {
    for (const decoded of await bothWays(value)) {
      assert.equal(decoded.view.buffer, decoded.buffer);
      assert.equal(decoded.buffer.byteLength, 16);
      assert.equal(decoded.view.byteOffset, 4);
      assert.deepStrictEqual([...decoded.view], [4, 5, 6, 7]);
      decoded.view[0] = 99;
      assert.equal(new Uint8Array(decoded.buffer)[4], 99);
    }
  }
  const twoViews = {
    a: new Uint8Array(buffer, 0, 4),
    b: new Uint16Array(buffer, 8, 2),
  };
  await matchesClone({ twoViews });
  for (const decoded of await bothWays(twoViews)) {
    assert.equal(decoded.a.buffer, decoded.b.buffer);
    assert.equal(decoded.a.buffer.byteLength, 16);
    assert.equal(decoded.a.byteOffset, 0);
    assert.equal(decoded.b.byteOffset, 8);
    assert.equal(decoded.b.length, 2);
    assert.deepStrictEqual([...new Uint8Array(decoded.b.buffer, 8, 4)], [
      8,
      9,
      10,
      11,
    ]);
  }
});

Deno.test("SharedArrayBuffers and views over one come back in sabs and decode to the same SharedArrayBuffer", async () => {
  const sab = new SharedArrayBuffer(16);
  const other = new SharedArrayBuffer(8);
  const value = {
    sab,
    view: new Int32Array(sab, 4, 2),
    nested: [new Uint8Array(sab), new DataView(other, 2, 4)],
  };
  const { bytes, sabs } = encoded(value);
  assert.equal(sabs.length, 2);
  assert.equal(sabs[0], sab);
  assert.equal(sabs[1], other);
  assert.equal(
    bytes.byteLength < 200,
    true,
    "shared memory is not copied into the message",
  );
  const decoded = [
    decode(bytes, sabs) as typeof value,
    await decodeAsync(encoded(value).bytes, sabs) as typeof value,
  ];
  for (const d of decoded) {
    assert.equal(d.sab, sab);
    assert.equal(d.view.buffer, sab);
    assert.equal(d.view.byteOffset, 4);
    assert.equal(d.view.length, 2);
    assert.equal(d.nested[0].buffer, sab);
    assert.equal(d.nested[0].byteLength, 16);
    const dataView = d.nested[1] as DataView;
    assert.equal(dataView.buffer, other);
    assert.equal(dataView.byteOffset, 2);
    assert.equal(dataView.byteLength, 4);
    d.view[1] = 1234;
    assert.equal(new Int32Array(sab)[2], 1234, "the same memory");
    new Int32Array(sab)[2] = 0;
  }
  const viewOnly = encoded({ v: new Uint16Array(sab, 2, 3) });
  assert.deepStrictEqual(viewOnly.sabs, [sab]);
  const back = decode(viewOnly.bytes, viewOnly.sabs) as { v: Uint16Array };
  assert.equal(back.v.buffer, sab);
  assert.equal(back.v.byteOffset, 2);
  assert.equal(back.v.length, 3);
  assert.deepStrictEqual(encoded({ plain: 1 }).sabs, []);
});

// Data is data.

Deno.test("data is data: plain objects whose keys look like codec tags decode as equal plain objects and run nothing", async () => {
  const g = globalThis as { pwned?: unknown };
  delete g.pwned;
  const lookalike = {
    "\u0000weft": "inst",
    source: "globalThis.pwned = 1",
    modules: ["file:///nonexistent.ts"],
    ref: { "\u0000weft": "handle", kind: 1, ref: 0, name: "Lock" },
    name: "Evil",
    constructor: { name: "Function", source: "globalThis.pwned = 2" },
    "\u001f": "\u001f\u0000\u0000\u0000\u0000",
    "\u0000weft:class": {
      source: "class X { constructor() { globalThis.pwned = 3 } }",
    },
  };
  const value = {
    lookalike,
    list: [lookalike, { ...lookalike }, [{ "\u0000weft": "ref", id: 7 }]],
    map: new Map<unknown, unknown>([
      ["\u0000weft", lookalike],
      [{ "\u0000weft": "inst", source: "globalThis.pwned = 4" }, "key"],
    ]),
  };
  await matchesClone({ lookalike, value });
  for (const decoded of await bothWays(value)) {
    assert.equal(g.pwned, undefined, "nothing was evaluated");
    assert.deepStrictEqual(decoded.lookalike, lookalike);
    assert.equal(Object.getPrototypeOf(decoded.lookalike), Object.prototype);
    assert.equal(
      Object.getPrototypeOf(decoded.lookalike.ref),
      Object.prototype,
    );
    assert.equal(
      Object.getPrototypeOf(decoded.lookalike.constructor),
      Object.prototype,
    );
    assert.equal(decoded.list[0], decoded.lookalike);
    assert.equal(Object.getPrototypeOf(decoded.list[1]), Object.prototype);
    assert.deepStrictEqual(decoded.list[1], lookalike);
    const inMap = decoded.map.get("\u0000weft") as object;
    assert.equal(inMap, decoded.lookalike);
    const key = [...decoded.map.keys()][1] as Record<string, unknown>;
    assert.equal(Object.getPrototypeOf(key), Object.prototype);
    assert.equal(key.source, "globalThis.pwned = 4");
  }
  assert.equal(g.pwned, undefined);
});

Deno.test("data is data: an own __proto__ key (from JSON.parse) stays an own key and does not change the prototype", async () => {
  const json = '{"__proto__": {"polluted": true}, "a": 1, "nested": ' +
    '{"__proto__": [1, 2]}}';
  const value = JSON.parse(json);
  assert.ok(Object.hasOwn(value, "__proto__"), "JSON.parse makes an own key");
  const bare = Object.assign(Object.create(null), { b: 2 });
  Object.defineProperty(bare, "__proto__", {
    value: { polluted: true },
    enumerable: true,
    writable: true,
    configurable: true,
  });
  await matchesClone({ value });
  for (const decoded of await bothWays({ value, bare })) {
    const v = decoded.value;
    assert.equal(Object.getPrototypeOf(v), Object.prototype);
    assert.ok(Object.hasOwn(v, "__proto__"));
    assert.deepStrictEqual(Object.keys(v), ["__proto__", "a", "nested"]);
    assert.deepStrictEqual(
      Object.getOwnPropertyDescriptor(v, "__proto__")?.value,
      { polluted: true },
    );
    assert.equal(v.polluted, undefined, "not inherited");
    assert.equal(Object.getPrototypeOf(v.nested), Object.prototype);
    assert.ok(Object.hasOwn(v.nested, "__proto__"));
    assert.deepStrictEqual(decoded.bare, bare);
    assert.equal(Object.getPrototypeOf(decoded.bare), null);
    assert.ok(Object.hasOwn(decoded.bare, "__proto__"));
    assert.equal(decoded.bare.polluted, undefined);
  }
  assert.equal(({} as { polluted?: unknown }).polluted, undefined);
});

// Refusals.

Deno.test("refusals: a function, a symbol, a WeakMap, a WeakSet or a Promise is a TypeError naming its path", () => {
  const cases: [string, unknown, RegExp][] = [
    ["function", () => 1, /function/],
    ["symbol", Symbol("s"), /symbol/],
    ["WeakMap", new WeakMap(), /WeakMap/],
    ["WeakSet", new WeakSet(), /WeakSet/],
    ["Promise", Promise.resolve(1), /Promise/],
  ];
  for (const [what, bad, named] of cases) {
    assert.throws(
      () => encode({ a: [1, { f: bad }] }, "value", here),
      (error: unknown) => {
        assert.ok(error instanceof TypeError, `${what}: a TypeError`);
        assert.match(error.message, /a\[1\]\.f/, `${what}: the path`);
        assert.match(error.message, named, `${what}: what it is`);
        return true;
      },
    );
    // A refusal leaves the codec as it was.
    assert.deepStrictEqual(roundTrip({ after: [what] }), { after: [what] });
  }
  assert.throws(
    () => encode(new Map([["k", { deep: [() => 1] }]]), "args", here),
    /args\.<value 0>\.deep\[0\]/,
  );
  assert.throws(() => encode(Symbol("top"), "item", here), /at item\b/);
});

// Classes.

Deno.test("an instance of an exported class (Point) decodes synchronously to an instance of that very class", () => {
  const modules = () => [FIXTURES];
  const decoded = roundTrip(new Point(3, 4), modules);
  assert.ok(decoded instanceof Point);
  assert.equal(Object.getPrototypeOf(decoded), Point.prototype);
  assert.equal(decoded.norm(), 5);
  assert.deepStrictEqual({ ...decoded }, { x: 3, y: 4 });
  const nested = roundTrip(
    {
      list: [new Point(1, 0), new Point(0, 2)],
      map: new Map([["p", new Point(6, 8)]]),
    },
    modules,
  );
  assert.ok(nested.list.every((p) => p instanceof Point));
  assert.equal(nested.map.get("p")!.norm(), 10);
  const p = new Point(1, 1);
  const twice = roundTrip([p, p], modules);
  assert.equal(twice[0], twice[1], "one instance twice stays one instance");
});

Deno.test("decodeAsync rebuilds an instance of an exported class (Point) as that very class", async () => {
  const decoded = await roundTripAsync(
    { point: new Point(5, 12) },
    () => [FIXTURES],
  );
  assert.ok(decoded.point instanceof Point);
  assert.equal(decoded.point.norm(), 13);
});

test("a thread whose target module exports Point decodes a Point synchronously as its own Point", () => {
  const { bytes } = encoded(new Point(8, 15), () => [FIXTURES]);
  const out = new SharedText();
  const t = new Thread({ target: decodePointSync, args: [bytes, out] });
  t.start();
  assert.equal(t.join(20_000), true);
  assert.deepStrictEqual(JSON.parse(out.read()), { instance: true, norm: 17 });
});

test("a class loaded only by a dynamic import: decode and decodeAsync rebuild it here; in a thread without it, decode is a TypeError and decodeAsync imports it", async () => {
  const { LateCodecThing } = await import("./_codec_late_class.ts");
  const value = new LateCodecThing("late", [1, 2, 3]);
  const modules = () => [LATE];
  const sync = roundTrip(value, modules);
  assert.ok(sync instanceof LateCodecThing);
  assert.equal(sync.total(), 6);
  const async = await roundTripAsync(value, modules);
  assert.ok(async instanceof LateCodecThing);
  assert.equal(async.label, "late");
  const { bytes } = encoded(value, modules);
  const out = new SharedText();
  const t = new Thread({ target: decodeLateClass, args: [bytes, out] });
  t.start();
  assert.equal(await t.joinAsync(20_000), true);
  const report = JSON.parse(out.read());
  assert.match(report.sync, /^TypeError: .*LateCodecThing.*not loaded/);
  assert.deepStrictEqual(
    { instance: report.instance, label: report.label, total: report.total },
    { instance: true, label: "late", total: 6 },
    JSON.stringify(report),
  );
});

// Classes of the program's entry module (child processes: the class must be
// declared in the script that `deno run` runs).

const ENTRY_PROGRAM = new URL("./_entry_program.ts", import.meta.url);

async function runEntryProgram(mode: string): Promise<Record<string, unknown>> {
  const { code, stdout, stderr } = await new Deno.Command(Deno.execPath(), {
    args: ["run", "-A", ENTRY_PROGRAM.href, mode],
    stdout: "piped",
    stderr: "piped",
    env: { NO_COLOR: "1" },
    signal: AbortSignal.timeout(50_000),
  }).output();
  const decoder = new TextDecoder();
  assert.equal(code, 0, decoder.decode(stderr));
  return JSON.parse(decoder.decode(stdout));
}

/** What the entry program reports of a CustomTaskError with this code. */
function customError(code: number): Record<string, unknown> {
  return {
    custom: true,
    name: "CustomTaskError",
    code,
    message: `failed with ${code}`,
    cause: true,
    stack: true,
  };
}

/** The entry program's report when every class arrives as itself. */
function everyClassKept(): Record<string, unknown> {
  const thread = () => ({
    seen: { arg: true, item: true },
    back: [true, true, true],
    norms: [1, 2, 13],
    error: customError(2),
    mapPoint: true,
    mapError: customError(3),
  });
  return {
    resultSync: true,
    resultAsync: true,
    errorSync: customError(7),
    errorAsync: customError(8),
    exception: customError(9),
    threadSync: thread(),
    threadAsync: thread(),
  };
}

test(
  "a class and an Error subclass declared in the entry module round-trip through an executor, Thread args, Queues and a SharedMap, sync and async, as themselves",
  async () => {
    assert.deepStrictEqual(await runEntryProgram("after"), everyClassKept());
  },
  60_000,
);

test(
  "the entry module's classes are found synchronously once its top level waits at an await",
  async () => {
    assert.deepStrictEqual(await runEntryProgram("await"), everyClassKept());
  },
  60_000,
);

test(
  "while the entry module's top level runs, its classes cannot be rebuilt: the TypeError says why and what to do, carries the data, and the items behind come out",
  async () => {
    const report = await runEntryProgram("sync") as {
      result: { type: string; message: string; value: unknown };
      got: unknown[];
      joined: boolean;
    };
    assert.equal(report.result.type, "TypeError");
    assert.match(
      report.result.message,
      /class Point \(exported by file:.*_entry_program\.ts\): .*entry module.*its top level is still running.*module of its own/,
    );
    assert.deepStrictEqual(report.result.value, { x: 3, y: 4 });
    assert.deepStrictEqual(report.got, [
      "before",
      { type: "TypeError", value: { label: "p", point: { x: 6, y: 8 } } },
      "after",
    ]);
    assert.equal(report.joined, true);
  },
  60_000,
);
