// How a worker of this library starts: from which URL, and whether it may.

/**
 * The URL to start a worker with that calls `entry` of module `url`.
 * node:worker_threads takes only file: and data: URLs; a data: module can
 * import the library from wherever it came from (https:, so jsr: too).
 */
export function workerEntry(url: URL, entry: string): URL {
  return new URL(
    `data:text/javascript,${
      encodeURIComponent(
        `import { ${entry} } from ${JSON.stringify(url.href)}; ${entry}();`,
      )
    }`,
  );
}

/**
 * Checks, before a worker is created, that it may load this library: a
 * worker that cannot load its module would never run its thread, and its
 * creator (blocked in start()) would never hear of it.
 *
 * @throws {Deno.errors.NotCapable} Without read access to local modules.
 */
export function checkCanLoad(url: URL): void {
  if (url.protocol !== "file:") return;
  const path = decodeURIComponent(url.pathname);
  const descriptor = { name: "read", path } as const;
  let { state } = Deno.permissions.querySync(descriptor);
  if (state === "prompt") {
    state = Deno.permissions.requestSync(descriptor).state;
  }
  if (state !== "granted") {
    throw new Deno.errors.NotCapable(
      `Cannot start a thread: it needs read access to "${path}" (the ` +
        `modules a thread loads). Run again with --allow-read (-R)`,
    );
  }
}
