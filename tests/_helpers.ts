// Helpers shared by the tests: a test wrapper that fails on hangs and on
// leaked threads, and small tools to read markers set by other threads.
import assert from "node:assert/strict";
import { activeCount, type Thread } from "../mod.ts";
import { shareOf } from "../src/_core/handles.ts";
import { heap } from "../src/_core/heap.ts";

/** Word `index` of a primitive's shared memory (see src/_layout.ts). */
export function sharedWord(primitive: object, index: number): number {
  return Atomics.load(heap().i32, shareOf(primitive)!.ref + index);
}

/** Live OS threads of this process (Linux). */
export function osThreads(): number {
  const status = Deno.readTextFileSync("/proc/self/status");
  return Number(/^Threads:\s+(\d+)/m.exec(status)![1]);
}

/** Resolves once `check()` is true; rejects after `ms`. Polls the event loop. */
export async function until(
  check: () => boolean,
  ms = 10_000,
  what = "condition",
): Promise<void> {
  const deadline = performance.now() + ms;
  while (!check()) {
    if (performance.now() > deadline) {
      throw new Error(`Timed out waiting for ${what}`);
    }
    await new Promise((r) => setTimeout(r, 2));
  }
}

/** Blocks until `cell[index] >= value` (a marker set by another thread). */
export function waitFor(
  cell: Int32Array,
  index: number,
  value: number,
  ms = 10_000,
): void {
  const deadline = performance.now() + ms;
  for (
    let v = Atomics.load(cell, index);
    v < value;
    v = Atomics.load(cell, index)
  ) {
    const left = deadline - performance.now();
    if (left <= 0) {
      throw new Error(`Timed out waiting for cell[${index}] >= ${value}`);
    }
    Atomics.wait(cell, index, v, left);
  }
}

/** A zeroed Int32Array over shared memory. */
export function cells(n = 8): Int32Array {
  return new Int32Array(new SharedArrayBuffer(n * 4));
}

/**
 * Deno.test with a deadlock guard, that also fails when the test leaves a
 * thread alive (every test joins what it starts).
 */
export function test(
  name: string,
  fn: () => void | Promise<void>,
  timeout = 30_000,
): void {
  Deno.test({ name, timeout }, async () => {
    const baseline = activeCount();
    await fn();
    await until(
      () => activeCount() === baseline,
      5_000,
      `threads of "${name}" to end`,
    );
  });
}

/** Starts every thread, then joins every one (each must end in `ms`). */
export function runAll(threads: Thread[], ms = 60_000): void {
  for (const t of threads) t.start();
  const ended = threads.map((t) => t.join(ms));
  assert.deepEqual(ended, threads.map(() => true), "every thread ended");
}

/** A small deterministic PRNG (mulberry32): integers from 0 to n - 1. */
export function prng(seed: number): (n: number) => number {
  let s = seed >>> 0;
  return (n) => {
    s = (s + 0x6d2b79f5) >>> 0;
    let t = s;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) % n;
  };
}

/** What a child `deno run` printed, and how it ended. */
export interface ChildRun {
  code: number;
  out: string;
  err: string;
}

/**
 * Runs `script` (a test fixture) as a child `deno run -A` with `args`, and
 * Deno `flags` before it; fails after `ms`.
 */
export async function runChild(
  script: URL,
  args: string[],
  flags: string[] = [],
  ms = 90_000,
): Promise<ChildRun> {
  const { code, stdout, stderr } = await new Deno.Command(Deno.execPath(), {
    args: ["run", "-A", ...flags, script.href, ...args],
    stdout: "piped",
    stderr: "piped",
    env: { NO_COLOR: "1" },
    signal: AbortSignal.timeout(ms),
  }).output();
  const decoder = new TextDecoder();
  return { code, out: decoder.decode(stdout), err: decoder.decode(stderr) };
}
