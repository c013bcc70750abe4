// Connections: AUTH, TLS, an unreachable server, a server that stops while
// a call waits and comes back, closing.
import assert from "node:assert/strict";
import { Thread } from "../mod.ts";
import { AuthenticationError, connect, ConnectionError } from "../src/redis.ts";
import { freshPrefix, redisTest, startRedis, TLS_CA } from "./_redis_server.ts";
import { cells, waitFor } from "./_helpers.ts";
import * as fx from "./_redis_faults_fixtures.ts";

redisTest(
  "AUTH: the right password in the URL works; a wrong or missing one rejects at once",
  async () => {
    const server = await startRedis({ password: "s3cret:/@" });
    try {
      await using redis = await connect(server.url, { prefix: freshPrefix() });
      const ev = new redis.Event("e");
      ev.set();
      assert.equal(ev.isSet(), true);
      for (
        const url of [
          `redis://:wrong@127.0.0.1:${server.port}`,
          `redis://127.0.0.1:${server.port}`,
          `redis://nobody:x@127.0.0.1:${server.port}`,
        ]
      ) {
        const t0 = performance.now();
        await assert.rejects(connect(url), AuthenticationError);
        assert.ok(performance.now() - t0 < 5_000);
      }
    } finally {
      await server.stop();
    }
  },
);

redisTest(
  "an unreachable server rejects connect() at once with ConnectionError",
  async () => {
    const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
    const port = (listener.addr as Deno.NetAddr).port;
    listener.close();
    const t0 = performance.now();
    await assert.rejects(connect(`redis://127.0.0.1:${port}`), ConnectionError);
    assert.ok(performance.now() - t0 < 5_000);
    await assert.rejects(connect("http://127.0.0.1:1"), TypeError);
    await assert.rejects(connect("not a url"), TypeError);
    await assert.rejects(
      connect(`redis://127.0.0.1:${port}`, { connectTimeout: -1 }),
      RangeError,
    );
  },
);

redisTest(
  "redis-server stopped during a blocking get(timeout): ConnectionError within the timeout; the same objects work once it is back",
  async () => {
    const server = await startRedis();
    try {
      await using redis = await connect(server.url, {
        prefix: freshPrefix(),
        connectTimeout: 20_000,
      });
      const q = new redis.Queue<number>("q");
      q.put(1);
      assert.equal(q.get(), 1);
      q.taskDone();
      const out = cells(4);
      const t = new Thread({
        target: fx.getWithTimeout,
        args: [q, 3_000, out],
      });
      t.start();
      waitFor(out, 0, 1);
      await new Promise((r) => setTimeout(r, 300));
      await server.stop();
      t.join();
      assert.equal(out[1], 1, "ConnectionError");
      assert.ok(out[2] <= 3_500, `after ${out[2]} ms`);
      await server.start();
      // The same objects, once the connection is back (the call retries).
      q.put(2);
      assert.equal(q.get(), 2);
      q.taskDone();
      const lock = new redis.Lock("l");
      assert.equal(lock.acquire(), true);
      lock.release();
    } finally {
      await server.stop();
    }
  },
  90_000,
);

redisTest(
  "a call while the server is down retries until its connectTimeout, then throws ConnectionError",
  async () => {
    const server = await startRedis();
    try {
      await using redis = await connect(server.url, {
        prefix: freshPrefix(),
        connectTimeout: 1_000,
      });
      const ev = new redis.Event("e");
      assert.equal(ev.isSet(), false);
      await server.stop();
      const t0 = performance.now();
      assert.throws(() => ev.isSet(), ConnectionError);
      const took = performance.now() - t0;
      assert.ok(took >= 900 && took < 5_000, `after ${took} ms`);
      // A wait without timeout also ends.
      await assert.rejects(ev.waitAsync(), ConnectionError);
    } finally {
      await server.stop();
    }
  },
  60_000,
);

redisTest("rediss:// (TLS) works", async () => {
  const server = await startRedis({ tls: true });
  try {
    // Another process, which trusts the test CA (--cert).
    const { code, stdout, stderr } = await new Deno.Command(Deno.execPath(), {
      args: [
        "run",
        "-A",
        `--cert=${TLS_CA}`,
        new URL("./_redis_tls_client.ts", import.meta.url).href,
        server.url,
      ],
      stdout: "piped",
      stderr: "piped",
    }).output();
    assert.equal(code, 0, new TextDecoder().decode(stderr));
    assert.equal(new TextDecoder().decode(stdout).trim(), "ok 1");
    // Without the CA, the certificate is refused: a ConnectionError.
    await assert.rejects(connect(server.url), ConnectionError);
  } finally {
    await server.stop();
  }
}, 60_000);
