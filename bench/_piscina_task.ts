// The tasks the piscina comparison runs (a piscina worker module).
import { countPrimes, square } from "./_targets.ts";

export default function task(
  input: { op: "square"; x: number } | { op: "primes"; lo: number; hi: number },
): number {
  return input.op === "square"
    ? square(input.x)
    : countPrimes(input.lo, input.hi);
}
