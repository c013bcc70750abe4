import assert from "node:assert/strict";

const SCRIPT = new URL("./_lifetime.ts", import.meta.url);

async function run(
  mode: string,
): Promise<{ code: number; out: string; err: string; ms: number }> {
  const begin = performance.now();
  const { code, stdout, stderr } = await new Deno.Command(Deno.execPath(), {
    args: ["run", "-A", SCRIPT.href, mode],
    stdout: "piped",
    stderr: "piped",
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
