// Operations of SharedValue, SharedList and SharedMap, in the I/O thread:
// each is one command or one script (src/_redis/scripts_containers.ts) that
// the object's own code composes. An object's first request also marks the
// container made (writing its initial contents if nobody did): sent just
// before the command on the same connection, so it costs no extra round
// trip.
import { defineOperation, type Io, type Op } from "./io.ts";
import type { Arg, Script } from "./io_redis.ts";
import {
  CONTAINER_CAS,
  CONTAINER_INIT,
  LIST_INSERT,
  LIST_REMOVE,
  MAP_SET_DEFAULT,
} from "./scripts_containers.ts";

const SCRIPTS: Record<string, Script> = {
  cas: CONTAINER_CAS,
  insert: LIST_INSERT,
  remove: LIST_REMOVE,
  setDefault: MAP_SET_DEFAULT,
};

interface Fields {
  key: string;
  /** The first request of an object: kind, then initial contents. */
  init?: Arg[];
}

async function withInit(
  io: Io,
  op: Op,
  main: () => Promise<unknown>,
): Promise<unknown> {
  const { key, init } = op.request as unknown as Fields;
  if (init === undefined) return await main();
  const marked = io.redis.script(op, CONTAINER_INIT, [key], init);
  const result = main();
  await marked;
  return await result;
}

defineOperation("container.run", {
  run(io, op) {
    const { command } = op.request as { command: Arg[] };
    return withInit(io, op, () => io.redis.run(op, command));
  },
});

defineOperation("container.script", {
  run(io, op) {
    const { key, script, args } = op.request as {
      key: string;
      script: string;
      args: Arg[];
    };
    const s = SCRIPTS[script];
    if (s === undefined) {
      return Promise.reject(new TypeError(`Unknown script ${script}`));
    }
    return withInit(io, op, () => io.redis.script(op, s, [key], args));
  },
});
