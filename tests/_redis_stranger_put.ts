// Puts an instance of Stranger (a module only this process loads) into
// queue "q" twice. Args: the Redis URL, the prefix.
import { connect } from "../src/redis.ts";
import { Stranger } from "./_redis_stranger.ts";

const [url, prefix] = Deno.args;
await using redis = await connect(url, { prefix });
const q = new redis.Queue<Stranger>("q");
q.put(new Stranger());
q.put(new Stranger());
