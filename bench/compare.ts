// `deno task bench:compare`: runs the same workloads in @weft/threading, in
// CPython 3.11's threading, in a free-threaded CPython (PEP 703) when
// `python3.14t` or `python3.13t` is on PATH, in the npm `multithreading`
// package (the primitives it has) and in piscina (the executor rows), and
// bare Deno workers as baselines for the thread-cost rows.
//
// Every side runs each group of rows in a fresh process, one process at a
// time, interleaved (ours, CPython 3.11, free-threaded CPython, the npm peer)
// group by group, round after round, so that a slow moment of the machine
// hits every side. Per row it reports the median over the rounds and their
// spread (min–max); a target is met only when it holds in every round,
// comparing each round's sides with each other.
//
// Usage: deno task bench:compare [--rounds N] [--only KEY,KEY...]
//   --rounds N  rounds (default 5)
//   --only      row keys or group names (see ROWS and GROUPS below); prints
//               the table and writes no file
// Writes bench/results.md and bench/contention.svg after a full run.
import { median } from "./_stats.ts";

type Value = number | string;
type Result = Record<string, Value>;
type Side = "ours" | "py" | "ft" | "multithreading" | "piscina" | "deno";
/** One round: what each side measured in it. */
type Round = Partial<Record<Side, Result>>;

/** A check of one row in one round. */
interface Target {
  text: string;
  /** The quantity checked in `round`; undefined when a side it needs did not run. */
  of(round: Round): number | undefined;
  atLeast?: number;
  atMost?: number;
  show(value: number): string;
}

interface Row {
  key: string;
  /** The group whose processes measure it. */
  group: string;
  label: string;
  unit: string;
  /** Whether a larger value is better (throughput) or smaller (time, memory). */
  higher: boolean;
  targets: Target[];
}

interface Run {
  side: Side;
  /** The script and its leading arguments; the row keys asked for follow. */
  args: string[];
}

interface Group {
  name: string;
  runs: Run[];
}

const ours = (group: string): Run => ({
  side: "ours",
  args: ["bench/_ours.ts", group],
});
const py = (group: string): Run => ({
  side: "py",
  args: ["bench/_cpython.py", group],
});
const ft = (group: string): Run => ({
  side: "ft",
  args: ["bench/_cpython.py", group],
});
const bare = (mode: string): Run => ({
  side: "deno",
  args: ["bench/_bare.ts", mode],
});

const GROUPS: Group[] = [
  {
    name: "locks",
    runs: [ours("locks"), py("locks"), ft("locks"), {
      side: "multithreading",
      args: ["bench/_multithreading.ts", "locks"],
    }],
  },
  {
    name: "handoff",
    runs: [ours("handoff"), py("handoff"), ft("handoff")],
  },
  {
    name: "threads",
    runs: [ours("threads"), py("threads"), ft("threads"), {
      side: "multithreading",
      args: ["bench/_multithreading.ts", "threads"],
    }],
  },
  { name: "boot", runs: [bare("web-boot"), bare("node-boot")] },
  {
    name: "first-start",
    runs: [ours("first-start"), py("first-start"), ft("first-start")],
  },
  { name: "cold", runs: [ours("cold")] },
  {
    name: "memory",
    runs: [
      ours("memory"),
      py("memory"),
      ft("memory"),
      bare("web-memory"),
      bare("node-memory"),
    ],
  },
  { name: "churn", runs: [ours("churn"), py("churn"), ft("churn")] },
  { name: "queues", runs: [ours("queues"), py("queues"), ft("queues")] },
  {
    name: "queue-memory",
    runs: [ours("queue-memory"), py("queue-memory"), ft("queue-memory")],
  },
  {
    name: "containers",
    runs: [ours("containers"), py("containers"), ft("containers")],
  },
  {
    name: "construct",
    runs: [ours("construct"), py("construct"), ft("construct")],
  },
  {
    name: "executor",
    runs: [ours("executor"), py("executor"), ft("executor"), {
      side: "piscina",
      args: ["bench/_piscina.ts", "executor"],
    }],
  },
];

// ---- targets ---------------------------------------------------------------

/** Side labels, filled in from what the sides report. */
const labels: Record<Side, string> = {
  ours: "@weft/threading",
  py: "CPython 3.11",
  ft: "free-threaded CPython",
  multithreading: "npm multithreading",
  piscina: "piscina",
  deno: "bare Deno",
};

function num(round: Round, side: Side, key: string): number | undefined {
  const v = round[side]?.[key];
  return typeof v === "number" ? v : undefined;
}

/** How many times better ours is than `theirs` (>1: ours is better). */
function better(row: Row, o: number, theirs: number): number {
  return row.higher ? o / theirs : theirs / o;
}

/** A ratio as printed; below 0.5 as a fraction ("1/4x"). */
function times(v: number): string {
  if (!Number.isFinite(v)) return "—";
  if (v > 0 && v < 0.5) return `1/${(1 / v).toFixed(1 / v >= 10 ? 0 : 1)}x`;
  return `${v >= 10 ? v.toFixed(0) : v.toFixed(2)}x`;
}

/** A limit as a target states it: no trailing ".0". */
const limit = (value: number, unit: string): string =>
  format(value, unit).replace(/\.0+(?=\D|$)/, "");

/** Ours at least `x` times better than `side`, in the same round. */
function vs(row: Row, side: Side, x: number): Target {
  return {
    get text() {
      return `≥ ${x}x ${short(side)}`;
    },
    of: (r) => {
      const o = num(r, "ours", row.key);
      const t = num(r, side, row.key);
      return o === undefined || t === undefined ? undefined : better(row, o, t);
    },
    atLeast: x,
    show: times,
  };
}

/** Ours at most `factor` times `key` of `side` (ours by default), same round. */
function within(
  row: Row,
  factor: number,
  key: string,
  what: string,
  side: Side = "ours",
): Target {
  return {
    text: `≤ ${factor === 1 ? "" : `${factor}x `}${what}`,
    of: (r) => {
      const o = num(r, "ours", row.key);
      const t = num(r, side, key);
      return o === undefined || t === undefined ? undefined : o / t;
    },
    atMost: factor,
    show: (v) => `${v.toFixed(2)}x`,
  };
}

function atMost(row: Row, max: number): Target {
  return {
    text: `≤ ${limit(max, row.unit)}`,
    of: (r) => num(r, "ours", row.key),
    atMost: max,
    show: (v) => format(v, row.unit),
  };
}

function atLeast(row: Row, min: number): Target {
  return {
    text: `≥ ${limit(min, row.unit)}`,
    of: (r) => num(r, "ours", row.key),
    atLeast: min,
    show: (v) => format(v, row.unit),
  };
}

type RowSpec = Omit<Row, "targets"> & {
  targets?: (row: Row) => Target[];
};

function rows(group: string, specs: Omit<RowSpec, "group">[]): Row[] {
  return specs.map((spec) => {
    const row: Row = { ...spec, group, targets: [] };
    row.targets = spec.targets?.(row) ?? [];
    return row;
  });
}

interface Section {
  title: string;
  rows: Row[];
  note?: string;
}

const SECTIONS: Section[] = [
  {
    title: "Locks",
    rows: rows("locks", [
      {
        key: "lock_ns",
        label: "uncontended Lock acquire+release",
        unit: "ns",
        higher: false,
        targets: (r) => [atMost(r, 25), vs(r, "py", 3.5)],
      },
      {
        key: "rlock_ns",
        label: "RLock acquire, acquire, release, release",
        unit: "ns",
        higher: false,
        targets: (r) => [atMost(r, 75), vs(r, "py", 2)],
      },
      {
        key: "lock_with_ns",
        label: "`using _ = lock.hold()` around an increment (CPython: `with`)",
        unit: "ns",
        higher: false,
      },
      {
        key: "lock_hold_fn_ns",
        label: "`lock.hold(() => ...)` around an increment (CPython: `with`)",
        unit: "ns",
        higher: false,
        targets: (r) => [vs(r, "py", 2)],
      },
      {
        key: "counter_1",
        label: "counter under one Lock, 1 thread",
        unit: "ops/s",
        higher: true,
      },
      {
        key: "counter_2",
        label: "counter under one Lock, 2 threads",
        unit: "ops/s",
        higher: true,
        targets: (r) => [vs(r, "py", 10), vs(r, "ft", 1.5)],
      },
      {
        key: "counter_4",
        label: "counter under one Lock, 4 threads",
        unit: "ops/s",
        higher: true,
        targets: (r) => [vs(r, "py", 10), vs(r, "ft", 1.5)],
      },
      {
        key: "semaphore_4",
        label: "Semaphore(2), 4 threads acquire+release",
        unit: "ops/s",
        higher: true,
        targets: (r) => [vs(r, "py", 30)],
      },
    ]),
  },
  {
    title: "Hand-offs",
    rows: rows("handoff", [
      {
        key: "event_pingpong",
        label: "Event ping-pong, 2 threads (free cores)",
        unit: "round trips/s",
        higher: true,
        targets: (r) => [atLeast(r, 500_000)],
      },
      {
        key: "condition_pingpong",
        label: "Condition ping-pong, 2 threads (free cores)",
        unit: "round trips/s",
        higher: true,
        targets: (r) => [atLeast(r, 500_000)],
      },
      {
        key: "event_pingpong_parked",
        label: "Event ping-pong, busy threads outnumber cores (parked)",
        unit: "round trips/s",
        higher: true,
        targets: (r) => [vs(r, "py", 1), vs(r, "ft", 10)],
      },
      {
        key: "condition_pingpong_parked",
        label: "Condition ping-pong, busy threads outnumber cores (parked)",
        unit: "round trips/s",
        higher: true,
        targets: (r) => [vs(r, "py", 1), vs(r, "ft", 10)],
      },
    ]),
  },
  {
    title: "Thread start and join",
    rows: rows("threads", [
      {
        key: "start_join_us",
        label: "start + join, warm (a parked worker is reused)",
        unit: "µs",
        higher: false,
        targets: (r) => [within(r, 1.2, r.key, "CPython 3.11's time", "py")],
      },
      {
        key: "start_join_shared_us",
        label: "start + join, warm, args: Lock, Event, typed array, Queue",
        unit: "µs",
        higher: false,
        targets: (r) => [within(r, 1, r.key, "CPython 3.11's time", "py")],
      },
      {
        key: "nested_start_us",
        label: "start() from a thread, warm (returns once the new thread runs)",
        unit: "µs",
        higher: false,
        targets: (
          r,
        ) => [within(r, 2, "start_join_us", "a warm start+join from main")],
      },
      {
        key: "server_ms",
        label: "a thread starts+joins 20 handler threads in a row",
        unit: "ms",
        higher: false,
      },
      {
        key: "timer_late_ms",
        label: "Timer(10 ms) re-armed 20 times from a thread: mean lateness",
        unit: "ms",
        higher: false,
      },
    ]),
  },
  {
    title: "What a thread costs",
    note:
      "Baselines in the same rounds: see the table of bare workers below. " +
      "A program's first start() is compared with a fresh process's first " +
      "web Worker, later starts with later web Workers.",
    rows: [
      ...rows("first-start", [
        {
          key: "first_start_ms",
          label: "how long a program's first start() blocks (pool on)",
          unit: "ms",
          higher: false,
          targets: (r) => [
            within(
              r,
              1,
              "web_boot_first_ms",
              "a bare web Worker's first boot",
              "deno",
            ),
          ],
        },
      ]),
      ...rows("cold", [
        {
          key: "first_start_nopool_ms",
          label:
            "how long a program's first start() blocks (pool off: setThreadPoolSize(0))",
          unit: "ms",
          higher: false,
          targets: (r) => [
            within(
              r,
              1,
              "web_boot_first_ms",
              "a bare web Worker's first boot",
              "deno",
            ),
          ],
        },
        {
          key: "start_join_cold_ms",
          label: "start + join, cold (pool off, after the first; median of 10)",
          unit: "ms",
          higher: false,
          targets: (r) => [
            within(r, 1.3, "web_boot_ms", "a bare web Worker's boot", "deno"),
          ],
        },
      ]),
      ...rows("first-start", [
        {
          key: "nested_first_start_ms",
          label: "a thread's first start() (pool on; main's was its own start)",
          unit: "ms",
          higher: false,
          targets: (
            r,
          ) => [within(r, 1.5, "first_start_ms", "main's first start()")],
        },
      ]),
      ...rows("cold", [
        {
          key: "nested_first_start_nopool_ms",
          label: "a thread's first start() (pool off, main blocked in join())",
          unit: "ms",
          higher: false,
          targets: (r) => [
            within(r, 1.5, "start_join_cold_ms", "a cold start+join from main"),
          ],
        },
        {
          key: "nested_start_cold_ms",
          label: "a thread's start(), cold (pool off; median of its next 9)",
          unit: "ms",
          higher: false,
          targets: (r) => [
            within(r, 1.5, "start_join_cold_ms", "a cold start+join from main"),
          ],
        },
      ]),
      ...rows("memory", [
        {
          key: "idle_thread_kib",
          label: "RSS per idle live thread (100 threads)",
          unit: "KiB",
          higher: false,
          targets: (r) => [{
            text: "≤ a bare web Worker + 1.5 MiB",
            of: (round) => {
              const o = num(round, "ours", r.key);
              const web = num(round, "deno", "bare_web_worker_kib");
              return o === undefined || web === undefined ? undefined : o - web;
            },
            atMost: 1536,
            show: (v) => `${v >= 0 ? "+" : ""}${format(v, "KiB")}`,
          }],
        },
      ]),
      ...rows("churn", [
        {
          key: "churn_rise_mb",
          label: "RSS rise, 6 batches of 50 live threads (300 threads joined)",
          unit: "MB",
          higher: false,
        },
        {
          key: "churn_rss_kept_pct",
          label: "share of that rise still held 1 s after the last join",
          unit: "%",
          higher: false,
          targets: (r) => [atMost(r, 15)],
        },
        {
          key: "churn_exit_ms",
          label: "then, from the program's last line to the process's exit",
          unit: "ms",
          higher: false,
          targets: (r) => [atMost(r, 2000)],
        },
      ]),
    ],
  },
  {
    title: "Queues",
    rows: [
      ...rows("queues", [
        {
          key: "queue_int_ns",
          label: "Queue put+get, one thread, an int",
          unit: "ns",
          higher: false,
          targets: (r) => [vs(r, "py", 3)],
        },
        {
          key: "queue_obj_ns",
          label: "Queue put+get, one thread, {id, name, tags: [1,2,3]}",
          unit: "ns",
          higher: false,
          targets: (r) => [vs(r, "py", 2)],
        },
        {
          key: "pipe_int",
          label: "1 producer → 1 consumer, 200k ints, unbounded",
          unit: "items/s",
          higher: true,
          targets: (r) => [vs(r, "py", 3)],
        },
        {
          key: "pipe_int_64",
          label: "1 producer → 1 consumer, 200k ints, maxsize 64",
          unit: "items/s",
          higher: true,
          targets: (r) => [vs(r, "py", 3)],
        },
        {
          key: "pipe_obj_64",
          label: "1 producer → 1 consumer, 200k small objects, maxsize 64",
          unit: "items/s",
          higher: true,
          targets: (r) => [vs(r, "py", 2)],
        },
        {
          key: "pipe_4x4_64",
          label: "4 producers → 4 consumers, 200k ints, maxsize 64",
          unit: "items/s",
          higher: true,
          targets: (r) => [vs(r, "py", 2)],
        },
      ]),
      ...rows("queue-memory", [
        {
          key: "queue_rss_mb",
          label: "RSS growth over 1M small-object put+get (after 100k)",
          unit: "MB",
          higher: false,
          targets: (r) => [atMost(r, 50)],
        },
      ]),
    ],
  },
  {
    title: "Shared containers",
    rows: rows("containers", [
      {
        key: "map_set_ns",
        label:
          "SharedMap set(), small key and value, one thread (CPython: dict)",
        unit: "ns",
        higher: false,
        targets: (r) => [atMost(r, 1000)],
      },
      {
        key: "map_get_ns",
        label:
          "SharedMap get(), small key and value, one thread (CPython: dict)",
        unit: "ns",
        higher: false,
        targets: (r) => [atMost(r, 1000)],
      },
      {
        key: "list_push_pop_ns",
        label: "SharedList push() or pop(), one thread (CPython: list)",
        unit: "ns",
        higher: false,
        targets: (r) => [atMost(r, 1000)],
      },
      {
        key: "map_updates_4",
        label:
          "4 threads × 25,000 SharedMap update() (CPython: dict updates under a Lock)",
        unit: "ops/s",
        higher: true,
        targets: (r) => [vs(r, "py", 1)],
      },
    ]),
  },
  {
    title: "Constructing a primitive",
    note: "Module-level detection reads the stack while a module's top level " +
      "may run (in main: until its first start()). Rows for `shared()` " +
      "come when it exists.",
    rows: rows("construct", [
      {
        key: "lock_construct_early_ns",
        label:
          "`new Lock()` in a function, before main's first start(), no top level running (a timer callback)",
        unit: "ns",
        higher: false,
        targets: (r) => [atMost(r, 2000)],
      },
      {
        key: "lock_construct_first_ns",
        label:
          "`new Lock()` in a function called from the main module's top level, before its first start()",
        unit: "ns",
        higher: false,
        targets: (r) => [atMost(r, 5000)],
      },
      {
        key: "lock_construct_sites_us",
        label:
          "`export const l = new Lock()` at top level, 2,000 distinct sites in one module",
        unit: "µs",
        higher: false,
        targets: (r) => [atMost(r, 20)],
      },
      {
        key: "lock_construct_ns",
        label: "`new Lock()` in a function, after main's first start()",
        unit: "ns",
        higher: false,
        targets: (r) => [atMost(r, 2000)],
      },
    ]),
  },
  {
    title: "Executor (4 workers)",
    rows: rows("executor", [
      {
        key: "executor_round_trip_us",
        label: "submit(fn, x).result() in a row",
        unit: "µs",
        higher: false,
        targets: (r) => [vs(r, "py", 2), vs(r, "ft", 2)],
      },
      {
        key: "executor_gather",
        label: "200k tiny tasks submitted, then gathered",
        unit: "tasks/s",
        higher: true,
        targets: (r) => [vs(r, "py", 10)],
      },
      {
        key: "executor_map",
        label: "map() over 200k items",
        unit: "tasks/s",
        higher: true,
        targets: (r) => [vs(r, "py", 10)],
      },
      {
        key: "executor_primes_speedup",
        label:
          "counting primes, speed-up of 2 workers over 1 (CPython: a tenth of the work)",
        unit: "x",
        higher: true,
        targets: (r) => [vs(r, "piscina", 1)],
      },
    ]),
  },
];

/** Rows of the bare workers, the baselines of the thread-cost rows. */
const BASELINES: Row[] = [
  ...rows("boot", [
    {
      key: "web_boot_first_ms",
      label: "bare web Worker boot, module to first message, a process's first",
      unit: "ms",
      higher: false,
    },
    {
      key: "web_boot_ms",
      label:
        "bare web Worker boot, module to first message (median of 10 more)",
      unit: "ms",
      higher: false,
    },
    {
      key: "node_boot_first_ms",
      label: "bare node:worker_threads Worker boot, a process's first",
      unit: "ms",
      higher: false,
    },
    {
      key: "node_boot_ms",
      label: "bare node:worker_threads Worker boot (median of 10 more)",
      unit: "ms",
      higher: false,
    },
  ]),
  ...rows("memory", [
    {
      key: "bare_web_worker_kib",
      label: "RSS per idle bare web Worker (100)",
      unit: "KiB",
      higher: false,
    },
    {
      key: "bare_node_worker_kib",
      label: "RSS per idle bare node:worker_threads Worker (100)",
      unit: "KiB",
      higher: false,
    },
  ]),
];

const ALL_ROWS = [...SECTIONS.flatMap((s) => s.rows), ...BASELINES];

// ---- running ---------------------------------------------------------------

const decoder = new TextDecoder();
const root = new URL("..", import.meta.url);
/** A run that takes longer than this is ended and counts as failed. */
const RUN_TIMEOUT_MS = 10 * 60_000;

/** Runs one side's process for one group; its result, or undefined. */
async function run(
  cmd: string,
  args: string[],
  group: string,
  env?: Record<string, string>,
): Promise<Result | undefined> {
  let output;
  try {
    output = await new Deno.Command(cmd, {
      args,
      env,
      stdout: "piped",
      stderr: "piped",
      cwd: root,
      signal: AbortSignal.timeout(RUN_TIMEOUT_MS),
    }).output();
  } catch (error) {
    if (!(error instanceof Deno.errors.NotFound)) {
      console.error(`${cmd} ${args.join(" ")} failed: ${error}`);
    }
    return undefined;
  }
  const exited = Date.now();
  if (output.code !== 0 || output.signal !== null) {
    console.error(
      `${cmd} ${args.join(" ")} failed (${
        output.signal ?? `exit code ${output.code}`
      }):\n${decoder.decode(output.stderr)}`,
    );
    return undefined;
  }
  const lines = decoder.decode(output.stdout).trim().split("\n");
  const result = JSON.parse(lines.at(-1)!) as Result;
  if (typeof result.end_epoch_ms === "number") {
    result[`${group}_exit_ms`] = exited - result.end_epoch_ms;
    delete result.end_epoch_ms;
  }
  return result;
}

/** The first of `names` that runs and is (or is not) a free-threaded build. */
async function findPython(
  names: string[],
  freeThreaded: boolean,
): Promise<string | undefined> {
  for (const name of names) {
    try {
      const { code, stdout } = await new Deno.Command(name, {
        args: [
          "-c",
          "import sysconfig; print(sysconfig.get_config_var('Py_GIL_DISABLED') or 0)",
        ],
        stdout: "piped",
        stderr: "null",
      }).output();
      if (
        code === 0 && (decoder.decode(stdout).trim() === "1") === freeThreaded
      ) {
        return name;
      }
    } catch (error) {
      if (!(error instanceof Deno.errors.NotFound)) throw error;
    }
  }
  return undefined;
}

function readProc(file: string): string | undefined {
  try {
    return Deno.readTextFileSync(file);
  } catch {
    return undefined;
  }
}

/** The 1-minute load average, or undefined where /proc has none. */
function loadAverage(): number | undefined {
  const text = readProc("/proc/loadavg");
  return text === undefined ? undefined : Number(text.split(" ")[0]);
}

// ---- the table -------------------------------------------------------------

function format(value: number | undefined, unit: string): string {
  if (value === undefined) return "—";
  switch (unit) {
    case "ops/s":
    case "round trips/s":
    case "items/s":
    case "tasks/s":
      if (value >= 1e6) return `${(value / 1e6).toFixed(2)}M`;
      return value >= 1e3 ? `${(value / 1e3).toFixed(1)}k` : value.toFixed(0);
    case "KiB":
      return Math.abs(value) >= 1024
        ? `${(value / 1024).toFixed(1)} MiB`
        : `${value.toFixed(0)} KiB`;
    case "%":
      return `${value.toFixed(1)}%`;
    case "x":
      return `${value.toFixed(2)}x`;
    default:
      return `${
        Math.abs(value) < 10
          ? value.toFixed(2)
          : Math.abs(value) < 1000
          ? value.toFixed(1)
          : value.toFixed(0)
      } ${unit}`;
  }
}

/** "median (min–max)" of a row's per-round values. */
function spread(values: Value[], show: (v: number) => string): string {
  const numbers = values.filter((v): v is number => typeof v === "number");
  if (numbers.length === 0) {
    const reason = values.find((v) => typeof v === "string");
    return reason === undefined ? "—" : `n/a: ${reason}`;
  }
  const mid = show(median(numbers)!);
  if (numbers.length === 1) return mid;
  return `${mid} (${show(Math.min(...numbers))}–${show(Math.max(...numbers))})`;
}

function valuesOf(rounds: Round[], side: Side, key: string): Value[] {
  return rounds.flatMap((r) => {
    const v = r[side]?.[key];
    return v === undefined ? [] : [v];
  });
}

/** Ours vs `side`, round by round: the median ratio and its spread. */
function ratioCell(row: Row, rounds: Round[], side: Side): string {
  const ratios = rounds.flatMap((r) => {
    const o = num(r, "ours", row.key);
    const t = num(r, side, row.key);
    return o === undefined || t === undefined ? [] : [better(row, o, t)];
  });
  return spread(ratios, times);
}

/** Whether a target holds in every round, with the worst round's value. */
function verdict(target: Target, rounds: Round[]): {
  met: boolean | undefined;
  text: string;
} {
  const values = rounds.map((r) => target.of(r)).filter((v): v is number =>
    v !== undefined && Number.isFinite(v)
  );
  if (values.length === 0) {
    return { met: undefined, text: `${target.text}: n/a` };
  }
  const worst = target.atLeast !== undefined
    ? Math.min(...values)
    : Math.max(...values);
  const met = target.atLeast !== undefined
    ? worst >= target.atLeast
    : worst <= target.atMost!;
  const some = values.length < rounds.length
    ? `, ${values.length} of ${rounds.length} rounds`
    : "";
  return {
    met,
    text: `${target.text}: ${met ? "yes" : "**no**"} (worst ${
      target.show(worst)
    }${some})`,
  };
}

/** The short name of a side, for column heads and targets. */
function short(side: Side): string {
  if (side === "py" || side === "ft") {
    const version = /CPython (\d+\.\d+)/.exec(labels[side])?.[1];
    if (version !== undefined) {
      return `CPython ${version}${side === "ft" ? "t" : ""}`;
    }
  }
  return labels[side];
}

function table(
  section: Section,
  rounds: Round[],
  withFt: boolean,
): string[] {
  const head = [
    "workload",
    labels.ours,
    short("py"),
    `ours vs ${short("py")}`,
    ...(withFt ? [short("ft"), `ours vs ${short("ft")}`] : []),
    "npm peer",
    "ours vs peer",
    "target: met in every round?",
  ];
  const lines = [
    `### ${section.title}`,
    "",
    ...(section.note ? [section.note, ""] : []),
    `| ${head.join(" | ")} |`,
    `| ${head.map(() => "---").join(" | ")} |`,
  ];
  for (const row of section.rows) {
    const show = (v: number): string => format(v, row.unit);
    const peer: Side = rounds.some((r) => r.piscina?.[row.key] !== undefined)
      ? "piscina"
      : "multithreading";
    const cells = [
      row.label,
      spread(valuesOf(rounds, "ours", row.key), show),
      spread(valuesOf(rounds, "py", row.key), show),
      ratioCell(row, rounds, "py"),
      ...(withFt
        ? [
          spread(valuesOf(rounds, "ft", row.key), show),
          ratioCell(row, rounds, "ft"),
        ]
        : []),
      spread(valuesOf(rounds, peer, row.key), show),
      ratioCell(row, rounds, peer),
      row.targets.filter((t) => withFt || !t.text.includes(short("ft")))
        .map((t) => verdict(t, rounds).text).join("; "),
    ];
    lines.push(`| ${cells.join(" | ")} |`);
  }
  return lines;
}

function chart(rounds: Round[], withFt: boolean): string {
  const series: [Side, string][] = [
    ["ours", "#2f6fdb"],
    ["py", "#e0a030"],
    ...(withFt ? [["ft", "#c05050"] as [Side, string]] : []),
    ["multithreading", "#7a7a7a"],
  ];
  const groups = ["counter_1", "counter_2", "counter_4"];
  const medians = (side: Side, key: string): number | undefined =>
    median(
      valuesOf(rounds, side, key).filter((v): v is number =>
        typeof v === "number"
      ),
    );
  const max = Math.max(
    ...series.flatMap(([s]) => groups.map((g) => medians(s, g) ?? 0)),
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
    `Counter under one Lock: increments per second, median (higher is better)</text>\n`;
  for (let i = 0; i <= 4; i++) {
    const y = bottom - (i / 4) * (bottom - 40);
    svg += `<line x1="${left}" x2="${width - 20}" y1="${y}" y2="${y}" ` +
      `stroke="#ddd"/><text x="${left - 6}" y="${y + 4}" text-anchor="end">${
        ((max * i) / 4 / 1e6).toFixed(1)
      }M</text>\n`;
  }
  groups.forEach((g, gi) => {
    const x0 = left + gi * groupWidth + barWidth / 2;
    series.forEach(([side, color], si) => {
      const v = medians(side, g);
      if (v === undefined) return;
      const h = (v / max) * (bottom - 40);
      svg += `<rect x="${x0 + si * barWidth}" y="${bottom - h}" width="${
        barWidth - 4
      }" height="${h}" fill="${color}"><title>${short(side)}: ${
        format(v, "ops/s")
      }</title></rect>\n`;
    });
    svg += `<text x="${x0 + (series.length * barWidth) / 2}" y="${
      bottom + 18
    }" text-anchor="middle">${g.split("_")[1]} thread${
      g.endsWith("_1") ? "" : "s"
    }</text>\n`;
  });
  const step = (width - left) / series.length;
  series.forEach(([side, color], si) => {
    const x = left + si * step;
    svg += `<rect x="${x}" y="${height - 24}" width="12" height="12" ` +
      `fill="${color}"/><text x="${x + 18}" y="${height - 14}">${
        short(side)
      }</text>\n`;
  });
  return svg + "</svg>\n";
}

// ---- main ------------------------------------------------------------------

interface Options {
  rounds: number;
  only: Set<string> | undefined;
}

function parseArgs(args: string[]): Options {
  let rounds = 5;
  let only: Set<string> | undefined;
  for (let i = 0; i < args.length; i++) {
    if (args[i] === "--rounds") {
      rounds = Number(args[++i]);
      if (!Number.isInteger(rounds) || rounds < 1) {
        throw new RangeError(
          `Cannot run rounds: received ${args[i]} (a positive integer)`,
        );
      }
    } else if (args[i] === "--only") {
      only ??= new Set();
      for (const key of (args[++i] ?? "").split(",")) {
        if (key !== "") only.add(key.trim());
      }
    } else {
      throw new TypeError(
        `Cannot parse arguments: received ${args[i]} ` +
          "(use --rounds N, --only KEY,KEY...)",
      );
    }
  }
  if (only !== undefined) {
    const known = new Set([
      ...ALL_ROWS.map((r) => r.key),
      ...GROUPS.map((g) => g.name),
    ]);
    const unknown = [...only].filter((k) => !known.has(k));
    if (unknown.length > 0 || only.size === 0) {
      throw new TypeError(
        `Cannot select rows: received ${unknown.join(", ") || "nothing"}; ` +
          `known rows and groups: ${[...known].join(", ")}`,
      );
    }
  }
  return { rounds, only };
}

if (import.meta.main) {
  const { rounds, only } = parseArgs(Deno.args);
  const loadAtStart = loadAverage();
  if (loadAtStart !== undefined && loadAtStart > 0.5) {
    console.error(
      `warning: the 1-minute load average is ${loadAtStart}: the machine is ` +
        "not quiet, and these numbers will not reproduce",
    );
  }
  const deno = Deno.execPath();
  const pythons: Partial<Record<Side, string>> = {
    py: await findPython(["python3.11", "python3"], false),
    ft: await findPython(["python3.14t", "python3.13t"], true),
  };
  const command = (run: Run): [string, Record<string, string>?] | undefined => {
    if (run.side === "py") return pythons.py ? [pythons.py] : undefined;
    if (run.side === "ft") {
      // Keep the GIL off even if the environment asks for it.
      return pythons.ft ? [pythons.ft, { PYTHON_GIL: "0" }] : undefined;
    }
    return [deno];
  };
  const selected = GROUPS.flatMap((group) => {
    if (only === undefined || only.has(group.name)) {
      return [{ group, keys: [] as string[] }];
    }
    const keys = ALL_ROWS.filter((r) => r.group === group.name)
      .map((r) => r.key).filter((k) => only.has(k));
    return keys.length > 0 ? [{ group, keys }] : [];
  });
  const results: Round[] = [];
  for (let r = 0; r < rounds; r++) {
    const round: Round = {};
    for (const { group, keys } of selected) {
      for (const one of group.runs) {
        const cmd = command(one);
        if (cmd === undefined) continue;
        const [exe, env] = cmd;
        const args = exe === deno ? ["run", "-A", ...one.args] : one.args;
        const begin = performance.now();
        const result = await run(exe, [...args, ...keys], group.name, env);
        console.error(
          `round ${r + 1}/${rounds} ${group.name}: ${one.side} ${
            result === undefined
              ? "failed or not available"
              : `${((performance.now() - begin) / 1000).toFixed(1)} s`
          }`,
        );
        if (result === undefined) continue;
        if (
          (one.side === "py" || one.side === "ft") &&
          typeof result.runtime === "string"
        ) {
          labels[one.side] = result.runtime;
        }
        round[one.side] = { ...round[one.side], ...result };
      }
    }
    results.push(round);
  }
  const loadAtEnd = loadAverage();
  const withFt = results.some((r) => r.ft !== undefined);
  const runtimeOf = (side: Side): string =>
    String(results.find((r) => r[side])?.[side]?.runtime ?? "not available");
  const cpu = /model name\s*:\s*(.*)/.exec(readProc("/proc/cpuinfo") ?? "")
    ?.[1] ?? "unknown CPU";
  const smoke = [
    ...(rounds < 5 ? [`${rounds} round${rounds > 1 ? "s" : ""}`] : []),
    ...(only ? ["a subset of rows"] : []),
    ...(loadAtStart !== undefined && loadAtStart > 0.5
      ? [`load average ${loadAtStart} at the start`]
      : []),
  ];
  const lines = [
    ...(smoke.length > 0
      ? [
        `**Smoke run (${
          smoke.join(", ")
        }): these numbers are not for quoting.**`,
        "",
      ]
      : []),
    `Machine: ${cpu}, ${navigator.hardwareConcurrency} cores; ` +
    `Deno ${Deno.version.deno} (V8 ${Deno.version.v8}); ` +
    `${runtimeOf("py")}; ` +
    `${withFt ? runtimeOf("ft") : "no free-threaded CPython on PATH"}; ` +
    `npm peers: ${runtimeOf("multithreading")} (primitives), ` +
    `${runtimeOf("piscina")} (executor). ` +
    `${new Date().toISOString().slice(0, 10)}, ${rounds} round${
      rounds > 1 ? "s" : ""
    }` +
    `, load average ${loadAtStart ?? "?"} at the start and ${
      loadAtEnd ?? "?"
    } at the end.`,
    "",
    "Each side runs each group of rows in a fresh process (warm-up inside), " +
    "one process at a time, the sides interleaved group by group, round " +
    "after round; fast rows are the median of several samples inside their " +
    "process. A cell is the median over the rounds (min–max); a ratio cell " +
    "is the per-round ratio, median (min–max), >1 meaning ours is better. " +
    "A target is met only when it holds in every round, each round's sides " +
    "compared with each other; the worst round is shown. " +
    "The numbers are valid only on a quiet machine (nothing else running).",
    "",
  ];
  for (const section of SECTIONS) {
    const picked = section.rows.filter((row) =>
      results.some((r) =>
        Object.values(r).some((res) => res?.[row.key] !== undefined)
      )
    );
    if (picked.length === 0) continue;
    lines.push(
      ...table({ ...section, rows: picked }, results, withFt),
      "",
    );
  }
  const baselines = BASELINES.filter((row) =>
    results.some((r) => r.deno?.[row.key] !== undefined)
  );
  if (baselines.length > 0) {
    lines.push(
      "### Bare Deno workers (the baselines, same rounds)",
      "",
      "| baseline | median (min–max) |",
      "| --- | --- |",
      ...baselines.map((row) =>
        `| ${row.label} | ${
          spread(
            valuesOf(results, "deno", row.key),
            (v) => format(v, row.unit),
          )
        } |`
      ),
      "",
    );
  }
  const text = lines.join("\n");
  console.log(text);
  if (only === undefined) {
    await Deno.writeTextFile(
      new URL("results.md", import.meta.url),
      `# Benchmark results\n\n${text}\n![Counter under one Lock](contention.svg)\n`,
    );
    await Deno.writeTextFile(
      new URL("contention.svg", import.meta.url),
      chart(results, withFt),
    );
    console.error("wrote bench/results.md and bench/contention.svg");
  }
}
