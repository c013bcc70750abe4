// Statistics shared by the bench:compare runners and the table they feed.

/** The median of `values`, or undefined when there are none. */
export function median(values: readonly number[]): number | undefined {
  if (values.length === 0) return undefined;
  const s = [...values].sort((a, b) => a - b);
  const mid = s.length >> 1;
  return s.length % 2 ? s[mid] : (s[mid - 1] + s[mid]) / 2;
}

/**
 * Runs `sample` `k` times and returns the median: one slow moment of the
 * machine (a GC, another process) does not decide a fast row.
 */
export function sampled(k: number, sample: () => number): number {
  return median(Array.from({ length: k }, sample))!;
}

/** The process's resident set size, in KiB. */
export function rssKib(): number {
  return Deno.memoryUsage().rss / 1024;
}
