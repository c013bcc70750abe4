// A process that takes lock "held" and keeps it (its I/O thread renews the
// lease) until it is killed; it writes its fencing token to a file once it
// holds the lock. Args: the Redis URL, the prefix, the lease (ms), the file.
import { connect } from "../src/redis.ts";

const [url, prefix, lease, file] = Deno.args;
const redis = await connect(url, { prefix });
const lock = new redis.Lock("held", { lease: Number(lease) });
lock.acquire();
await Deno.writeTextFile(file, String(lock.fence));
// Stay alive, holding it.
setInterval(() => {}, 1 << 30);
