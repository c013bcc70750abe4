// What SharedValue, SharedList and SharedMap share: requests that are one
// command or one script (src/_redis/io_containers.ts), the first of which
// also marks the container made with the object's initial contents, and
// compare-and-set loops for update().
import { baseKey, type RedisObject, send, sendAsync } from "./base.ts";
import type { Arg } from "./io_redis.ts";

const pending = new WeakMap<RedisObject, Arg[]>();

/**
 * Marks the container made: with initial contents, now (they are written
 * if the name is new, so that every thread and process sees them from
 * here on); without, along with the object's first request.
 */
export function initWith(
  object: RedisObject,
  kind: string,
  contents: Arg[],
): void {
  pending.set(object, [kind, ...contents]);
  if (contents.length > 0) command(object, ["EXISTS", baseKey(object)]);
}

function fields(
  object: RedisObject,
  extra: Record<string, unknown>,
): Record<string, unknown> {
  const init = pending.get(object);
  return init === undefined ? extra : { ...extra, init };
}

function sent(object: RedisObject, value: unknown): unknown {
  // Marked made (idempotent: a failed request leaves it for the next).
  pending.delete(object);
  return value;
}

/** Runs one command on the object's key, blocking the calling thread. */
export function command(object: RedisObject, command: Arg[]): unknown {
  return sent(
    object,
    send(object, "container.run", fields(object, { command })),
  );
}

/** {@linkcode command} without blocking the event loop. */
export async function commandAsync(
  object: RedisObject,
  command: Arg[],
): Promise<unknown> {
  return sent(
    object,
    await sendAsync(object, "container.run", fields(object, { command })),
  );
}

/** Runs one of the containers' scripts, blocking the calling thread. */
export function script(
  object: RedisObject,
  name: string,
  args: Arg[],
): unknown {
  return sent(
    object,
    send(object, "container.script", fields(object, { script: name, args })),
  );
}

/** {@linkcode script} without blocking the event loop. */
export async function scriptAsync(
  object: RedisObject,
  name: string,
  args: Arg[],
): Promise<unknown> {
  return sent(
    object,
    await sendAsync(
      object,
      "container.script",
      fields(object, { script: name, args }),
    ),
  );
}

const EMPTY = new Uint8Array(0);

/** The compare-and-set arguments: kind, new, had old, old, where. */
export function casArgs(
  kind: string,
  next: Uint8Array,
  old: Uint8Array | null,
  where: Arg = "",
): Arg[] {
  return [kind, next, old === null ? "0" : "1", old ?? EMPTY, where];
}
