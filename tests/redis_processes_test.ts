// The guarantees across real processes: a killed lock holder, a killed
// consumer and a killed worker, each with SIGKILL (no cleanup at all).
import assert from "node:assert/strict";
import { connect } from "../src/redis.ts";
import {
  freshPrefix,
  type RedisServer,
  redisTest,
  startRedis,
} from "./_redis_server.ts";
import { announced } from "./_redis_tasks.ts";

let server: RedisServer | undefined;

/** A `deno run -A` of a fixture, its output to this process's stderr. */
function spawn(fixture: string, ...args: string[]): Deno.ChildProcess {
  return new Deno.Command(Deno.execPath(), {
    args: ["run", "-A", new URL(fixture, import.meta.url).href, ...args],
    stdout: "null",
    stderr: "inherit",
  }).spawn();
}

/** Resolves with the file's text once it exists (the child's marker). */
async function marker(path: string, ms = 60_000): Promise<string> {
  const deadline = performance.now() + ms;
  for (;;) {
    try {
      const text = await Deno.readTextFile(path);
      if (text !== "") return text;
    } catch {
      // Not yet.
    }
    if (performance.now() > deadline) throw new Error(`no marker ${path}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

async function kill(child: Deno.ChildProcess): Promise<void> {
  try {
    child.kill("SIGKILL");
  } catch {
    // Ended already.
  }
  await child.status;
}

redisTest(
  "a holder killed with SIGKILL: its lock is taken by another process within lease + 1 s, with a larger fence",
  async () => {
    server ??= await startRedis();
    const prefix = freshPrefix();
    const dir = await Deno.makeTempDir();
    const lease = 1_500;
    const holder = spawn(
      "./_redis_holder.ts",
      server.url,
      prefix,
      String(lease),
      `${dir}/fence`,
    );
    try {
      const fence = BigInt(await marker(`${dir}/fence`));
      await using redis = await connect(server.url, { prefix });
      const lock = new redis.Lock("held", { lease });
      assert.equal(
        lock.acquire({ timeout: 2 * lease }),
        false,
        "held while its holder lives",
      );
      await kill(holder);
      const t0 = performance.now();
      assert.equal(lock.acquire({ timeout: lease + 1_000 }), true);
      const took = performance.now() - t0;
      assert.ok(took <= lease + 1_000, `took ${took} ms`);
      assert.ok(lock.fence! > fence, `${lock.fence} > ${fence}`);
      lock.release();
    } finally {
      await kill(holder);
      await Deno.remove(dir, { recursive: true });
    }
  },
  120_000,
);

redisTest(
  "a consumer killed mid-item: the item is delivered again after visibility, and the count is exact by id",
  async () => {
    server ??= await startRedis();
    const prefix = freshPrefix();
    const dir = await Deno.makeTempDir();
    const visibility = 1_500;
    const n = 40;
    await using redis = await connect(server.url, { prefix });
    const jobs = new redis.Queue<{ id: number } | null>("jobs");
    for (let id = 0; id < n; id++) jobs.put({ id });
    const doomed = spawn(
      "./_redis_consumer.ts",
      server.url,
      prefix,
      String(visibility),
      `${dir}/doomed`,
      "3",
    );
    let survivor: Deno.ChildProcess | undefined;
    try {
      const held = Number(await marker(`${dir}/doomed`));
      // The survivor starts once the doomed consumer holds an item.
      survivor = spawn(
        "./_redis_consumer.ts",
        server.url,
        prefix,
        String(visibility),
        `${dir}/survivor`,
        "-1",
      );
      await kill(doomed);
      const killed = performance.now();
      const seenList = new redis.SharedList<number>("seen");
      // The held item comes back once the dead consumer's hold lapses.
      for (;;) {
        const again = (await seenList.toArrayAsync()).filter((id) =>
          id === held
        ).length;
        if (again === 2) break;
        assert.ok(performance.now() - killed < 30_000, "never delivered again");
        await new Promise((r) => setTimeout(r, 50));
      }
      assert.ok(
        performance.now() - killed >= visibility / 2,
        "not delivered again before the hold lapsed",
      );
      jobs.put(null);
      assert.equal(await marker(`${dir}/survivor`), "done");
      const seen = new redis.SharedList<number>("seen").toArray();
      assert.deepEqual(
        [...new Set(seen)].sort((a, b) => a - b),
        Array.from({ length: n }, (_, i) => i),
      );
      assert.equal(
        seen.filter((id) => id === held).length,
        2,
        "the held item came twice",
      );
      assert.equal(seen.length, n + 1);
      await jobs.joinAsync();
    } finally {
      await kill(doomed);
      if (survivor !== undefined) await kill(survivor);
      await Deno.remove(dir, { recursive: true });
    }
  },
  120_000,
);

redisTest(
  "a worker killed mid-task: the task runs again elsewhere and its future completes",
  async () => {
    server ??= await startRedis();
    const prefix = freshPrefix();
    const dir = await Deno.makeTempDir();
    const workers = [0, 1].map((i) =>
      spawn(
        "./_redis_worker.ts",
        server!.url,
        prefix,
        "ex",
        `${dir}/ready${i}`,
        "1",
      )
    );
    try {
      for (const i of [0, 1]) await marker(`${dir}/ready${i}`);
      await using redis = await connect(server.url, { prefix });
      const pool = new redis.Executor("ex", { taskLease: 1_500 });
      const future = pool.submit(announced, dir, 3_000);
      let started: string | undefined;
      const deadline = performance.now() + 30_000;
      while (started === undefined) {
        for await (const entry of Deno.readDir(dir)) {
          if (entry.name.startsWith("started-")) started = entry.name;
        }
        assert.ok(performance.now() < deadline, "no worker started the task");
        await new Promise((r) => setTimeout(r, 20));
      }
      const first = Number(started.slice("started-".length));
      const victim = workers.find((w) => w.pid === first)!;
      await kill(victim);
      const ran = await future.resultAsync(30_000);
      assert.notEqual(ran, first);
      assert.ok(workers.some((w) => w.pid === ran));
    } finally {
      for (const w of workers) await kill(w);
      await Deno.remove(dir, { recursive: true });
    }
  },
  120_000,
);

redisTest("the last test stops the server", async () => {
  await server?.stop();
});
