// bench:compare's baselines: bare Deno workers, with nothing of this library
// loaded. Prints one JSON object. Each mode runs alone in a fresh process.
//
// Usage: deno run -A bench/_bare.ts MODE, MODE one of web-boot, node-boot,
// web-memory, node-memory, web-churn, node-churn
import { Worker as NodeWorker } from "node:worker_threads";
import { median, rssKib } from "./_stats.ts";

const WEB_URL = new URL("./_bare_web_worker.ts", import.meta.url);
const NODE_URL = new URL("./_bare_worker.ts", import.meta.url);

/** A started bare worker: resolves `up` at its first message. */
interface Bare {
  up: Promise<void>;
  /** Ends the worker; resolves once it has ended where the kind says so. */
  end(): Promise<void>;
}

function webWorker(): Bare {
  const worker = new Worker(WEB_URL, { type: "module" });
  const up = new Promise<void>((resolve) => {
    worker.onmessage = () => resolve();
  });
  return {
    up,
    end: () => {
      worker.terminate();
      return Promise.resolve();
    },
  };
}

function nodeWorker(): Bare {
  const worker = new NodeWorker(NODE_URL);
  const up = new Promise<void>((resolve) => worker.once("message", resolve));
  return {
    up,
    end: async () => {
      await worker.terminate();
    },
  };
}

/**
 * Boot times, module to first message, in ms: the first worker of this
 * process, then the median of `n` more, one after another.
 */
async function boots(
  make: () => Bare,
  n: number,
): Promise<{ first: number; later: number }> {
  const times = [];
  for (let i = 0; i <= n; i++) {
    const begin = performance.now();
    const worker = make();
    await worker.up;
    times.push(performance.now() - begin);
    await worker.end();
  }
  return { first: times[0], later: median(times.slice(1))! };
}

/** RSS added per live, idle worker, with `n` of them up. */
async function idleKib(make: () => Bare, n: number): Promise<number> {
  const before = rssKib();
  const workers = Array.from({ length: n }, make);
  await Promise.all(workers.map((w) => w.up));
  return (rssKib() - before) / n;
}

/** Starts `n` workers, waits until all run, returns RSS then, and ends them. */
async function liveBatch(make: () => Bare, n: number): Promise<number> {
  const workers = Array.from({ length: n }, make);
  await Promise.all(workers.map((w) => w.up));
  const up = rssKib();
  await Promise.all(workers.map((w) => w.end()));
  return up;
}

const delay = (ms: number): Promise<void> =>
  new Promise((resolve) => setTimeout(resolve, ms));

/**
 * As bench/_ours.ts churn(): 8 workers first, then `batches` batches of
 * `size` live at once, each ended before the next; the RSS rise at the peak
 * (KiB) and the share of it still held (the lowest RSS over the next second).
 */
async function churn(
  make: () => Bare,
  batches: number,
  size: number,
): Promise<{ rise: number; kept: number }> {
  await liveBatch(make, 8);
  await delay(200);
  const before = rssKib();
  let peak = before;
  for (let b = 0; b < batches; b++) {
    peak = Math.max(peak, await liveBatch(make, size));
  }
  let low = rssKib();
  for (let i = 0; i < 10; i++) {
    await delay(100);
    low = Math.min(low, rssKib());
  }
  return { rise: peak - before, kept: (low - before) / (peak - before) };
}

if (import.meta.main) {
  const out: Record<string, number | string> = {
    runtime: `Deno ${Deno.version.deno} (V8 ${Deno.version.v8})`,
  };
  switch (Deno.args[0]) {
    case "web-boot": {
      const { first, later } = await boots(webWorker, 10);
      out.web_boot_first_ms = first;
      out.web_boot_ms = later;
      break;
    }
    case "node-boot": {
      const { first, later } = await boots(nodeWorker, 10);
      out.node_boot_first_ms = first;
      out.node_boot_ms = later;
      break;
    }
    case "web-memory":
      out.bare_web_worker_kib = await idleKib(webWorker, 100);
      break;
    case "node-memory":
      out.bare_node_worker_kib = await idleKib(nodeWorker, 100);
      break;
    case "web-churn":
      out.web_churn_kept_pct = (await churn(webWorker, 6, 50)).kept * 100;
      break;
    case "node-churn":
      out.node_churn_kept_pct = (await churn(nodeWorker, 6, 50)).kept * 100;
      break;
    default:
      throw new TypeError(`Cannot run a baseline: received ${Deno.args[0]}`);
  }
  console.log(JSON.stringify(out));
  // The idle workers would keep the process alive.
  Deno.exit(0);
}
