// Task functions that no test worker serves.

/** Its argument doubled. */
export function double(x: number): number {
  return x * 2;
}
