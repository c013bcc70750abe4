// Task functions that test workers serve (their `modules`).
import { Point } from "./_redis_point.ts";

/** Its argument squared. */
export function square(x: number): number {
  return x * x;
}

/** Resolves after `ms`, with `value`. */
export async function later<T>(ms: number, value: T): Promise<T> {
  await new Promise((r) => setTimeout(r, ms));
  return value;
}

/** An error of a class of the task's own. */
export class TaskError extends Error {
  constructor(message: string, readonly code: number) {
    super(message);
    this.name = "TaskError";
  }
}

/** Throws a TaskError. */
export function fail(code: number): never {
  throw new TaskError(`failed with ${code}`, code);
}

/** A Point, from its coordinates (a class instance as a result). */
export function makePoint(x: number, y: number): Point {
  return new Point(x, y);
}

/** Sleeps `ms` (blocking its thread), then returns which process ran it. */
export function slowPid(ms: number): number {
  const until = performance.now() + ms;
  while (performance.now() < until) {
    Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 10);
  }
  return Deno.pid;
}

/** Returns the process that ran it. */
export function pid(): number {
  return Deno.pid;
}

/** Writes `${dir}/started-<pid>`, sleeps `ms`, returns which process ran it. */
export async function announced(dir: string, ms: number): Promise<number> {
  await Deno.writeTextFile(`${dir}/started-${Deno.pid}`, "");
  await new Promise((r) => setTimeout(r, ms));
  return Deno.pid;
}
