// Connects over TLS (the URL is rediss://), takes a lock and prints its
// fence. Run with --cert=tests/_redis_tls/ca.crt. Args: the URL.
import { connect } from "../src/redis.ts";

await using redis = await connect(Deno.args[0], { prefix: "tls" });
const lock = new redis.Lock("l");
lock.acquire();
console.log("ok", String(lock.fence));
lock.release();
