// The rows of `deno task bench:compare` (bench/compare.ts): which processes
// measure them (groups), what they are, and their targets, each checked
// round by round against the same round's other sides.

export type Value = number | string;
export type Result = Record<string, Value>;
export type Side = "ours" | "py" | "ft" | "multithreading" | "piscina" | "deno";
/** One round: what each side measured in it. */
export type Round = Partial<Record<Side, Result>>;

/** A check of one row in one round. */
export interface Target {
  text: string;
  /** The quantity checked in `round`; undefined when a side it needs did not run. */
  of(round: Round): number | undefined;
  atLeast?: number;
  atMost?: number;
  show(value: number): string;
}

export interface Row {
  key: string;
  /** The group whose processes measure it. */
  group: string;
  label: string;
  unit: string;
  /** Whether a larger value is better (throughput) or smaller (time, memory). */
  higher: boolean;
  targets: Target[];
}

export interface Run {
  side: Side;
  /** The script and its leading arguments; the row keys asked for follow. */
  args: string[];
}

export interface Group {
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

export const GROUPS: Group[] = [
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
  {
    name: "churn",
    runs: [
      ours("churn"),
      py("churn"),
      ft("churn"),
      bare("web-churn"),
      bare("node-churn"),
    ],
  },
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
export const labels: Record<Side, string> = {
  ours: "@weft/threading",
  py: "CPython 3.11",
  ft: "free-threaded CPython",
  multithreading: "npm multithreading",
  piscina: "piscina",
  deno: "bare Deno",
};

export function num(round: Round, side: Side, key: string): number | undefined {
  const v = round[side]?.[key];
  return typeof v === "number" ? v : undefined;
}

/** How many times better ours is than `theirs` (>1: ours is better). */
export function better(row: Row, o: number, theirs: number): number {
  return row.higher ? o / theirs : theirs / o;
}

/** A ratio as printed; below 0.5 as a fraction ("1/4x"). */
export function times(v: number): string {
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
      return `≥ ${x === 1 ? "" : `${x}x `}${short(side)}`;
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

export interface Section {
  title: string;
  rows: Row[];
  note?: string;
}

export const SECTIONS: Section[] = [
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
export const BASELINES: Row[] = [
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
  ...rows("churn", [
    {
      key: "web_churn_kept_pct",
      label:
        "bare web Workers, 6 batches of 50 ended: share of the RSS rise still held 1 s later",
      unit: "%",
      higher: false,
    },
    {
      key: "node_churn_kept_pct",
      label:
        "bare node:worker_threads Workers, the same: share of the RSS rise still held",
      unit: "%",
      higher: false,
    },
  ]),
];

/** Every row, the baselines included. */
export const ALL_ROWS = [...SECTIONS.flatMap((s) => s.rows), ...BASELINES];

/** A value in its unit, as the table prints it. */
export function format(value: number | undefined, unit: string): string {
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

/** The short name of a side, for column heads and targets. */
export function short(side: Side): string {
  if (side === "py" || side === "ft") {
    const version = /CPython (\d+\.\d+)/.exec(labels[side])?.[1];
    if (version !== undefined) {
      return `CPython ${version}${side === "ft" ? "t" : ""}`;
    }
  }
  return labels[side];
}
