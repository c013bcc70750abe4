import assert from "node:assert/strict";

const SCRIPT = new URL("./_lifetime.ts", import.meta.url);

async function run(
  mode: string,
  flags = ["-A"],
): Promise<{ code: number; out: string; err: string; ms: number }> {
  const begin = performance.now();
  const { code, stdout, stderr } = await new Deno.Command(Deno.execPath(), {
    args: ["run", ...flags, SCRIPT.href, mode],
    stdout: "piped",
    stderr: "piped",
    env: { NO_COLOR: "1" },
    signal: AbortSignal.timeout(25_000),
  }).output();
  const decoder = new TextDecoder();
  return {
    code,
    out: decoder.decode(stdout),
    err: decoder.decode(stderr),
    ms: performance.now() - begin,
  };
}

const lines = (text: string): string[] => text.trim().split("\n");

Deno.test({
  name: "the process waits for non-daemon threads after the main program ends",
  timeout: 30_000,
}, async () => {
  const r = await run("non-daemon");
  assert.equal(r.code, 0, r.err);
  assert.deepEqual(lines(r.out), ["main done", "worker done"]);
});

Deno.test({
  name:
    "the process exits without waiting for daemon threads, even blocked or busy ones",
  timeout: 30_000,
}, async () => {
  const r = await run("daemon");
  assert.equal(r.code, 0, r.err);
  assert.deepEqual(lines(r.out), ["main done"]);
  assert.ok(r.ms < 10_000, `took ${r.ms} ms`);
});

Deno.test({
  name: "the process waits for threads started by threads that have ended",
  timeout: 30_000,
}, async () => {
  const r = await run("nested");
  assert.equal(r.code, 0, r.err);
  assert.deepEqual(lines(r.out).sort(), [
    "grandchild done",
    "main done",
    "parent done",
  ]);
  assert.equal(lines(r.out).at(-1), "grandchild done");
});

Deno.test({
  name: "the process waits for a grandchild while main is blocked in join()",
  timeout: 30_000,
}, async () => {
  const r = await run("blocked");
  assert.equal(r.code, 0, r.err);
  assert.deepEqual(lines(r.out).sort(), [
    "grandchild done",
    "main done",
    "parent done",
  ]);
});

Deno.test({
  name:
    "an uncaught error prints Exception in thread NAME: and leaves the exit code alone",
  timeout: 30_000,
}, async () => {
  const r = await run("error");
  assert.equal(r.code, 0);
  assert.match(
    r.err,
    /^Exception in thread boom-thread:\nError: kaboom\n\s+at kaboom/m,
  );
  assert.deepEqual(lines(r.out), ["main done", "after done"]);
});

Deno.test({
  name:
    "the target's module loads in the thread without re-running its import.meta.main block",
  timeout: 30_000,
}, async () => {
  const r = await run("module");
  assert.equal(r.code, 0, r.err);
  assert.deepEqual(lines(r.out).sort(), [
    "loads=1 mainBlock=false name=reporter",
    "main done",
  ]);
});

const CALLS: Record<string, string> = {
  deno: "Deno.exit()",
  process: "process.exit()",
  close: "close()",
  "self-close": "self.close()",
};
for (const [how, call] of Object.entries(CALLS)) {
  Deno.test({
    name:
      `a thread that calls ${call} ends like a return: join() returns, the process goes on, its exit code is unchanged`,
    timeout: 30_000,
  }, async () => {
    const r = await run(`exit-${how}`);
    assert.equal(r.code, 0, r.err);
    assert.doesNotMatch(r.err, /Exception in thread/);
    assert.deepEqual(lines(r.out), [
      ...Array(5).fill("joined true alive false listed false"),
      "main done",
    ]);
  });
}

Deno.test({
  name:
    "an uncaught error in main is printed as Deno prints it, then the process waits for its threads and exits with 1",
  timeout: 30_000,
}, async () => {
  const r = await run("main-error");
  assert.equal(r.code, 1);
  assert.deepEqual(lines(r.out), ["worker done"]);
  assert.match(r.err, /^error: Uncaught \(in promise\) Error: boom in main\n/);
  assert.match(r.err, /throw new Error\("boom in main"\);\n\s+\^\n\s+at /);
});

Deno.test({
  name:
    "an unhandled rejection in main also waits for the threads, then exits with 1",
  timeout: 30_000,
}, async () => {
  const r = await run("main-rejection");
  assert.equal(r.code, 1);
  assert.deepEqual(lines(r.out), ["worker done"]);
  assert.match(r.err, /error: Uncaught \(in promise\) Error: rejected in main/);
});

Deno.test({
  name: "with no thread alive, an uncaught error in main is Deno's own",
  timeout: 30_000,
}, async () => {
  const r = await run("main-error-alone");
  assert.equal(r.code, 1);
  assert.match(
    r.err,
    /error: Uncaught \(in promise\) Error: boom with no thread/,
  );
});

Deno.test({
  name:
    "without read permission, start() throws NotCapable naming --allow-read instead of hanging",
  timeout: 30_000,
}, async () => {
  const r = await run("non-daemon", []);
  assert.equal(r.code, 1);
  assert.match(
    r.err,
    /NotCapable: Cannot start a thread: it needs read access/,
  );
  assert.match(r.err, /--allow-read \(-R\)/);
});

Deno.test({
  name: "with read permission alone (-R), a local program's threads run",
  timeout: 30_000,
}, async () => {
  const r = await run("non-daemon", ["-R"]);
  assert.equal(r.code, 0, r.err);
  assert.deepEqual(lines(r.out), ["main done", "worker done"]);
});
