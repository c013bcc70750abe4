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
//   --only      row keys or group names (see bench/_rows.ts); prints
//               the table and writes no file
// Writes bench/results.md and bench/contention.svg after a full run.
import { median } from "./_stats.ts";
import {
  ALL_ROWS,
  BASELINES,
  better,
  format,
  GROUPS,
  labels,
  num,
  type Result,
  type Round,
  type Row,
  type Run,
  type Section,
  SECTIONS,
  short,
  type Side,
  type Target,
  times,
  type Value,
} from "./_rows.ts";

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
    return {
      met: undefined,
      text: `${target.text}: n/a (a side it needs did not run)`,
    };
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
      row.targets.map((t) => verdict(t, rounds).text).join("; "),
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
  const measured = (row: Row): boolean =>
    results.some((r) =>
      Object.values(r).some((res) => res?.[row.key] !== undefined)
    );
  const checks = SECTIONS.flatMap((s) => s.rows).filter(measured).flatMap(
    (row) => row.targets.map((t) => ({ row, ...verdict(t, results) })),
  );
  const missed = checks.filter((c) => c.met === false);
  lines.push(
    `Targets: ${checks.filter((c) => c.met).length} met in every round, ` +
      `${missed.length} not, ` +
      `${checks.filter((c) => c.met === undefined).length} not measured.`,
    "",
    ...missed.map((c) => `- ${c.row.label} (\`${c.row.key}\`): ${c.text}`),
    ...(missed.length > 0 ? [""] : []),
  );
  for (const section of SECTIONS) {
    const picked = section.rows.filter(measured);
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
