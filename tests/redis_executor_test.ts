// The Executor on a real redis-server: workers in this process and in
// others, futures with the local futures functions, errors, cancellation.
import assert from "node:assert/strict";
import {
  asCompleted,
  asCompletedAsync,
  CancelledError,
  FIRST_COMPLETED,
  Future,
  ThreadError,
  wait,
  waitAsync,
} from "../mod.ts";
import { connect, type RedisConnection } from "../src/redis.ts";
import {
  freshPrefix,
  type RedisServer,
  redisTest,
  startRedis,
} from "./_redis_server.ts";
import {
  fail,
  later,
  makePoint,
  pid,
  square,
  TaskError,
} from "./_redis_tasks.ts";
import { double } from "./_redis_other_tasks.ts";
import { Point } from "./_redis_point.ts";
import { toRedis } from "../src/_redis/codec.ts";

let server: RedisServer | undefined;
async function open(prefix = freshPrefix()): Promise<RedisConnection> {
  server ??= await startRedis();
  return await connect(server.url, { prefix });
}

const TASKS = [new URL("./_redis_tasks.ts", import.meta.url)];

// This process has loaded these classes, so their instances arrive as
// such. The codec knows a class once it met it (described it); finding the
// classes of every module a process imported itself is issue 16's.
toRedis([new TaskError("", 0), new Point(0, 0)], "classes");

redisTest(
  "submit() returns a Future: result(), await, wait and asCompleted work on it",
  async () => {
    await using redis = await open();
    await using _worker = await redis.serve("ex", {
      maxWorkers: 2,
      modules: TASKS,
    });
    const pool = new redis.Executor("ex");
    const f = pool.submit(square, 7);
    assert.ok(f instanceof Future);
    assert.equal(f.result(10_000), 49);
    assert.equal(await pool.submit(later, 10, "hi"), "hi");
    const futures = [1, 2, 3].map((x) => pool.submit(square, x));
    const { done, notDone } = wait(futures, { timeout: 10_000 });
    assert.equal(done.size, 3);
    assert.equal(notDone.size, 0);
    const more = [4, 5].map((x) => pool.submit(square, x));
    assert.deepEqual(
      [...asCompleted(more, 10_000)].map((x) => x.result()).sort((a, b) =>
        a - b
      ),
      [16, 25],
    );
    const async = [6, 7].map((x) => pool.submit(square, x));
    const seen: number[] = [];
    for await (const x of asCompletedAsync(async, 10_000)) {
      seen.push((x as unknown as Future<number>).result());
    }
    assert.deepEqual(seen.sort((a, b) => a - b), [36, 49]);
    const first = await waitAsync([
      pool.submit(later, 10, 1),
      pool.submit(later, 5_000, 2),
    ], {
      returnWhen: FIRST_COMPLETED,
      timeout: 10_000,
    });
    assert.ok(first.done.size >= 1);
    await Promise.all(first.notDone);
  },
);

redisTest("map() gives the results in the items' order", async () => {
  await using redis = await open();
  await using _worker = await redis.serve("ex", {
    maxWorkers: 3,
    modules: TASKS,
  });
  const pool = new redis.Executor("ex");
  assert.deepEqual(
    [...pool.map(square, [1, 2, 3, 4, 5], { timeout: 20_000 })],
    [1, 4, 9, 16, 25],
  );
  const out: number[] = [];
  for await (const x of pool.mapAsync(square, [6, 7])) out.push(x);
  assert.deepEqual(out, [36, 49]);
});

redisTest(
  "a task's error arrives as its class, with its fields; a result of an exported class too",
  async () => {
    await using redis = await open();
    await using _worker = await redis.serve("ex", {
      maxWorkers: 1,
      modules: TASKS,
    });
    const pool = new redis.Executor("ex");
    const f = pool.submit(fail, 7);
    assert.throws(() => f.result(10_000), (e: unknown) => {
      assert.ok(e instanceof TaskError, String(e));
      assert.equal(e.code, 7);
      assert.equal(e.message, "failed with 7");
      return true;
    });
    assert.ok(f.exception() instanceof TaskError);
    const p = await pool.submit(makePoint, 3, 4);
    assert.ok(p instanceof Point);
    assert.equal(p.norm(), 5);
  },
);

redisTest(
  "a task whose function no served module exports fails, saying so, and nothing is imported",
  async () => {
    await using redis = await open();
    await using _worker = await redis.serve("ex", {
      maxWorkers: 1,
      modules: TASKS,
    });
    const pool = new redis.Executor("ex");
    await assert.rejects(
      Promise.resolve(pool.submit(double, 2)),
      (e: Error) =>
        e instanceof TypeError && /not|modules/.test(e.message) &&
        /double/.test(e.message),
    );
    assert.throws(() => pool.submit((() => 1) as () => number), TypeError);
    assert.throws(() => pool.submit(1 as unknown as () => number), TypeError);
  },
);

redisTest(
  "cancel() withdraws a task not started; shutdown() refuses new tasks and waits for the rest",
  async () => {
    await using redis = await open();
    const pool = new redis.Executor("ex");
    const f = pool.submit(square, 3);
    assert.equal(f.cancel(), true);
    assert.equal(f.cancelled(), true);
    assert.throws(() => f.result(), CancelledError);
    // The task is withdrawn: a worker started later never runs it.
    await new Promise((r) => setTimeout(r, 500));
    await using _worker = await redis.serve("ex", {
      maxWorkers: 1,
      modules: TASKS,
    });
    const g = pool.submit(square, 4);
    assert.equal(await g, 16);
    pool.shutdown();
    assert.throws(() => pool.submit(square, 1), ThreadError);
  },
);

redisTest(
  "workers in two other processes run the tasks, and the futures complete here",
  async () => {
    const prefix = freshPrefix();
    await using redis = await open(prefix);
    const dir = await Deno.makeTempDir();
    const workers = [0, 1].map((i) =>
      new Deno.Command(Deno.execPath(), {
        args: [
          "run",
          "-A",
          new URL("./_redis_worker.ts", import.meta.url).href,
          server!.url,
          prefix,
          "ex",
          `${dir}/ready${i}`,
          "2",
        ],
        stdout: "null",
        stderr: "inherit",
      }).spawn()
    );
    try {
      for (const i of [0, 1]) {
        const deadline = performance.now() + 30_000;
        while (
          !(await Deno.stat(`${dir}/ready${i}`).then(() => true, () => false))
        ) {
          assert.ok(performance.now() < deadline, "the workers did not start");
          await new Promise((r) => setTimeout(r, 20));
        }
      }
      const pool = new redis.Executor("ex");
      const pids = new Set(
        await Promise.all(Array.from({ length: 40 }, () => pool.submit(pid))),
      );
      assert.ok(!pids.has(Deno.pid));
      assert.ok(pids.size >= 1);
      for (const p of pids) assert.ok(workers.some((w) => w.pid === p));
    } finally {
      for (const w of workers) w.kill("SIGKILL");
      for (const w of workers) await w.status;
      await Deno.remove(dir, { recursive: true });
    }
  },
  120_000,
);

redisTest(
  "a result of a class whose module this process never loaded: the future fails with a TypeError, nothing imported",
  async () => {
    const prefix = freshPrefix();
    await using redis = await open(prefix);
    const dir = await Deno.makeTempDir();
    const worker = new Deno.Command(Deno.execPath(), {
      args: [
        "run",
        "-A",
        new URL("./_redis_worker.ts", import.meta.url).href,
        server!.url,
        prefix,
        "strangers",
        `${dir}/ready`,
        "1",
        "./_redis_stranger_tasks.ts",
      ],
      stdout: "null",
      stderr: "inherit",
    }).spawn();
    const marker = `${dir}/imported`;
    Deno.env.set("WEFT_STRANGER_MARKER", marker);
    try {
      const deadline = performance.now() + 30_000;
      while (!(await Deno.stat(`${dir}/ready`).then(() => true, () => false))) {
        assert.ok(performance.now() < deadline, "the worker did not start");
        await new Promise((r) => setTimeout(r, 20));
      }
      const pool = new redis.Executor("strangers");
      // Submitted by name: this process has no such function.
      const makeStranger = { makeStranger() {} }.makeStranger;
      const future = pool.submit(makeStranger);
      await assert.rejects(
        future.resultAsync(30_000),
        (e: Error) => e instanceof TypeError && /Stranger/.test(e.message),
      );
      assert.throws(() => future.result(), TypeError);
      assert.equal(
        await Deno.stat(marker).then(() => true, () => false),
        false,
        "the stranger's module was not imported",
      );
    } finally {
      Deno.env.delete("WEFT_STRANGER_MARKER");
      worker.kill("SIGKILL");
      await worker.status;
      await Deno.remove(dir, { recursive: true });
    }
  },
  120_000,
);

redisTest(
  "stop() ends the workers at once, waiting ones and a running one's next step",
  async () => {
    await using redis = await open();
    const serving = await redis.serve("ex", { maxWorkers: 3, modules: TASKS });
    const pool = new redis.Executor("ex");
    // One worker busy for a moment, the others waiting for a task.
    const busy = pool.submit(later, 300, "done");
    await new Promise((r) => setTimeout(r, 100));
    const t0 = performance.now();
    await serving.stop();
    const took = performance.now() - t0;
    assert.ok(took < 3_000, `stop() took ${took} ms`);
    assert.equal(await busy, "done", "the running task finished and reported");
  },
);

redisTest("a result stays in Redis for resultTtl", async () => {
  await using redis = await open();
  await using _worker = await redis.serve("ex", {
    maxWorkers: 1,
    modules: TASKS,
  });
  const pool = new redis.Executor("ex", { resultTtl: 60_000 });
  assert.equal(await pool.submit(square, 3), 9);
  const keys = await server!.raw(
    "KEYS",
    `${redis.prefix}:executor:ex:result:*`,
  );
  const key = /(\S+:result:[0-9a-f]{16})/.exec(keys)![1];
  const ttl = Number(/:(\d+)/.exec(await server!.raw("PTTL", key))![1]);
  assert.ok(ttl > 50_000 && ttl <= 60_000, `PTTL ${ttl}`);
  assert.throws(() => new redis.Executor("ex", { resultTtl: 0 }), RangeError);
});

redisTest("serve() with modules that cannot load rejects", async () => {
  await using redis = await open();
  await assert.rejects(
    redis.serve("ex", { maxWorkers: 1, modules: ["./_no_such_module.ts"] }),
    TypeError,
  );
  await assert.rejects(redis.serve("ex", { modules: [] }), TypeError);
});

redisTest("the last test stops the server", async () => {
  await server?.stop();
});
