// SharedValue, SharedList and SharedMap on a real redis-server.
import assert from "node:assert/strict";
import { Thread } from "../mod.ts";
import { connect, type RedisConnection } from "../src/redis.ts";
import {
  freshPrefix,
  type RedisServer,
  redisTest,
  startRedis,
} from "./_redis_server.ts";
import * as fx from "./_redis_fixtures.ts";

let server: RedisServer | undefined;
async function open(prefix = freshPrefix()): Promise<RedisConnection> {
  server ??= await startRedis();
  return await connect(server.url, { prefix });
}

redisTest(
  "SharedValue: get, set, update; the initial value is written only when the name is new",
  async () => {
    await using redis = await open();
    const v = new redis.SharedValue("v", { n: 1 });
    assert.deepEqual(v.get(), { n: 1 });
    v.set({ n: 2 });
    assert.deepEqual(new redis.SharedValue("v", { n: 100 }).get(), { n: 2 });
    assert.deepEqual(v.update((x) => ({ n: x.n + 1 })), { n: 3 });
    assert.deepEqual(await v.getAsync(), { n: 3 });
    await v.setAsync({ n: 4 });
    assert.deepEqual(
      await v.updateAsync(async (x) => {
        await new Promise((r) => setTimeout(r, 1));
        return { n: x.n * 2 };
      }),
      {
        n: 8,
      },
    );
    assert.equal(new redis.SharedValue("none").get(), undefined);
    assert.throws(() =>
      v.update(() => {
        throw new RangeError("no");
      }), RangeError);
    assert.deepEqual(v.get(), { n: 8 });
    assert.throws(() => v.set((() => 1) as never), TypeError);
  },
);

redisTest("SharedValue.update() from threads loses no update", async () => {
  await using redis = await open();
  const m = new redis.SharedMap<string, number>("m");
  const threads = Array.from(
    { length: 3 },
    () => new Thread({ target: fx.bump, args: [m, "k", 30] }),
  );
  for (const t of threads) t.start();
  for (const t of threads) t.join();
  assert.equal(m.get("k"), 90);
}, 120_000);

redisTest("SharedList: Python list operations", async () => {
  await using redis = await open();
  const l = new redis.SharedList<string>("l", ["a", "b"]);
  assert.equal(l.length, 2);
  assert.equal(l.push("c", "d"), 4);
  assert.equal(l.unshift("y", "z"), 6);
  assert.deepEqual(l.toArray(), ["y", "z", "a", "b", "c", "d"]);
  assert.equal(l.at(0), "y");
  assert.equal(l.at(-1), "d");
  assert.equal(l.at(10), undefined);
  l.set(1, "Z");
  assert.throws(() => l.set(10, "x"), RangeError);
  l.insert(2, "i");
  l.insert(-100, "first");
  l.insert(100, "last");
  assert.deepEqual([...l], [
    "first",
    "y",
    "Z",
    "i",
    "a",
    "b",
    "c",
    "d",
    "last",
  ]);
  assert.equal(l.removeAt(3), "i");
  assert.throws(() => l.removeAt(50), RangeError);
  assert.equal(l.pop(), "last");
  assert.equal(l.shift(), "first");
  assert.equal(l.update(0, (s) => s.toUpperCase()), "Y");
  assert.deepEqual(await l.toArrayAsync(), ["Y", "Z", "a", "b", "c", "d"]);
  l.clear();
  assert.equal(await l.lengthAsync(), 0);
  assert.equal(l.pop(), undefined);
  assert.deepEqual(new redis.SharedList("l", ["again"]).toArray(), []);
  assert.throws(() => l.at(1.5), RangeError);
});

redisTest(
  "SharedMap: keys by value, setDefault, update, snapshots",
  async () => {
    await using redis = await open();
    const m = new redis.SharedMap<string | number | number[], string>("m", [
      ["a", "A"],
    ]);
    assert.equal(m.get("a"), "A");
    m.set(1, "one").set([1, 2], "pair");
    assert.equal(m.get(1.0), "one");
    assert.equal(m.get("1"), undefined);
    assert.equal(m.get([1, 2]), "pair");
    assert.equal(m.has([1, 2]), true);
    assert.equal(m.size, 3);
    assert.equal(m.setDefault("a", "other"), "A");
    assert.equal(m.setDefault("b", "B"), "B");
    assert.equal(m.update("b", (v) => v + "!"), "B!");
    assert.equal(m.update("new", (v) => (v ?? "") + "x"), "x");
    assert.equal(m.delete("new"), true);
    assert.equal(m.delete("new"), false);
    const entries = new Map(m.entries());
    assert.equal(entries.get("a"), "A");
    assert.deepEqual([...m.keys()].length, 4);
    const keys: unknown[] = [];
    m.forEach((_v, k) => keys.push(k));
    assert.equal(keys.length, 4);
    assert.throws(() => m.get({} as never), TypeError);
    m.clear();
    assert.equal(await m.sizeAsync(), 0);
  },
);

redisTest(
  "a value written by hand is a TypeError, nothing evaluated",
  async () => {
    await using redis = await open();
    await server!.raw("SET", `${redis.prefix}:value:v`, '{"__proto__": 1}');
    assert.throws(
      () => new redis.SharedValue("v").get(),
      /not written by @weft\/threading/,
    );
    await server!.raw("HSET", `${redis.prefix}:map:m`, "raw-field", "x");
    assert.throws(() => new redis.SharedMap("m").entriesArray(), TypeError);
    // Bytes that start with the mark but are garbage after it.
    await server!.raw(
      "SET",
      `${redis.prefix}:value:w`,
      new Uint8Array([
        0x77,
        0x66,
        0x74,
        0x01,
        0,
        0,
        0,
        0,
        0,
        26,
        255,
        255,
        255,
        255,
      ]),
    );
    assert.throws(() => new redis.SharedValue("w").get(), TypeError);
  },
);

redisTest("the last test stops the server", async () => {
  await server?.stop();
});
