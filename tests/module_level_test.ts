import assert from "node:assert/strict";
import { Barrier, Thread } from "../mod.ts";
import { cells, test, until } from "./_helpers.ts";
import {
  countUnderLock,
  local,
  lock,
  primitives,
  reportRefs,
  sameLocal,
  startGrab,
  useLocal,
} from "./_module_level_fixtures.ts";
import { reportLate } from "./_module_level_loader.ts";
import { guard, Recorder, seen } from "./_module_level_thread.ts";
import { shareOf } from "../src/_core/handles.ts";

function refsIn(out: Int32Array): number[] {
  return [...out.subarray(1, 1 + out[0])];
}

function mainRefs(): number[] {
  return primitives().map((p) => shareOf(p)!.ref);
}

test(
  "every kind of primitive made at a module's top level is the same object in a thread that loads the module",
  () => {
    const out = cells(64);
    const t = new Thread({ target: reportRefs, args: [out] });
    t.start();
    assert.equal(t.join(30_000), true);
    const mine = mainRefs();
    const theirs = refsIn(out);
    // All but the last (made inside a function) are shared.
    assert.deepEqual(theirs.slice(0, -1), mine.slice(0, -1));
    assert.notEqual(theirs.at(-1), mine.at(-1));
  },
  60_000,
);

Deno.test({
  name:
    "module-level sharing holds in a module whose path is long (sites longer than the key buffer keep their own keys)",
  timeout: 90_000,
}, async () => {
  // The registry's keys once came from a buffer read before the encode that
  // replaced it, so sites whose keys outgrew it shared a stale key: whether
  // that happened depended on the module's path.
  const dir = `${await Deno.makeTempDir()}/${
    "a-long-directory-name-".repeat(8)
  }`;
  await Deno.mkdir(dir, { recursive: true });
  try {
    const fixtures = new URL("./_module_level_fixtures.ts", import.meta.url);
    const source = (await Deno.readTextFile(fixtures)).replace(
      /from "(\.\.\/[^"]+)"/g,
      (_, path) => `from ${JSON.stringify(new URL(path, fixtures).href)}`,
    );
    await Deno.writeTextFile(`${dir}/fixtures.ts`, source);
    await Deno.writeTextFile(
      `${dir}/program.ts`,
      `import { Thread } from ${
        JSON.stringify(new URL("../mod.ts", import.meta.url).href)
      };
import { shareOf } from ${
        JSON.stringify(new URL("../src/_core/handles.ts", import.meta.url).href)
      };
import { primitives, reportRefs } from "./fixtures.ts";
const out = new Int32Array(new SharedArrayBuffer(256));
const t = new Thread({ target: reportRefs, args: [out] });
t.start();
t.join();
const mine = primitives().map((p) => shareOf(p)!.ref);
const theirs = [...out.subarray(1, 1 + out[0])];
console.log(JSON.stringify(theirs.slice(0, -1)) === JSON.stringify(mine.slice(0, -1)) && theirs.at(-1) !== mine.at(-1) ? "shared as at top level" : JSON.stringify({ mine, theirs }));
`,
    );
    const { code, stdout, stderr } = await new Deno.Command(Deno.execPath(), {
      args: ["run", "-A", `${dir}/program.ts`],
      stdout: "piped",
      stderr: "piped",
      signal: AbortSignal.timeout(60_000),
    }).output();
    assert.equal(code, 0, new TextDecoder().decode(stderr));
    assert.equal(
      new TextDecoder().decode(stdout).trim(),
      "shared as at top level",
    );
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

test(
  "a loop at top level makes one shared primitive per iteration, and a class built at top level shares what its constructor and fields make",
  () => {
    const mine = mainRefs();
    // looped[0..2], first.items, first.guard, second.items, second.guard
    const made = mine.slice(15, 22);
    assert.equal(new Set(made).size, made.length);
  },
);

test(
  "a module-level Lock guards a counter of 4 threads x 20,000 increments exactly",
  () => {
    const counter = cells(1);
    const threads = Array.from(
      { length: 4 },
      () => new Thread({ target: countUnderLock, args: [counter, 20_000] }),
    );
    for (const t of threads) t.start();
    countUnderLock(counter, 20_000);
    for (const t of threads) assert.equal(t.join(60_000), true);
    assert.equal(counter[0], 100_000);
    assert.equal(lock.locked(), false);
  },
  90_000,
);

test(
  "a module-level ThreadLocal passed to a thread is that thread's module-level local",
  () => {
    const out = cells(1);
    const t = new Thread({ target: sameLocal, args: [out, local] });
    t.start();
    assert.equal(t.join(30_000), true);
    assert.equal(out[0], 1);
  },
);

test(
  "a module-level ThreadLocal keeps per-thread values",
  () => {
    const out = cells(2);
    useLocal(cells(2), 1);
    const t = new Thread({ target: useLocal, args: [out, 2] });
    t.start();
    assert.equal(t.join(30_000), true);
    assert.deepEqual([...out], [-1, 2]);
    const again = cells(2);
    useLocal(again, 3);
    assert.deepEqual([...again], [1, 3]);
  },
);

test(
  "a module first loaded by threads, two at once, makes one Lock for both",
  () => {
    const out = cells(2);
    const all = new Barrier(2);
    const threads = [0, 1].map((i) =>
      new Thread({ target: reportLate, args: [out, i, all] })
    );
    for (const t of threads) t.start();
    for (const t of threads) assert.equal(t.join(60_000), true);
    assert.notEqual(out[0], 0);
    assert.equal(out[0], out[1]);
  },
  90_000,
);

test(
  "four threads that load a module for the first time at the same moment share its module-level Lock",
  async () => {
    const dir = await Deno.makeTempDir();
    const mod = JSON.stringify(new URL("../mod.ts", import.meta.url).href);
    try {
      for (let round = 0; round < 5; round++) {
        const url = `file://${dir}/late_${round}.ts`;
        // (A source of its own each round: a target is found by its
        // module, not by its name and source alone.)
        await Deno.writeTextFile(
          new URL(url),
          `import { type Barrier, Lock } from ${mod};
export const lock = new Lock();
export function grab(out: Int32Array, i: number, all: Barrier): void {
  const mine = lock.tryAcquire(); // round ${round}
  Atomics.store(out, i, mine ? 1 : 0);
  all.wait();
  if (mine) lock.release();
}
`,
        );
        const out = cells(4);
        const all = new Barrier(4);
        const go = cells(2);
        const starters = [0, 1, 2, 3].map((i) =>
          new Thread({ target: startGrab, args: [url, out, i, all, go] })
        );
        for (const t of starters) t.start();
        await until(() => Atomics.load(go, 1) === 4, 30_000, "starters");
        Atomics.store(go, 0, 1);
        for (const t of starters) assert.equal(await t.joinAsync(60_000), true);
        assert.equal(out.reduce((a, b) => a + b, 0), 1, `round ${round}`);
      }
    } finally {
      await Deno.remove(dir, { recursive: true });
    }
  },
  120_000,
);

test(
  "a Thread subclass's run() uses its module's module-level primitives",
  () => {
    const threads = [new Recorder(), new Recorder()];
    for (const t of threads) t.start();
    for (const t of threads) assert.equal(t.join(30_000), true);
    const ref = shareOf(guard)!.ref;
    assert.deepEqual(seen.toArray(), [ref, ref]);
  },
  60_000,
);

async function program(mode: string): Promise<string> {
  const { code, stdout, stderr } = await new Deno.Command(Deno.execPath(), {
    args: [
      "run",
      "-A",
      "--v8-flags=--expose-gc",
      new URL("./_module_level_program.ts", import.meta.url).href,
      mode,
    ],
  }).output();
  const text = new TextDecoder().decode(stdout).trim();
  assert.equal(code, 0, new TextDecoder().decode(stderr));
  return text;
}

test(
  "primitives a top-level loop makes and drops leave the registry when collected",
  async () => {
    assert.equal(await program("weak"), "made 500 left 0");
  },
  60_000,
);

test(
  "primitives made inside a function, even before the first thread starts, are not registered",
  async () => {
    assert.equal(await program("function"), "registered 0");
  },
  60_000,
);

test(
  "a primitive made in the import.meta.main block reaches a thread by its arguments; the thread loads the module without running the block",
  async () => {
    assert.equal(await program("main"), "set true loads 2");
  },
  60_000,
);
