// The entry of every thread's worker: finds the thread's code, runs it, hands
// escaping errors to the excepthook, and ends the thread.
import * as lib from "../mod.ts";
import { runtime } from "./_runtime.ts";
import { decode } from "./_marshal.ts";
import { notFound, resolve, setLibScope } from "./_locate.ts";
import { _adoptCurrent, _setupThread, _signalStarted } from "./thread.ts";
import { _reportError } from "./excepthook.ts";

setLibScope(lib as unknown as Record<string, unknown>);
const rt = runtime();
const boot = rt.boot!;
const thread = _adoptCurrent(boot);

addEventListener("unhandledrejection", (event) => {
  event.preventDefault();
  void _reportError(event.reason, thread);
});
addEventListener("error", (event) => {
  event.preventDefault();
  void _reportError(event.error, thread);
});

/** Finds the thread's code and state; true when it runs an inline copy. */
async function prepare(): Promise<boolean> {
  const { payload } = boot;
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

function hint(error: unknown): unknown {
  const { payload } = boot;
  const ref = payload.cls ?? payload.target;
  if (error instanceof ReferenceError && ref !== undefined) {
    error.message +=
      ` (the thread runs an inline copy of "${ref.name}" because ` +
      `it is not exported from any module it could import: export it so ` +
      `that its module's imports and variables are there)`;
  }
  return error;
}

async function main(): Promise<void> {
  let inline: boolean;
  try {
    inline = await prepare();
  } catch (error) {
    _signalStarted(thread);
    await _reportError(error, thread);
    return;
  }
  _signalStarted(thread);
  try {
    await thread.run();
  } catch (error) {
    await _reportError(inline ? hint(error) : error, thread);
  }
}

await main();
rt.registry.finish(boot.slot, boot.gen);
if (rt.children > 0) {
  await new Promise<void>((done) => rt.onNoChildren = done);
}
(globalThis as unknown as { close(): void }).close();
