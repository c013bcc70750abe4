import assert from "node:assert/strict";

const ROOT = new URL("../", import.meta.url);
const decoder = new TextDecoder();

/** The files `deno publish` would publish (relative paths). */
async function publishedFiles(): Promise<string[]> {
  const { stdout, stderr } = await new Deno.Command(Deno.execPath(), {
    args: ["publish", "--dry-run", "--allow-dirty"],
    cwd: ROOT,
    stdout: "piped",
    stderr: "piped",
    env: { NO_COLOR: "1" },
  }).output();
  const listing = decoder.decode(stdout) + decoder.decode(stderr);
  return [...listing.matchAll(/^\s+(file:\/\/\S+)/gm)].map((m) =>
    m[1].slice(ROOT.href.length)
  );
}

Deno.test({
  name:
    "loaded from an http: URL, threads, nested threads, primitives and a queue work",
  timeout: 60_000,
}, async () => {
  const files = await publishedFiles();
  assert.ok(
    files.includes("mod.ts") && files.includes("src/_threads/worker.ts"),
  );
  const served = new Set<string>();
  const server = Deno.serve(
    { hostname: "127.0.0.1", port: 0, onListen() {} },
    async (request) => {
      const path = new URL(request.url).pathname.slice(1);
      if (!files.includes(path)) return new Response("", { status: 404 });
      served.add(path);
      return new Response(await Deno.readFile(new URL(path, ROOT)), {
        headers: { "content-type": "application/typescript" },
      });
    },
  );
  const host = `127.0.0.1:${server.addr.port}`;
  const dir = await Deno.makeTempDir();
  try {
    const map = `${dir}/import_map.json`;
    await Deno.writeTextFile(
      map,
      JSON.stringify({
        imports: { "@weft/threading": `http://${host}/mod.ts` },
      }),
    );
    const { code, stdout, stderr } = await new Deno.Command(Deno.execPath(), {
      args: [
        "run",
        "--no-config",
        `--import-map=${map}`,
        `--allow-import=${host}`,
        "--allow-read",
        new URL("./_remote_program.ts", import.meta.url).href,
      ],
      stdout: "piped",
      stderr: "piped",
      env: { DENO_DIR: `${dir}/cache`, NO_COLOR: "1" },
      signal: AbortSignal.timeout(45_000),
    }).output();
    const err = decoder.decode(stderr).replace(/^Download .*\n/gm, "");
    assert.equal(code, 0, err);
    assert.equal(err, "");
    const result = JSON.parse(decoder.decode(stdout));
    assert.equal(result.library, `http://${host}/mod.ts`);
    assert.deepEqual(result.items[0], { from: "child" });
    assert.equal(result.items[1].from, "parent");
    assert.ok(result.items[1].saw.includes("parent"));
    assert.equal(result.cell, 1);
    // The workers' own modules came from the server too.
    assert.ok(served.has("src/_threads/worker.ts"));
    assert.ok(served.has("src/_threads/relay_worker.ts"));
  } finally {
    await server.shutdown();
    await Deno.remove(dir, { recursive: true });
  }
});
