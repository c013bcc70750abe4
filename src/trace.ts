/**
 * Tracing: {@linkcode startTrace} makes every thread record its life, its
 * waits and lock holds, and instants (set, notify, release) in shared
 * memory; {@linkcode stopTrace} returns them as a Chrome/Perfetto trace
 * (open it in ui.perfetto.dev), and {@linkcode timelineHtml} draws it as one
 * self-contained HTML page that needs no network. `WEFT_TRACE=out.json` (or
 * `out.html`) in the environment traces the whole run and writes the file
 * at exit.
 *
 * @module
 */
import { isMainThread } from "node:worker_threads";
import { OBSERVE_TRACE, S_IDENT, slotWord } from "./_core/layout.ts";
import { clock, nameOf, setObserveFlags } from "./_observe/observe.ts";
import {
  AT_NOTIFY,
  AT_RELEASE,
  AT_SET,
  startBuffer,
  takeBuffer,
  TR_HOLD,
  TR_INSTANT,
  TR_START,
  TR_THREAD,
  TR_WAIT,
  WAIT_ACQUIRE,
  WAIT_CONDITION,
  WAIT_EVENT,
  WAIT_JOIN,
  WAIT_QUEUE,
} from "./_observe/trace_buffer.ts";
import { runtime } from "./_threads/runtime.ts";
import {
  timelineHtml as drawTimeline,
  type TraceEvent,
} from "./_observe/timeline.ts";
import { checkOptions, describeValue } from "./_core/validate.ts";
import { ThreadError } from "./errors.ts";

export type { TraceEvent };

/** A trace in the Trace Event Format (JSON object form). */
export interface Trace {
  /** The events: thread names, slices and instants, µs on one clock. */
  traceEvents: TraceEvent[];
}

const WAITS: Record<number, string> = {
  [WAIT_ACQUIRE]: "acquire",
  [WAIT_CONDITION]: "wait",
  [WAIT_EVENT]: "wait",
  [WAIT_JOIN]: "join",
  [WAIT_QUEUE]: "wait",
};

const INSTANTS: Record<number, string> = {
  [AT_SET]: "set",
  [AT_NOTIFY]: "notify",
  [AT_RELEASE]: "release",
};

/**
 * Starts tracing, in every thread: from now on each thread records its
 * life, its waits (named by the primitive: `acquire Lock at app.ts:12`),
 * its lock holds, and instants for set(), notify() and release().
 * Primitives created while tracing are named by where they were created.
 *
 * @throws {ThreadError} A trace runs already.
 *
 * @example
 * ```ts
 * import { Lock, startTrace, stopTrace } from "@weft/threading";
 * import assert from "node:assert/strict";
 *
 * startTrace();
 * const lock = new Lock();
 * lock.hold(() => {});
 * const { traceEvents } = stopTrace();
 * assert.ok(traceEvents.some((e) => e.name.startsWith("hold Lock at")));
 * ```
 */
export function startTrace(): void {
  if (!startBuffer(clock())) throw new ThreadError("a trace runs already");
  setObserveFlags(OBSERVE_TRACE, 0);
}

/**
 * Stops tracing and returns the trace of every thread: a `thread_name`
 * metadata event per thread, complete (`"X"`) slices for each thread's
 * life, wait and lock hold, instants (`"i"`) for the rest, in microseconds
 * since the trace started. A trace keeps every event while shared memory
 * has room (it grows as it goes); should it run out, the events that did
 * not fit are counted: a global instant (`cat: "trace"`) at the end says
 * how many, and so does a line on stderr.
 *
 * @returns The trace (save it as JSON for ui.perfetto.dev, or draw it with
 * {@linkcode timelineHtml}).
 * @throws {ThreadError} No trace runs.
 */
export function stopTrace(): Trace {
  const end = clock();
  const contents = takeBuffer();
  if (contents === undefined) throw new ThreadError("no trace runs");
  setObserveFlags(0, OBSERVE_TRACE);
  const { epoch, records, dropped } = contents;
  const us = (ms: number): number => Math.round((ms - epoch) * 1000);
  const pid = Deno.pid;
  const names = new Map<number, string>();
  const lives = new Map<number, { start: number; end?: number }>();
  const events: TraceEvent[] = [];
  const reg = runtime().registry;
  for (const slot of reg.aliveSlots()) {
    const ident = Atomics.load(reg.words, slotWord(slot, S_IDENT));
    names.set(ident, reg.readName(slot));
    lives.set(ident, { start: epoch });
  }
  const nameOfIdent = (ident: number): string =>
    names.get(ident) ?? `thread ${ident}`;
  for (const life of contents.lives) {
    if (life.type === TR_THREAD) {
      names.set(life.ident, life.name!);
      // A thread whose worker died: it began when its TR_START says.
      const start = life.start !== 0
        ? life.start
        : lives.get(life.ident)?.start ?? epoch;
      lives.set(life.ident, { start, end: life.end });
    } else if (life.type === TR_START && !lives.has(life.ident)) {
      lives.set(life.ident, { start: life.start });
    }
  }
  for (const r of records) {
    const base = { pid, tid: r.ident };
    if (r.type === TR_WAIT) {
      const target = r.detail === WAIT_JOIN
        ? nameOfIdent(r.ref)
        : nameOf(r.ref);
      events.push({
        ...base,
        name: `${WAITS[r.detail] ?? "wait"} ${target}`,
        cat: "wait",
        ph: "X",
        ts: us(r.start),
        dur: Math.max(0, us(r.end) - us(r.start)),
      });
    } else if (r.type === TR_HOLD) {
      events.push({
        ...base,
        name: `hold ${nameOf(r.ref)}`,
        cat: "hold",
        ph: "X",
        ts: us(r.start),
        dur: Math.max(0, us(r.end) - us(r.start)),
      });
    } else if (r.type === TR_INSTANT) {
      events.push({
        ...base,
        name: `${INSTANTS[r.detail] ?? "event"} ${nameOf(r.ref)}`,
        cat: "instant",
        ph: "i",
        s: "t",
        ts: us(r.start),
      });
    }
  }
  for (const [ident, life] of lives) {
    const start = Math.max(life.start, epoch);
    events.push({
      pid,
      tid: ident,
      name: nameOfIdent(ident),
      cat: "thread",
      ph: "X",
      ts: us(start),
      dur: Math.max(0, us(life.end ?? end) - us(start)),
    });
  }
  const meta = [...lives.keys()].map((ident): TraceEvent => ({
    name: "thread_name",
    ph: "M",
    ts: 0,
    pid,
    tid: ident,
    args: { name: nameOfIdent(ident) },
  }));
  if (dropped > 0) {
    // Said in the trace too: a global instant where the trace ends, in the
    // lane of the thread that ended it.
    events.push({
      pid,
      tid: Atomics.load(reg.words, slotWord(runtime().slot, S_IDENT)),
      name: `${dropped} events dropped: shared memory ran out`,
      cat: "trace",
      ph: "i",
      s: "g",
      ts: us(end),
      args: { dropped },
    });
    console.error(
      `stopTrace(): ${dropped} events were dropped: shared memory ran out`,
    );
  }
  events.sort((a, b) => a.ts - b.ts);
  return { traceEvents: [...meta, ...events] };
}

/**
 * Draws a trace as one self-contained HTML page: a lane per thread, slices
 * and instants on one time axis, the event under the pointer shown on
 * hover, zoom and pan. It loads nothing (no network), so it opens anywhere.
 *
 * @param trace A trace, as {@linkcode stopTrace} returns it.
 * @param options The page's title (default "Timeline").
 * @returns The HTML document.
 * @throws {TypeError} Something else than a trace.
 *
 * @example
 * ```ts
 * import { startTrace, stopTrace, timelineHtml } from "@weft/threading";
 * import assert from "node:assert/strict";
 *
 * startTrace();
 * const html = timelineHtml(stopTrace(), { title: "My run" });
 * assert.match(html, /<title>My run<\/title>/);
 * ```
 */
export function timelineHtml(
  trace: Trace,
  options?: { title?: string },
): string {
  if (
    trace === null || typeof trace !== "object" ||
    !Array.isArray(trace.traceEvents)
  ) {
    throw new TypeError(
      `Cannot draw a timeline: received ${describeValue(trace)}`,
    );
  }
  const title = checkOptions(options)?.title ?? "Timeline";
  if (typeof title !== "string") {
    throw new TypeError(
      `Cannot draw a timeline: title must be a string, received ${
        describeValue(title)
      }`,
    );
  }
  return drawTimeline(trace, title);
}

/**
 * `WEFT_TRACE=file`: traces the whole run, writes the file at exit. Read
 * only when env access is granted already: importing the library never
 * prompts. (Without the permission Deno gives no way to see whether the
 * variable is set: /proc/self/environ needs --allow-all.)
 */
function traceFromEnvironment(): void {
  const descriptor = { name: "env", variable: "WEFT_TRACE" } as const;
  if (Deno.permissions.querySync(descriptor).state !== "granted") return;
  const path = Deno.env.get("WEFT_TRACE");
  if (!path) return;
  startTrace();
  addEventListener("unload", () => {
    const trace = stopTrace();
    const text = path.endsWith(".html")
      ? timelineHtml(trace, { title: "@weft/threading trace" })
      : JSON.stringify(trace);
    try {
      Deno.writeTextFileSync(path, text);
    } catch (error) {
      console.error(`WEFT_TRACE: cannot write ${path}: ${error}`);
    }
  });
}

if (isMainThread) traceFromEnvironment();
