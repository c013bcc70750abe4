// A task that returns a Stranger (a module the test process never loads).
// Stranger is exported here too, so its instances name this module: a
// process that imported what values name would import it.
import { Stranger } from "./_redis_stranger.ts";

export { Stranger };

/** A new Stranger. */
export function makeStranger(): Stranger {
  return new Stranger();
}
