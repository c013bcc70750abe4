// The primes example of Python's concurrent.futures docs, with an Executor
// whose workers are two other processes (they could be other machines):
// each calls serve() with the module whose functions it may run.
import { connect } from "@weft/threading/redis";
import { isPrime } from "./futures_primes.ts";
import { spawnSelf, startServer } from "./_redis_server.ts";

const PRIMES = [
  112272535095293,
  112582705942171,
  112272535095293,
  115280095190773,
  115797848077099,
  1099726899285419,
];

/** Which process ran it, and the answer. */
export function isPrimeWhere(n: number): [boolean, number] {
  return [isPrime(n), Deno.pid];
}

/** A worker process: serves "primes" until its ready file is gone. */
async function workerProcess(url: string, prefix: string, ready: string) {
  const redis = await connect(url, { prefix });
  const serving = await redis.serve("primes", {
    maxWorkers: 2,
    modules: [new URL(import.meta.url)],
  });
  await Deno.writeTextFile(ready, "ready");
  while (await Deno.stat(ready).then(() => true, () => false)) {
    await new Promise((r) => setTimeout(r, 50));
  }
  await serving.stop();
  await redis.close();
}

if (import.meta.main) {
  if (Deno.args[0] === "worker") {
    await workerProcess(Deno.args[1], Deno.args[2], Deno.args[3]);
  } else {
    await using server = await startServer();
    if (server !== undefined) {
      const prefix = `example-${crypto.randomUUID()}`;
      const dir = await Deno.makeTempDir();
      const ready = [0, 1].map((i) => `${dir}/worker${i}`);
      const workers = ready.map((file) =>
        spawnSelf(import.meta.url, "worker", server.url, prefix, file)
      );
      for (const file of ready) {
        while (!(await Deno.stat(file).then(() => true, () => false))) {
          await new Promise((r) => setTimeout(r, 20));
        }
      }
      await using redis = await connect(server.url, { prefix });
      using executor = new redis.Executor("primes");
      const ran = new Set<number>();
      let i = 0;
      for (const [prime, pid] of executor.map(isPrimeWhere, PRIMES)) {
        console.log(`${PRIMES[i++]} is prime: ${prime ? "True" : "False"}`);
        ran.add(pid);
      }
      console.log(
        `run by ${
          ran.size === 1 ? "one other process" : `${ran.size} other processes`
        }`,
      );
      for (const file of ready) await Deno.remove(file);
      for (const w of workers) await w.status;
      await Deno.remove(dir, { recursive: true });
    }
  }
}
