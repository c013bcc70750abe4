// The entry of every thread's worker: finds the thread's code, runs it, hands
// escaping errors to the excepthook, and ends the thread. A worker started by
// the main thread then parks for reuse (see _pool.ts) and runs the next
// thread handed to it, fresh: its own ident, ThreadLocals and timers.
import * as lib from "../mod.ts";
import { type Payload, runtime } from "./_runtime.ts";
import { decode } from "./_marshal.ts";
import { notFound, resolve, setLibScope } from "./_locate.ts";
import {
  _adoptCurrent,
  _setupThread,
  _signalStarted,
  type Thread,
} from "./thread.ts";
import { _reportError } from "./excepthook.ts";
import { type Job, park } from "./_pool.ts";
import { _resetOwnIdent } from "./lock.ts";
import { _resetLocals } from "./local.ts";

setLibScope(lib as unknown as Record<string, unknown>);
const rt = runtime();
const first = rt.boot!;
const current = (): Thread => rt.current as Thread;

addEventListener("unhandledrejection", (event) => {
  event.preventDefault();
  void _reportError(event.reason, current());
});
addEventListener("error", (event) => {
  event.preventDefault();
  void _reportError(event.error, current());
});

// Timers a thread leaves behind end with it, as they would with its worker.
type TimerId = ReturnType<typeof setTimeout>;
const timers = new Set<TimerId>();
const { setTimeout, setInterval, clearTimeout, clearInterval } = globalThis;
const track = (id: TimerId): TimerId => (timers.add(id), id);
Object.assign(globalThis, {
  setTimeout: (...args: Parameters<typeof setTimeout>) =>
    track(setTimeout(...args)),
  setInterval: (...args: Parameters<typeof setInterval>) =>
    track(setInterval(...args)),
  clearTimeout: (id?: TimerId) => {
    if (id !== undefined) timers.delete(id);
    clearTimeout(id);
  },
  clearInterval: (id?: TimerId) => {
    if (id !== undefined) timers.delete(id);
    clearInterval(id);
  },
});

/** Finds the thread's code and state; true when it runs an inline copy. */
async function prepare(thread: Thread, payload: Payload): Promise<boolean> {
  const pending: Promise<unknown>[] = [];
  const cls = payload.cls && await resolve(payload.cls);
  const target = payload.target && await resolve(payload.target);
  const args = decode(payload.args, pending) as unknown[];
  const fields = decode(payload.fields, pending) as Record<string, unknown>;
  const extra = decode(payload.extra, pending) as Record<string, unknown>;
  await Promise.all(pending);
  if (cls) {
    if (!(cls.fn.prototype instanceof lib.Thread)) {
      throw new TypeError(notFound(payload.cls!));
    }
    Object.setPrototypeOf(thread, cls.fn.prototype);
  }
  _setupThread(thread, target ? target.fn : undefined, args, extra);
  Object.assign(thread, fields);
  return (cls || target || { inline: false }).inline;
}

function hint(error: unknown, payload: Payload): unknown {
  const ref = payload.cls ?? payload.target;
  if (error instanceof ReferenceError && ref !== undefined) {
    error.message +=
      ` (the thread runs an inline copy of "${ref.name}" because ` +
      `it is not exported from any module it could import: export it so ` +
      `that its module's imports and variables are there)`;
  }
  return error;
}

async function runThread(job: Job): Promise<void> {
  rt.boot = { ...first, ...job };
  _resetOwnIdent();
  const thread = _adoptCurrent(job);
  _resetLocals();
  let inline: boolean;
  try {
    inline = await prepare(thread, job.payload);
  } catch (error) {
    _signalStarted(thread);
    await _reportError(error, thread);
    return;
  }
  _signalStarted(thread);
  try {
    await thread.run();
  } catch (error) {
    await _reportError(inline ? hint(error, job.payload) : error, thread);
  }
}

for (let job: Job | undefined = first; job !== undefined;) {
  await runThread(job);
  for (const id of timers) clearTimeout(id);
  timers.clear();
  rt.registry.finish(job.slot, job.gen);
  job = first.pooled ? park() : undefined;
}
if (rt.children > 0) {
  await new Promise<void>((done) => rt.onNoChildren = done);
}
(globalThis as unknown as { close(): void }).close();
