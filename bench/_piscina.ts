// The executor workloads in piscina (npm), the most used JavaScript worker
// pool: 4 threads, as CPython's ThreadPoolExecutor(4). Prints one JSON
// object, or nothing when piscina cannot be loaded (bench:compare then
// notes it as not available). piscina has no map() and no blocking
// result(): a round trip is `await pool.run()`, gathering is Promise.all.
import { countPrimes } from "./_targets.ts";
import { median } from "./_stats.ts";

type Pool = {
  run(input: unknown): Promise<number>;
  destroy(): Promise<void>;
};
type PoolClass = new (options: Record<string, unknown>) => Pool;

const SPECIFIER = "npm:piscina@^5";

async function load(): Promise<PoolClass | undefined> {
  try {
    // A variable specifier: `deno check` of this file needs no download.
    const specifier = SPECIFIER;
    return (await import(specifier)).Piscina as PoolClass;
  } catch {
    return undefined;
  }
}

const filename = new URL("./_piscina_task.ts", import.meta.url).href;

async function warm(Piscina: PoolClass, threads: number): Promise<Pool> {
  const pool = new Piscina({
    filename,
    minThreads: threads,
    maxThreads: threads,
  });
  await Promise.all(
    Array.from({ length: 2_000 }, (_, x) => pool.run({ op: "square", x })),
  );
  return pool;
}

async function primes(
  Piscina: PoolClass,
  threads: number,
  limit: number,
  chunks: number,
): Promise<number> {
  const pool = await warm(Piscina, threads);
  await Promise.all(
    Array.from(
      { length: threads * 8 },
      () => pool.run({ op: "primes", lo: 0, hi: 50_000 }),
    ),
  );
  const size = limit / chunks;
  const begin = performance.now();
  const counts = await Promise.all(
    Array.from(
      { length: chunks },
      (_, i) => pool.run({ op: "primes", lo: i * size, hi: (i + 1) * size }),
    ),
  );
  const seconds = (performance.now() - begin) / 1000;
  await pool.destroy();
  if (counts.reduce((a, b) => a + b, 0) !== countPrimes(0, limit)) {
    throw new Error("wrong prime count");
  }
  return seconds;
}

/** The executor rows (bench:compare's group "executor"); seconds are per row. */
async function executorRows(
  Piscina: PoolClass,
  keys: string[],
): Promise<Record<string, number>> {
  const want = (key: string): boolean =>
    keys.length === 0 || keys.includes(key);
  const out: Record<string, number> = {};
  const pool = await warm(Piscina, 4);
  if (want("executor_round_trip_us")) {
    const times = [];
    for (let sample = 0; sample < 3; sample++) {
      const begin = performance.now();
      for (let x = 0; x < 1_000; x++) {
        if (await pool.run({ op: "square", x }) !== x * x) {
          throw new Error("wrong result");
        }
      }
      times.push((performance.now() - begin) / 1_000 * 1e3);
    }
    out.executor_round_trip_us = median(times)!;
  }
  if (want("executor_gather")) {
    const begin = performance.now();
    const results = await Promise.all(
      Array.from({ length: 200_000 }, (_, x) => pool.run({ op: "square", x })),
    );
    out.executor_gather = 200_000 / ((performance.now() - begin) / 1000);
    if (results[199_999] !== 199_999 ** 2) throw new Error("wrong result");
  }
  await pool.destroy();
  if (want("executor_primes_speedup")) {
    const one = await primes(Piscina, 1, 2_000_000, 32);
    const two = await primes(Piscina, 2, 2_000_000, 32);
    out.executor_primes_speedup = one / two;
  }
  return out;
}

if (import.meta.main) {
  const [name, ...keys] = Deno.args;
  if (name !== "executor") {
    throw new TypeError(`Cannot run group: received ${name}`);
  }
  const Piscina = await load();
  if (Piscina !== undefined) {
    console.log(JSON.stringify({
      runtime: `piscina 5 on Deno ${Deno.version.deno}`,
      ...await executorRows(Piscina, keys),
    }));
  }
  // Its worker threads are not unref'd by destroy() on Deno.
  Deno.exit(0);
}
