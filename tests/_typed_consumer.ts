// The module a thread runs in tests/queue_test.ts: it imports Typed by name
// but uses it only in types, so TypeScript drops the import and the class's
// module is not loaded in the thread. Every use below is a type.
import type { Queue } from "../mod.ts";
// A value import used only in types, on purpose (what is under test).
// deno-lint-ignore verbatim-module-syntax
import { Typed } from "./_typed_class.ts";

type Pair = [Typed, number];
interface Holder {
  item: Typed;
  list: Array<Typed>;
}

/**
 * Gets one item synchronously; reports whether it was a Typed or the error,
 * and how many times tests/_typed_class.ts was evaluated in this thread.
 */
export function getTyped(q: Queue<Typed>, out: Queue<string>): void {
  const seen: Map<string, [Typed, number]> = new Map();
  let report: string;
  try {
    const item = q.get({ timeout: 20_000 }) as Typed;
    const holder: Holder = { item, list: [item] };
    const pair: Pair = [holder.item, 1];
    seen.set("pair", pair);
    report = `got ${typeof pair[0]}`;
  } catch (error) {
    report = String(error);
  }
  const loads = (globalThis as { typedClassLoads?: number }).typedClassLoads;
  out.put(JSON.stringify({ report, loads: loads ?? 0, size: seen.size }));
}

/** A function whose parameter has the class's type. */
export function describeTyped(t: Typed, f: (x: Typed) => Typed): string {
  return `${f(t) satisfies Typed}`;
}
