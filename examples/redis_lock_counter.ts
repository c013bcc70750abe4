// A counter in Redis that three processes increment under a Redis Lock,
// each write carrying the lock's fencing token: the store keeps the largest
// token it has seen and refuses a write with an older one, which is what
// keeps a holder that paused past its lease from overwriting newer work.
import { connect } from "@weft/threading/redis";
import { spawnSelf, startServer } from "./_redis_server.ts";

interface Stored {
  count: number;
  fence: bigint;
}

/** One process: `rounds` increments, each under the lock. */
async function incrementer(url: string, prefix: string, rounds: number) {
  await using redis = await connect(url, { prefix });
  const lock = new redis.Lock("counter", { lease: 10_000 });
  const store = new redis.SharedValue<Stored>("store");
  let refused = 0;
  for (let i = 0; i < rounds; i++) {
    lock.hold(() => {
      const fence = lock.fence!;
      // A plain read and write (not update()): the lock makes it safe.
      const now = store.get();
      if (fence <= now.fence) refused++;
      else store.set({ count: now.count + 1, fence });
    });
  }
  if (refused > 0) console.log(`refused ${refused} stale writes`);
}

if (import.meta.main) {
  if (Deno.args[0] === "worker") {
    await incrementer(Deno.args[1], Deno.args[2], Number(Deno.args[3]));
  } else {
    await using server = await startServer();
    if (server !== undefined) {
      const prefix = `example-${crypto.randomUUID()}`;
      await using redis = await connect(server.url, { prefix });
      const store = new redis.SharedValue<Stored>("store", {
        count: 0,
        fence: 0n,
      });
      const workers = [0, 1, 2].map(() =>
        spawnSelf(import.meta.url, "worker", server.url, prefix, "20")
      );
      for (const w of workers) await w.status;
      const { count, fence } = store.get();
      console.log(`counter = ${count}`);
      console.log(`last fencing token = ${fence}`);
    }
  }
}
