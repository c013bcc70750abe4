import assert from "node:assert/strict";
import {
  Condition,
  Event,
  Lock,
  sleep,
  startTrace,
  stopTrace,
  Thread,
  ThreadError,
  timelineHtml,
  type TraceEvent,
} from "../mod.ts";
import { cells, runChild, sharedWord, test, until } from "./_helpers.ts";
import { consumer, producer } from "./_deadlock_fixtures.ts";
import { incrementMany } from "./_fixtures.ts";
import {
  COND_COUNT,
  H_TRACE,
  TRACE_CHUNK_BITS,
  TRACE_CHUNKS,
  TRACE_DIRECTORY,
} from "../src/_core/layout.ts";
import { heap } from "../src/_core/heap.ts";

function byName(events: TraceEvent[], pattern: RegExp): TraceEvent[] {
  return events.filter((e) => pattern.test(e.name));
}

test("a trace parses and names every thread, with lives, waits, holds and instants", async () => {
  startTrace();
  let trace;
  try {
    const cond = new Condition();
    const state = cells(2);
    const threads = ["c1", "c2"].map((name) =>
      new Thread({ name, target: consumer, args: [cond, state] })
    );
    for (const t of threads) t.start();
    await until(() => sharedWord(cond, COND_COUNT) === 2, 10_000, "waiters");
    const p = new Thread({ name: "p", target: producer, args: [cond, state] });
    p.start();
    for (const t of [...threads, p]) t.join();
    assert.equal(state[1], 2);
  } finally {
    trace = stopTrace();
  }
  const events: TraceEvent[] = JSON.parse(JSON.stringify(trace)).traceEvents;
  const names = new Map(
    events.filter((e) => e.ph === "M" && e.name === "thread_name").map((
      e,
    ) => [e.tid, e.args!.name as string]),
  );
  assert.deepEqual(
    [...names.values()].sort(),
    ["MainThread", "c1", "c2", "p"],
  );
  const tidOf = (name: string): number =>
    [...names].find(([, n]) => n === name)![0];
  for (const name of ["c1", "c2", "p"]) {
    const life = events.filter((e) =>
      e.ph === "X" && e.cat === "thread" && e.tid === tidOf(name)
    );
    assert.equal(life.length, 1, `one life slice for ${name}`);
    assert.equal(life[0].name, name);
  }
  for (const name of ["c1", "c2"]) {
    const waits = byName(events, /^wait Condition at trace_test\.ts:\d+$/)
      .filter((e) => e.tid === tidOf(name));
    assert.equal(waits.length, 1, `${name} waited on the Condition once`);
    assert.ok(waits[0].dur! > 0);
    const holds = byName(events, /^hold RLock at trace_test\.ts:\d+$/)
      .filter((e) => e.tid === tidOf(name));
    assert.equal(holds.length, 2, "before and after its wait");
  }
  const notify = byName(events, /^notify Condition at trace_test\.ts:\d+$/);
  assert.equal(notify.length, 1);
  assert.equal(notify[0].ph, "i");
  assert.equal(notify[0].tid, tidOf("p"));
  for (const e of events) {
    assert.ok(e.ts >= 0, `${e.name} starts after the trace`);
    if (e.ph === "X") assert.ok(e.dur! >= 0);
  }
  // Every slice of a thread lies within its life.
  for (const e of events.filter((e) => e.ph === "X" && e.cat !== "thread")) {
    const life = events.find((l) => l.cat === "thread" && l.tid === e.tid)!;
    assert.ok(e.ts >= life.ts && e.ts + e.dur! <= life.ts + life.dur! + 1);
  }
  const html = timelineHtml(trace, { title: "test" });
  for (const name of ["MainThread", "c1", "c2", "p"]) {
    assert.ok(html.includes(`>${name}</text>`), `a lane for ${name}`);
  }
});

test("a trace shows every hold of a lock made before it, named by its ref", () => {
  const lock = new Lock();
  const cell = cells(1);
  startTrace();
  let trace;
  try {
    const threads = [1, 2, 3].map(() =>
      new Thread({ target: incrementMany, args: [lock, cell, 2_000] })
    );
    for (const t of threads) t.start();
    for (const t of threads) t.join();
  } finally {
    trace = stopTrace();
  }
  assert.equal(cell[0], 6_000);
  const holds = byName(trace.traceEvents, /^hold Lock #\d+$/);
  assert.ok(holds.length >= 6_000, "every hold, named by ref: made before");
});

test("startTrace() twice and stopTrace() without a trace are ThreadErrors", () => {
  assert.throws(() => stopTrace(), ThreadError);
  startTrace();
  assert.throws(() => startTrace(), ThreadError);
  const { traceEvents } = stopTrace();
  assert.ok(traceEvents.some((e) => e.name === "thread_name"));
  assert.throws(() => timelineHtml({} as never), TypeError);
});

test("WEFT_TRACE=file traces a whole program and writes the file at exit", async () => {
  const dir = await Deno.makeTempDir();
  try {
    for (const file of ["trace.json", "trace.html"]) {
      const { code, stderr } = await new Deno.Command(Deno.execPath(), {
        args: [
          "run",
          "-A",
          new URL("../examples/condition.ts", import.meta.url).href,
        ],
        env: { WEFT_TRACE: `${dir}/${file}` },
        stdout: "null",
        stderr: "piped",
      }).output();
      assert.equal(code, 0, new TextDecoder().decode(stderr));
      const text = await Deno.readTextFile(`${dir}/${file}`);
      if (file.endsWith(".json")) {
        const names = (JSON.parse(text).traceEvents as TraceEvent[])
          .filter((e) => e.name === "thread_name")
          .map((e) => e.args!.name).sort();
        assert.deepEqual(names, ["MainThread", "c1", "c2", "p"]);
      } else {
        assert.match(text, /^<!DOCTYPE html>/);
        assert.ok(text.includes(">c1</text>"));
      }
    }
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

test("importing the library in a terminal with WEFT_TRACE set and no env access never prompts", async () => {
  const dir = await Deno.makeTempDir();
  try {
    const program = `${dir}/program.ts`;
    await Deno.writeTextFile(
      program,
      `import ${
        JSON.stringify(new URL("../mod.ts", import.meta.url).href)
      };\nconsole.log("ran");\n`,
    );
    // `script` runs the child in a terminal, where Deno would ask.
    const { stdout } = await new Deno.Command("script", {
      args: ["-qec", `${Deno.execPath()} run -R ${program}`, "/dev/null"],
      env: { WEFT_TRACE: `${dir}/trace.json`, NO_COLOR: "1" },
      stdin: "null",
      stdout: "piped",
      stderr: "piped",
      signal: AbortSignal.timeout(20_000),
    }).output();
    const out = new TextDecoder().decode(stdout);
    assert.doesNotMatch(out, /requests env access/);
    assert.match(out, /^ran\r?$/m);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

test("with no trace running, a wait records nothing", () => {
  const e = new Event();
  e.set();
  assert.equal(e.wait(), true);
  startTrace();
  assert.deepEqual(
    stopTrace().traceEvents.filter((x) => x.ph !== "M" && x.cat !== "thread"),
    [],
  );
});

test(
  "a trace of a million events keeps every one, and the names of threads that ended",
  () => {
    const lock = new Lock();
    const cell = cells(1);
    const perThread = 500_000;
    startTrace();
    let trace;
    try {
      const threads = ["hold-a", "hold-b"].map((name) =>
        new Thread({
          name,
          target: incrementMany,
          args: [lock, cell, perThread],
        })
      );
      for (const t of threads) t.start();
      for (const t of threads) t.join();
    } finally {
      trace = stopTrace();
    }
    assert.equal(cell[0], 2 * perThread);
    const names = new Map(
      trace.traceEvents.filter((e) => e.name === "thread_name").map((e) => [
        e.tid,
        e.args!.name,
      ]),
    );
    const holds = new Map<unknown, number>();
    for (const e of trace.traceEvents) {
      if (e.cat === "hold") {
        const name = names.get(e.tid);
        holds.set(name, (holds.get(name) ?? 0) + 1);
      }
    }
    assert.deepEqual(
      Object.fromEntries(holds),
      { "hold-a": perThread, "hold-b": perThread },
      "every hold, in the lane of its named thread",
    );
    assert.ok(!trace.traceEvents.some((e) => e.cat === "trace"), "no drop");
  },
  120_000,
);

test("a trace that runs out of room counts what it dropped, in the trace and on stderr", async () => {
  const lock = new Lock();
  startTrace();
  // No room for a second chunk of records: as if shared memory ran out.
  const buffer = Atomics.load(heap().i32, H_TRACE);
  for (let c = 1; c < TRACE_CHUNKS; c++) {
    heap().i32[buffer + TRACE_DIRECTORY + c] = -2;
  }
  const kept = 1 << TRACE_CHUNK_BITS;
  const errors: string[] = [];
  const error = console.error;
  let trace;
  try {
    const t = new Thread({
      name: "flood",
      target: incrementMany,
      args: [lock, cells(1), kept + 1000],
    });
    t.start();
    // Not join(): its wait would be one more event.
    await until(() => !t.isAlive(), 20_000, "the thread to end");
    console.error = (...args: unknown[]) => errors.push(args.join(" "));
    trace = stopTrace();
  } finally {
    console.error = error;
  }
  const holds = trace.traceEvents.filter((e) => e.cat === "hold").length;
  assert.equal(holds, kept);
  const drop = trace.traceEvents.filter((e) => e.cat === "trace");
  assert.equal(drop.length, 1);
  assert.equal(drop[0].name, "1000 events dropped: shared memory ran out");
  assert.deepEqual(drop[0].args, { dropped: 1000 });
  assert.deepEqual(errors, [
    "stopTrace(): 1000 events were dropped: shared memory ran out",
  ]);
  assert.ok(
    trace.traceEvents.some((e) =>
      e.name === "thread_name" && e.args!.name === "flood"
    ),
    "the thread keeps its name",
  );
});

test("a second startTrace() throws and leaves the running trace as it was", () => {
  const lock = new Lock();
  startTrace();
  let trace;
  try {
    lock.hold(() => {});
    sleep(50);
    assert.throws(() => startTrace(), ThreadError);
  } finally {
    trace = stopTrace();
  }
  const hold = trace.traceEvents.filter((e) => e.cat === "hold");
  assert.equal(hold.length, 1);
  assert.ok(hold[0].ts >= 0 && hold[0].ts < 50_000, `hold at ${hold[0].ts} µs`);
});

Deno.test({
  name: "a thread that runs out of memory keeps its name and life in a trace",
  timeout: 120_000,
}, async () => {
  const r = await runChild(
    new URL("./_oom_program.ts", import.meta.url),
    ["trace"],
  );
  assert.equal(r.code, 0, r.err);
  assert.deepEqual(r.out.trim().split("\n"), [
    JSON.stringify(["MainThread", "hog"]),
    "life hog true",
    "main done",
  ]);
});
