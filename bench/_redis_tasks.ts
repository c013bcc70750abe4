// The task the Executor rows run: as little work as possible, so the row
// measures the executor.

/** Its argument plus one. */
export function inc(x: number): number {
  return x + 1;
}
