// `deno task bench:compare`: runs the same workloads in @weft/threading, in
// CPython's threading (python3, when present), in the npm `multithreading`
// package (where it has the primitive) and in piscina (the executor rows,
// when it can be loaded), interleaved over several rounds, each
// run in a fresh process. Prints a table of medians and ratios, and writes it
// to bench/results.md with an SVG chart of lock contention by thread count.
//
// Usage: deno task bench:compare [--rounds N]

import { REDIS_ROWS, redisRunners, stopRedis } from "./_redis_compare.ts";

type Result = Record<string, number | string>;

interface Row {
  key: string;
  label: string;
  unit: string;
  /** Whether a larger value is better (throughput) or smaller (time, memory). */
  higher: boolean;
  target: string;
  /** Whether our median meets the target, given CPython's and our other medians. */
  met?: (
    ours: number,
    py: number | undefined,
    mine: Record<string, number | undefined>,
    peer?: number,
  ) => boolean;
}

const ROWS: Row[] = [
  {
    key: "lock_ns",
    label: "uncontended Lock acquire+release",
    unit: "ns",
    higher: false,
    target: "≤ 25 ns, ≥ 3.5x CPython",
    met: (o, p) => o <= 25 && (p === undefined || p / o >= 3.5),
  },
  {
    key: "rlock_ns",
    label: "RLock acquire, acquire, release, release",
    unit: "ns",
    higher: false,
    target: "≤ 75 ns, ≥ 2x CPython",
    met: (o, p) => o <= 75 && (p === undefined || p / o >= 2),
  },
  {
    key: "lock_with_ns",
    label:
      "`using _ = lock.hold()` block around an increment (CPython: `with lock:`)",
    unit: "ns",
    higher: false,
    target: "",
  },
  {
    key: "lock_hold_fn_ns",
    label: "`lock.hold(() => ...)` around an increment (CPython: `with lock:`)",
    unit: "ns",
    higher: false,
    target: "≥ 2x CPython's `with`",
    met: (o, p) => p === undefined || p / o >= 2,
  },
  {
    key: "counter_1",
    label: "counter under one Lock, 1 thread",
    unit: "ops/s",
    higher: true,
    target: "",
  },
  {
    key: "counter_2",
    label: "counter under one Lock, 2 threads",
    unit: "ops/s",
    higher: true,
    target: "≥ 10x CPython",
    met: (o, p) => p === undefined || o / p >= 10,
  },
  {
    key: "counter_4",
    label: "counter under one Lock, 4 threads",
    unit: "ops/s",
    higher: true,
    target: "≥ 10x CPython",
    met: (o, p) => p === undefined || o / p >= 10,
  },
  {
    key: "semaphore_4",
    label: "Semaphore(2), 4 threads acquire+release",
    unit: "ops/s",
    higher: true,
    target: "≥ 30x CPython",
    met: (o, p) => p === undefined || o / p >= 30,
  },
  {
    key: "event_pingpong",
    label: "Event ping-pong, 2 threads (free cores)",
    unit: "round trips/s",
    higher: true,
    target: "≥ 500k/s",
    met: (o) => o >= 500_000,
  },
  {
    key: "condition_pingpong",
    label: "Condition ping-pong, 2 threads (free cores)",
    unit: "round trips/s",
    higher: true,
    target: "≥ 500k/s",
    met: (o) => o >= 500_000,
  },
  {
    key: "event_pingpong_parked",
    label: "Event ping-pong, busy threads outnumber cores",
    unit: "round trips/s",
    higher: true,
    target: "≥ CPython",
    met: (o, p) => p === undefined || o >= p,
  },
  {
    key: "condition_pingpong_parked",
    label: "Condition ping-pong, busy threads outnumber cores",
    unit: "round trips/s",
    higher: true,
    target: "≥ CPython",
    met: (o, p) => p === undefined || o >= p,
  },
  {
    key: "start_join_us",
    label: "thread start + join, warm",
    unit: "µs",
    higher: false,
    target: "≤ 1.2x CPython",
    met: (o, p) => p === undefined || o <= 1.2 * p,
  },
  {
    key: "start_join_cold_us",
    label: "thread start + join, cold (pool off)",
    unit: "µs",
    higher: false,
    target: "",
  },
  {
    key: "start_join_shared_us",
    label: "start + join, warm, args: Lock, Event, typed array, Queue",
    unit: "µs",
    higher: false,
    target: "≤ CPython",
    met: (o, p) => p === undefined || o <= p,
  },
  {
    key: "nested_start_us",
    label: "start() from a thread, warm (the new thread runs)",
    unit: "µs",
    higher: false,
    target: "≤ 2x a warm start+join from main",
    met: (o, _p, mine) =>
      mine.start_join_us === undefined || o <= 2 * mine.start_join_us,
  },
  {
    key: "nested_start_cold_us",
    label: "start() from a thread, cold, main blocked in join()",
    unit: "µs",
    higher: false,
    target: "≤ 1.5x a cold start+join from main",
    met: (o, _p, mine) =>
      mine.start_join_cold_us === undefined ||
      o <= 1.5 * mine.start_join_cold_us,
  },
  {
    key: "server_ms",
    label: "a fresh thread starts+joins 20 handler threads in a row",
    unit: "ms",
    higher: false,
    target: "",
  },
  {
    key: "timer_late_ms",
    label: "Timer(10 ms) re-armed 20 times from a thread: lateness",
    unit: "ms",
    higher: false,
    target: "",
  },
  {
    key: "queue_int_ns",
    label: "Queue put+get, one thread, an int",
    unit: "ns",
    higher: false,
    target: "≥ 5x CPython",
    met: (o, p) => p === undefined || p / o >= 5,
  },
  {
    key: "queue_obj_ns",
    label: "Queue put+get, one thread, {id, name, tags: [1,2,3]}",
    unit: "ns",
    higher: false,
    target: "≥ 2x CPython",
    met: (o, p) => p === undefined || p / o >= 2,
  },
  {
    key: "pipe_int",
    label: "1 producer → 1 consumer, 200k ints, unbounded",
    unit: "items/s",
    higher: true,
    target: "≥ 3x CPython",
    met: (o, p) => p === undefined || o / p >= 3,
  },
  {
    key: "pipe_int_64",
    label: "1 producer → 1 consumer, 200k ints, maxsize 64",
    unit: "items/s",
    higher: true,
    target: "≥ 3x CPython",
    met: (o, p) => p === undefined || o / p >= 3,
  },
  {
    key: "pipe_obj_64",
    label: "1 producer → 1 consumer, 200k small objects, maxsize 64",
    unit: "items/s",
    higher: true,
    target: "≥ 2x CPython",
    met: (o, p) => p === undefined || o / p >= 2,
  },
  {
    key: "pipe_4x4_64",
    label: "4 producers → 4 consumers, 200k ints, maxsize 64",
    unit: "items/s",
    higher: true,
    target: "≥ 2x CPython",
    met: (o, p) => p === undefined || o / p >= 2,
  },
  {
    key: "map_set_ns",
    label: "SharedMap set(), small key and value, one thread (CPython: dict)",
    unit: "ns",
    higher: false,
    target: "≤ 1 µs",
    met: (o) => o <= 1000,
  },
  {
    key: "map_get_ns",
    label: "SharedMap get(), small key and value, one thread (CPython: dict)",
    unit: "ns",
    higher: false,
    target: "≤ 1 µs",
    met: (o) => o <= 1000,
  },
  {
    key: "list_push_pop_ns",
    label: "SharedList push() or pop(), one thread (CPython: list)",
    unit: "ns",
    higher: false,
    target: "≤ 1 µs each",
    met: (o) => o <= 1000,
  },
  {
    key: "map_updates_4",
    label:
      "4 threads x 25,000 SharedMap update() (CPython: dict updates under a Lock)",
    unit: "ops/s",
    higher: true,
    target: "exact, ≥ CPython",
    met: (o, p) => p === undefined || o >= p,
  },
  {
    key: "lock_construct_ns",
    label: "`new Lock()` inside a function",
    unit: "ns",
    higher: false,
    target: "≤ 0.9 µs",
    met: (o) => o <= 900,
  },
  {
    key: "lock_construct_first_ns",
    label:
      "`new Lock()` inside a function, before main's first start() (the stack is read)",
    unit: "ns",
    higher: false,
    target: "",
  },
  {
    key: "queue_rss_mb",
    label: "RSS growth over 1M small-object put+get (after 100k)",
    unit: "MB",
    higher: false,
    target: "≤ 50 MB",
    met: (o) => o <= 50,
  },
  {
    key: "executor_round_trip_us",
    label: "executor: submit(fn, x).result() in a row, 4 workers",
    unit: "µs",
    higher: false,
    target: "≤ 0.5x CPython's time",
    met: (o, p) => p === undefined || o <= p / 2,
  },
  {
    key: "executor_gather",
    label: "executor: 200k tiny tasks submitted, then gathered",
    unit: "tasks/s",
    higher: true,
    target: "≥ 10x CPython",
    met: (o, p) => p === undefined || o / p >= 10,
  },
  {
    key: "executor_map",
    label: "executor: map() over 200k items",
    unit: "tasks/s",
    higher: true,
    target: "≥ 10x CPython",
    met: (o, p) => p === undefined || o / p >= 10,
  },
  {
    key: "executor_primes_speedup",
    label: "executor: counting primes, 2 workers vs 1 (speed-up)",
    unit: "x",
    higher: true,
    target: "≥ 1.8x",
    met: (o) => o >= 1.8,
  },
  {
    key: "idle_thread_kib",
    label: "memory per idle live thread (100 threads)",
    unit: "KiB",
    higher: false,
    target: "≤ a bare Deno Worker",
    met: (o, _p, mine) =>
      mine.bare_worker_kib === undefined || o <= mine.bare_worker_kib,
  },
  {
    key: "bare_worker_kib",
    label: "memory per bare Deno Worker (100)",
    unit: "KiB",
    higher: false,
    target: "",
  },
];

// Redis rows (issue 19): bench/_redis_compare.ts, one redis-server per run.
ROWS.push(...REDIS_ROWS);

const here = new URL(".", import.meta.url);
const decoder = new TextDecoder();

async function run(cmd: string, args: string[]): Promise<Result | undefined> {
  try {
    const { code, stdout, stderr } = await new Deno.Command(cmd, {
      args,
      stdout: "piped",
      stderr: "piped",
      cwd: new URL("..", here),
    }).output();
    if (code !== 0) {
      console.error(
        `${cmd} ${args.join(" ")} failed:\n${decoder.decode(stderr)}`,
      );
      return undefined;
    }
    const lines = decoder.decode(stdout).trim().split("\n");
    return JSON.parse(lines.at(-1)!);
  } catch (error) {
    if (error instanceof Deno.errors.NotFound) return undefined;
    throw error;
  }
}

const deno = Deno.execPath();
const redis = redisRunners(run);
const runners = {
  ours: [
    () => run(deno, ["run", "-A", "bench/_ours.ts"]),
    () => run(deno, ["run", "-A", "bench/_ours.ts", "memory"]),
    () => run(deno, ["run", "-A", "bench/_ours.ts", "bare"]),
    () => run(deno, ["run", "-A", "bench/_ours.ts", "queue-memory"]),
    () => run(deno, ["run", "-A", "bench/_ours.ts", "executor"]),
    () => run(deno, ["run", "-A", "bench/_ours.ts", "construct-first"]),
  ],
  cpython: [
    () => run("python3", ["bench/_cpython.py"]),
    () => run("python3", ["bench/_cpython.py", "memory"]),
    () => run("python3", ["bench/_cpython.py", "queue-memory"]),
    () => run("python3", ["bench/_cpython.py", "executor"]),
  ],
  multithreading: [() => run(deno, ["run", "-A", "bench/_multithreading.ts"])],
  piscina: [() => run(deno, ["run", "-A", "bench/_piscina.ts"])],
  bullmq: [redis.bullmq],
};
runners.ours.push(redis.ours);
runners.cpython.push(redis.cpython);
type Name = keyof typeof runners;

function median(values: number[]): number | undefined {
  if (values.length === 0) return undefined;
  const s = [...values].sort((a, b) => a - b);
  const mid = s.length >> 1;
  return s.length % 2 ? s[mid] : (s[mid - 1] + s[mid]) / 2;
}

function format(value: number | undefined, unit: string): string {
  if (value === undefined) return "—";
  if (
    unit === "ops/s" || unit === "round trips/s" || unit === "items/s" ||
    unit === "tasks/s"
  ) {
    if (value >= 1e6) return `${(value / 1e6).toFixed(2)}M`;
    return value >= 1e3 ? `${(value / 1e3).toFixed(1)}k` : value.toFixed(0);
  }
  if (unit === "MB") return `${value.toFixed(1)} MB`;
  if (unit === "KiB") {
    return value >= 1024
      ? `${(value / 1024).toFixed(1)} MiB`
      : `${value.toFixed(0)} KiB`;
  }
  return `${value < 10 ? value.toFixed(2) : value.toFixed(1)} ${unit}`;
}

/** How many times better ours is (>1: ours is better). */
function ratio(
  row: Row,
  ours: number | undefined,
  theirs: number | undefined,
): string {
  if (ours === undefined || theirs === undefined) return "—";
  const r = row.higher ? ours / theirs : theirs / ours;
  if (r < 0.5) return `1/${(1 / r).toFixed(0)}x`;
  return `${r >= 10 ? r.toFixed(0) : r.toFixed(2)}x`;
}

function chart(
  medians: Record<Name, Record<string, number | undefined>>,
): string {
  const series: [Name, string, string][] = [
    ["ours", "@weft/threading", "#2f6fdb"],
    ["cpython", "CPython threading", "#e0a030"],
    ["multithreading", "npm multithreading", "#7a7a7a"],
  ];
  const groups = ["counter_1", "counter_2", "counter_4"];
  const max = Math.max(
    ...series.flatMap(([n]) => groups.map((g) => medians[n][g] ?? 0)),
    1,
  );
  const width = 640;
  const height = 320;
  const left = 70;
  const bottom = 260;
  const groupWidth = (width - left - 20) / groups.length;
  const barWidth = groupWidth / (series.length + 1);
  let svg =
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" ` +
    `font-family="sans-serif" font-size="12">\n` +
    `<rect width="100%" height="100%" fill="white"/>\n` +
    `<text x="${width / 2}" y="20" text-anchor="middle" font-size="14">` +
    `Counter under one Lock: increments per second (higher is better)</text>\n`;
  for (let i = 0; i <= 4; i++) {
    const y = bottom - (i / 4) * (bottom - 40);
    svg +=
      `<line x1="${left}" x2="${
        width - 20
      }" y1="${y}" y2="${y}" stroke="#ddd"/>` +
      `<text x="${left - 6}" y="${y + 4}" text-anchor="end">${
        ((max * i) / 4 / 1e6).toFixed(0)
      }M</text>\n`;
  }
  groups.forEach((g, gi) => {
    const x0 = left + gi * groupWidth + barWidth / 2;
    series.forEach(([name, , color], si) => {
      const v = medians[name][g];
      if (v === undefined) return;
      const h = (v / max) * (bottom - 40);
      svg +=
        `<rect x="${x0 + si * barWidth}" y="${bottom - h}" width="${
          barWidth - 4
        }" ` +
        `height="${h}" fill="${color}"><title>${name}: ${
          format(v, "ops/s")
        }</title></rect>\n`;
    });
    svg +=
      `<text x="${x0 + (series.length * barWidth) / 2}" y="${bottom + 18}" ` +
      `text-anchor="middle">${g.split("_")[1]} thread${
        g.endsWith("_1") ? "" : "s"
      }</text>\n`;
  });
  series.forEach(([, label, color], si) => {
    const x = left + si * 180;
    svg +=
      `<rect x="${x}" y="${
        height - 24
      }" width="12" height="12" fill="${color}"/>` +
      `<text x="${x + 18}" y="${height - 14}">${label}</text>\n`;
  });
  return svg + "</svg>\n";
}

if (import.meta.main) {
  const at = Deno.args.indexOf("--rounds");
  const rounds = at >= 0 ? Number(Deno.args[at + 1]) : 3;
  const results: Record<Name, Result[]> = {
    ours: [],
    cpython: [],
    multithreading: [],
    piscina: [],
    bullmq: [],
  };
  for (let r = 0; r < rounds; r++) {
    // Interleaved, so that a slow moment of the machine hits every runtime.
    for (const name of Object.keys(runners) as Name[]) {
      const merged: Result = {};
      for (const runner of runners[name]) {
        Object.assign(merged, await runner() ?? {});
      }
      if (Object.keys(merged).length > 0) results[name].push(merged);
      console.error(
        `round ${r + 1}/${rounds}: ${name} ${
          Object.keys(merged).length > 0 ? "done" : "skipped"
        }`,
      );
    }
  }
  const medians = {} as Record<Name, Record<string, number | undefined>>;
  for (const name of Object.keys(results) as Name[]) {
    medians[name] = {};
    for (const row of ROWS) {
      medians[name][row.key] = median(
        results[name].map((r) => r[row.key]).filter((v): v is number =>
          typeof v === "number"
        ),
      );
    }
  }
  const runtime = (name: Name): string =>
    String(results[name][0]?.runtime ?? "not available");
  const cpu = (() => {
    try {
      return /model name\s*:\s*(.*)/.exec(
        Deno.readTextFileSync("/proc/cpuinfo"),
      )?.[1] ?? "unknown CPU";
    } catch {
      return "unknown CPU";
    }
  })();
  const lines = [
    `Machine: ${cpu}, ${navigator.hardwareConcurrency} cores; ${
      runtime("ours")
    }; ` +
    `${runtime("cpython")}; npm peers: ${runtime("multithreading")} ` +
    `(primitives), ${runtime("piscina")} (executor rows), ` +
    `${runtime("bullmq")} (Redis executor row). Medians of ` +
    `${rounds} interleaved rounds ` +
    `(\`deno task bench:compare\`, ${new Date().toISOString().slice(0, 10)}).`,
    "",
    "| workload | @weft/threading | CPython | ours vs CPython | npm peer | ours vs npm peer | target | met |",
    "| --- | --- | --- | --- | --- | --- | --- | --- |",
  ];
  for (const row of ROWS) {
    const o = medians.ours[row.key];
    const p = medians.cpython[row.key];
    const m = medians.multithreading[row.key] ?? medians.piscina[row.key] ??
      medians.bullmq[row.key];
    const met = row.met && o !== undefined
      ? (row.met(o, p, medians.ours, m) ? "yes" : "**no**")
      : "";
    lines.push(
      `| ${row.label} | ${format(o, row.unit)} | ${format(p, row.unit)} | ${
        ratio(row, o, p)
      } | ` +
        `${format(m, row.unit)} | ${
          ratio(row, o, m)
        } | ${row.target} | ${met} |`,
    );
  }
  await stopRedis();
  const table = lines.join("\n");
  console.log(table);
  await Deno.writeTextFile(
    new URL("results.md", here),
    `# Benchmark results\n\n${table}\n\n![Counter under one Lock](contention.svg)\n`,
  );
  await Deno.writeTextFile(new URL("contention.svg", here), chart(medians));
  console.error("wrote bench/results.md and bench/contention.svg");
}
