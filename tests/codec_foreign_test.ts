// The codec's foreign values (stored outside the process, as Redis values
// are): written without anything local, read under strict rules.
import assert from "node:assert/strict";
import {
  decode,
  decodeAsync,
  discard,
  encode,
  markForeign,
} from "../src/_codec/codec.ts";
import { Lock, Queue, Thread } from "../mod.ts";

const foreign = (value: unknown) => encode(value, "value", () => [], true);

Deno.test("a foreign encode refuses what lives in this process, naming where", () => {
  const sab = new SharedArrayBuffer(8);
  for (
    const [value, path] of [
      [{ a: [1, new Lock()] }, /value\.a\[1\]/],
      [{ q: new Queue() }, /value\.q/],
      [{ s: sab }, /value\.s/],
      [{ v: new Int32Array(sab) }, /value\.v/],
      [{ t: new Thread({ target: () => {} }) }, /value\.t/],
    ] as const
  ) {
    assert.throws(() => foreign(value), (e: Error) => {
      assert.ok(e instanceof TypeError);
      assert.match(e.message, path);
      assert.match(e.message, /outside this process/);
      return true;
    });
  }
});

Deno.test("a foreign value round-trips data as the local codec does", async () => {
  const value = {
    n: [1, -0, NaN, 2n ** 70n],
    s: "é😀",
    m: new Map([[1, new Set([2])]]),
    d: new Date(5),
    b: new Uint8Array([1, 2, 3]),
    e: new RangeError("r", { cause: 1 }),
  };
  const bytes = foreign(value).bytes.slice();
  markForeign(bytes);
  assert.deepEqual(decode(bytes.slice()), value);
  assert.deepEqual(await decodeAsync(bytes.slice()), value);
});

Deno.test("a message marked foreign that refers to this process's memory is a TypeError", () => {
  const { bytes } = encode({ lock: new Lock() }, "value", () => []);
  const copy = bytes.slice();
  discard(bytes);
  markForeign(copy);
  assert.throws(() => decode(copy), /this process's memory/);
});

Deno.test("a damaged foreign message is a TypeError, never a wrong value", () => {
  const bytes = foreign({ a: "text", b: [1, 2, 3] }).bytes.slice();
  markForeign(bytes);
  for (let cut = 1; cut < bytes.length; cut++) {
    assert.throws(() => decode(bytes.slice(0, cut)), TypeError, `cut ${cut}`);
  }
  const longer = new Uint8Array(bytes.length + 1);
  longer.set(bytes);
  assert.throws(() => decode(longer), /left after/);
  // A buffer that claims more bytes than the message has.
  const lie = foreign(new Uint8Array(4)).bytes.slice();
  markForeign(lie);
  const at = lie.lastIndexOf(4);
  lie[at] = 255;
  lie[at + 1] = 255;
  lie[at + 2] = 255;
  lie[at + 3] = 127;
  assert.throws(() => decode(lie), TypeError);
});
