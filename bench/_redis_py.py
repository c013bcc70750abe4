"""The Redis rows of bench:compare in redis-py (what a Python program would
use instead): Lock acquire+release (redis-py's Lock: SET NX PX, then a Lua
release) and a queue put+get as LPUSH then BLMOVE into an in-flight list
(the reliable-queue pattern), then LREM of the item (its acknowledgement).
Prints one JSON object, with the commands sent per operation (each one a
round trip). Args: the Redis URL. Needs `pip install redis`.
"""
import json
import sys
import time
import uuid

try:
    import redis
except ModuleNotFoundError:
    print("redis-py not installed (pip install redis): its rows are skipped",
          file=sys.stderr)
    print("{}")
    sys.exit(0)

URL = sys.argv[1]
LOCKS = 2000
ITEMS = 2000

client = redis.Redis.from_url(URL)
sent = 0
execute = client.execute_command


def counted(*args, **options):
    global sent
    sent += 1
    return execute(*args, **options)


client.execute_command = counted
prefix = f"bench-py-{uuid.uuid4()}"


def measure(n, body):
    global sent
    before = sent
    begin = time.perf_counter()
    for _ in range(n):
        body()
    us = (time.perf_counter() - begin) * 1e6 / n
    return us, (sent - before) / n


lock = client.lock(f"{prefix}:lock", timeout=30)


def lock_round():
    lock.acquire()
    lock.release()


queue = f"{prefix}:queue"
inflight = f"{prefix}:inflight"


def queue_round():
    client.lpush(queue, b"1")
    item = client.blmove(queue, inflight, 0, "RIGHT", "LEFT")
    client.lrem(inflight, 1, item)


for _ in range(200):
    lock_round()
    queue_round()
lock_us, lock_commands = measure(LOCKS, lock_round)
queue_us, queue_commands = measure(ITEMS, queue_round)
print(json.dumps({
    "runtime": f"redis-py {redis.__version__} (Python {sys.version.split()[0]})",
    "redis_lock_us": lock_us,
    "redis_lock_commands": lock_commands,
    "redis_queue_us": queue_us,
    "redis_queue_commands": queue_commands,
}))
