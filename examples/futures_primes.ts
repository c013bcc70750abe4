// The ProcessPoolExecutor example of Python's concurrent.futures docs, on
// threads: Python needs processes for CPU-bound work (the GIL); here each
// worker thread runs on a core of its own.
import { ThreadPoolExecutor } from "@weft/threading";

const PRIMES = [
  112272535095293,
  112582705942171,
  112272535095293,
  115280095190773,
  115797848077099,
  1099726899285419,
];

export function isPrime(n: number): boolean {
  if (n < 2) return false;
  if (n === 2) return true;
  if (n % 2 === 0) return false;
  const sqrtN = Math.floor(Math.sqrt(n));
  for (let i = 3; i <= sqrtN; i += 2) {
    if (n % i === 0) return false;
  }
  return true;
}

if (import.meta.main) {
  using executor = new ThreadPoolExecutor();
  let i = 0;
  for (const prime of executor.map(isPrime, PRIMES)) {
    console.log(`${PRIMES[i++]} is prime: ${prime ? "True" : "False"}`);
  }
}
