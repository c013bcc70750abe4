// Runs the examples: `deno task examples` runs them all, in the order of the
// seed walkthrough, then the concurrent.futures docs' two, the traced
// condition, two Python programs ported (module-level primitives) and three
// across processes on Redis (each starts its own redis-server, or says how
// to get one); `deno task example NAME` runs one.
export const EXAMPLES = [
  "simple",
  "simpleargs",
  "names",
  "names_log",
  "daemon",
  "daemon_join",
  "daemon_join_timeout",
  "enumerate",
  "subclass",
  "subclass_args",
  "lock",
  "lock_noblock",
  "lock_reacquire",
  "rlock",
  "lock_with",
  "condition",
  "semaphore",
  "local",
  "local_defaults",
  "timer",
  "event",
  "barrier",
  "barrier_abort",
  "queue_workers",
  "futures_urls",
  "futures_primes",
  "condition_trace",
  "module_counter",
  "bounded_buffer",
  "redis_queue_workers",
  "redis_lock_counter",
  "redis_executor",
];

async function run(name: string): Promise<boolean> {
  const url = new URL(`./${name}.ts`, import.meta.url);
  const { code } = await new Deno.Command(Deno.execPath(), {
    args: ["run", "-A", url.href],
    stdout: "inherit",
    stderr: "inherit",
  }).output();
  return code === 0;
}

if (import.meta.main) {
  const names = Deno.args.length > 0 ? Deno.args : EXAMPLES;
  const unknown = names.filter((n) => !EXAMPLES.includes(n));
  if (unknown.length > 0) {
    console.error(
      `Unknown example: ${unknown.join(", ")}. Examples: ${
        EXAMPLES.join(", ")
      }`,
    );
    Deno.exit(2);
  }
  let failed = 0;
  for (const name of names) {
    if (names.length > 1) console.log(`\n$ deno task example ${name}\n`);
    if (!(await run(name))) failed++;
  }
  if (failed > 0) Deno.exit(1);
}
