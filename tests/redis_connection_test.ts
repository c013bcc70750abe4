// Connections and how objects travel: one I/O thread per process and URL,
// shared by every connection and thread; objects by name, in threads and
// in values.
import assert from "node:assert/strict";
import { enumerate, Thread } from "../mod.ts";
import {
  connect,
  ConnectionError,
  RedisBoundedSemaphore,
  RedisLock,
} from "../src/redis.ts";
import {
  freshPrefix,
  type RedisServer,
  redisTest,
  startRedis,
} from "./_redis_server.ts";
import { cells, until } from "./_helpers.ts";
import * as fx from "./_redis_fixtures.ts";

let server: RedisServer | undefined;

const ioThreads = (): number =>
  enumerate().filter((t) => t.name.startsWith("RedisIO")).length;

redisTest(
  "one I/O thread per process and URL, shared by connections and threads",
  async () => {
    server ??= await startRedis();
    const before = ioThreads();
    const a = await connect(server.url, { prefix: freshPrefix() });
    const b = await connect(server.url, { prefix: freshPrefix() });
    assert.equal(ioThreads(), before + 1);
    const out = cells(1);
    const t = new Thread({ target: fx.connectHere, args: [server.url, out] });
    t.start();
    await t.joinAsync();
    assert.equal(out[0], before + 1, "the thread's connect() used it too");
    await a.close();
    // b is still open: its objects work.
    assert.equal(new b.Event("e").isSet(), false);
    assert.throws(() => new a.Event("e").isSet(), ConnectionError);
    await b.close();
    // The last close ends it (it ends just after close() returns).
    await until(() => ioThreads() === before, 10_000, "the I/O thread's end");
    // A new connect() starts it again.
    await using c = await connect(server.url, { prefix: freshPrefix() });
    assert.equal(new c.Event("e").isSet(), false);
  },
);

redisTest(
  "an object passed to a thread keeps its class; one stored in a value comes back by name",
  async () => {
    server ??= await startRedis();
    await using redis = await connect(server.url, { prefix: freshPrefix() });
    const sem = new redis.BoundedSemaphore("b", 2);
    const out = cells(1);
    const t = new Thread({ target: fx.isBounded, args: [sem, out] });
    t.start();
    await t.joinAsync();
    assert.equal(out[0], 1);
    const map = new redis.SharedMap<string, unknown>("m");
    map.set("objects", { lock: new redis.Lock("l"), sem });
    const back = map.get("objects") as {
      lock: RedisLock;
      sem: RedisBoundedSemaphore;
    };
    assert.ok(back.lock instanceof RedisLock);
    assert.ok(back.sem instanceof RedisBoundedSemaphore);
    assert.equal(back.lock.name, "l");
    assert.equal(back.sem.value, 2);
    // Local primitives cannot be stored in Redis.
    const { Lock } = await import("../mod.ts");
    assert.throws(() => map.set("local", new Lock()), TypeError);
  },
);

redisTest("the last test stops the server", async () => {
  await server?.stop();
});
