"""The bench:compare workloads in CPython's threading; prints one JSON object.

Each workload mirrors bench/_workloads.ts: the same counts, the same checks.
"""
import array
import concurrent.futures
import json
import os
import queue
import sys
import threading
import time

perf = time.perf_counter


def lock_with(n):
    lock = threading.Lock()
    count = 0
    begin = perf()
    for _ in range(n):
        with lock:
            count += 1
    seconds = perf() - begin
    assert count == n
    return seconds


def lock_construct(n):
    last = None
    begin = perf()
    for _ in range(n):
        last = threading.Lock()
    seconds = perf() - begin
    assert not last.locked()
    return seconds


def dict_set_get(n):
    d = {}
    keys = [f"user:{i}" for i in range(100)]
    begin = perf()
    for i in range(n):
        d[keys[i % 100]] = i
    set_seconds = perf() - begin
    total = 0
    begin = perf()
    for i in range(n):
        total += d.get(keys[i % 100])
    get_seconds = perf() - begin
    assert len(d) == 100 and total > 0
    return set_seconds, get_seconds


def list_push_pop(n):
    items = [1, 2, 3]
    total = 0
    begin = perf()
    for i in range(n):
        items.append(i)
        total += items.pop()
    seconds = perf() - begin
    assert total == n * (n - 1) // 2 and len(items) == 3
    return seconds


def dict_updates(threads, n):
    """A dict shared by threads, each update under one Lock (Python's way)."""
    d = {}
    lock = threading.Lock()
    go = threading.Event()
    keys = [f"key{i}" for i in range(8)]

    def work():
        go.wait()
        for i in range(n):
            with lock:
                key = keys[i & 7]
                d[key] = d.get(key, 0) + 1

    ts = [threading.Thread(target=work) for _ in range(threads)]
    for t in ts:
        t.start()
    begin = perf()
    go.set()
    for t in ts:
        t.join()
    seconds = perf() - begin
    assert sum(d.values()) == threads * n
    return seconds


def lock_uncontended(n):
    lock = threading.Lock()
    begin = perf()
    for _ in range(n):
        lock.acquire()
        lock.release()
    return perf() - begin


def rlock_uncontended(n):
    lock = threading.RLock()
    begin = perf()
    for _ in range(n):
        lock.acquire()
        lock.acquire()
        lock.release()
        lock.release()
    return perf() - begin


def counter(threads, total):
    lock = threading.Lock()
    cell = [0]
    go = threading.Event()

    def work(k):
        go.wait()
        for _ in range(k):
            lock.acquire()
            cell[0] += 1
            lock.release()

    ts = [threading.Thread(target=work, args=(total // threads,)) for _ in range(threads)]
    for t in ts:
        t.start()
    begin = perf()
    go.set()
    for t in ts:
        t.join()
    seconds = perf() - begin
    assert cell[0] == total, cell[0]
    return seconds


def semaphore(threads, total):
    sem = threading.Semaphore(2)
    go = threading.Event()

    def work(k):
        go.wait()
        for _ in range(k):
            sem.acquire()
            sem.release()

    ts = [threading.Thread(target=work, args=(total // threads,)) for _ in range(threads)]
    for t in ts:
        t.start()
    begin = perf()
    go.set()
    for t in ts:
        t.join()
    return perf() - begin


def event_ping_pong(rounds):
    ping, pong = threading.Event(), threading.Event()

    def partner():
        for _ in range(rounds):
            ping.wait()
            ping.clear()
            pong.set()

    t = threading.Thread(target=partner)
    t.start()
    begin = perf()
    for _ in range(rounds):
        ping.set()
        pong.wait()
        pong.clear()
    seconds = perf() - begin
    t.join()
    return seconds


def condition_ping_pong(rounds):
    cond = threading.Condition(threading.Lock())
    turn = [0]

    def partner():
        for _ in range(rounds):
            with cond:
                while turn[0] != 1:
                    cond.wait()
                turn[0] = 0
                cond.notify()

    t = threading.Thread(target=partner)
    t.start()
    begin = perf()
    for _ in range(rounds):
        with cond:
            turn[0] = 1
            cond.notify()
            while turn[0] != 0:
                cond.wait()
    seconds = perf() - begin
    t.join()
    return seconds


def crowded(fn):
    """Runs fn while busy threads (one per core) compete with it."""
    stop = [False]

    def spin():
        while not stop[0]:
            pass

    ts = [threading.Thread(target=spin) for _ in range(os.cpu_count() or 1)]
    for t in ts:
        t.start()
    try:
        return fn()
    finally:
        stop[0] = True
        for t in ts:
            t.join()


def start_join(n):
    begin = perf()
    for _ in range(n):
        t = threading.Thread(target=lambda: None)
        t.start()
        t.join()
    return perf() - begin


def start_join_shared(n):
    """Start+join of a thread given a Lock, an Event, a typed array and a Queue."""
    args = (threading.Lock(), threading.Event(), array.array("i", [0] * 16), queue.Queue())

    def target(lock, event, cells, q):
        pass

    begin = perf()
    for _ in range(n):
        t = threading.Thread(target=target, args=args)
        t.start()
        t.join()
    return perf() - begin


def nested_start(n):
    """Mean start() latency, in seconds, of threads started by a thread."""
    out = [0.0]

    def parent():
        total = 0.0
        for _ in range(n):
            t = threading.Thread(target=lambda: None)
            begin = perf()
            t.start()
            total += perf() - begin
            t.join()
        out[0] = total / n

    t = threading.Thread(target=parent)
    t.start()
    t.join()
    return out[0]


def server(n):
    """Seconds for a thread to start and join n short handler threads in a row."""
    out = [0.0]

    def serve():
        begin = perf()
        for i in range(n):
            t = threading.Thread(target=lambda: None, name=f"handler-{i}")
            t.start()
            t.join()
        out[0] = perf() - begin

    t = threading.Thread(target=serve)
    t.start()
    t.join()
    return out[0]


def timer_lateness(n, interval):
    """Mean lateness, in seconds, of a Timer re-armed n times from a thread."""
    out = [0.0]

    def rearm():
        late = 0.0
        for _ in range(n):
            fired = [0.0]
            begin = perf()
            timer = threading.Timer(interval, lambda: fired.__setitem__(0, perf()))
            timer.start()
            timer.join()
            late += fired[0] - begin - interval
        out[0] = late / n

    t = threading.Thread(target=rearm)
    t.start()
    t.join()
    return out[0]


SMALL = {"id": 1, "name": "alice", "tags": [1, 2, 3]}


def queue_put_get(n, item):
    q = queue.Queue()
    begin = perf()
    for _ in range(n):
        q.put(item)
        q.get()
    return perf() - begin


def pipeline(producers, consumers, maxsize, total, objects):
    """total items from producer threads to consumer threads; released together."""
    q = queue.Queue(maxsize)
    go = threading.Event()
    got = [0]
    lock = threading.Lock()

    def produce(n):
        go.wait()
        for i in range(n):
            q.put({"id": i, "name": "alice", "tags": [1, 2, 3]} if objects else i)

    def consume(n):
        go.wait()
        for _ in range(n):
            q.get()
        with lock:
            got[0] += n

    ts = [threading.Thread(target=consume, args=(total // consumers,)) for _ in range(consumers)]
    ts += [threading.Thread(target=produce, args=(total // producers,)) for _ in range(producers)]
    for t in ts:
        t.start()
    begin = perf()
    go.set()
    for t in ts:
        t.join()
    seconds = perf() - begin
    assert got[0] == total and q.qsize() == 0, got[0]
    return seconds


def queue_rss_mb(n):
    queue_put_get(n // 10, SMALL)
    before = rss_kib()
    queue_put_get(n, SMALL)
    return (rss_kib() - before) / 1000


def rss_kib():
    with open("/proc/self/status") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    return 0


def idle_thread_kib(n):
    release = threading.Event()
    before = rss_kib()
    ts = [threading.Thread(target=release.wait) for _ in range(n)]
    for t in ts:
        t.start()
    after = rss_kib()
    release.set()
    for t in ts:
        t.join()
    return (after - before) / n


def square(x):
    return x * x


def count_primes(lo, hi):
    count = 0
    for n in range(max(2, lo), hi):
        d = 2
        prime = True
        while d * d <= n:
            if n % d == 0:
                prime = False
                break
            d += 1
        if prime:
            count += 1
    return count


def warm_executor(workers):
    executor = concurrent.futures.ThreadPoolExecutor(max_workers=workers)
    for _ in range(3):
        for f in [executor.submit(square, i) for i in range(20_000)]:
            f.result()
    return executor


def executor_round_trip(executor, n):
    begin = perf()
    for i in range(n):
        assert executor.submit(square, i).result() == i * i
    return perf() - begin


def executor_gather(executor, n):
    begin = perf()
    futures = [executor.submit(square, i) for i in range(n)]
    total = sum(f.result() for f in futures)
    seconds = perf() - begin
    assert total == (n - 1) * n * (2 * n - 1) // 6
    return seconds


def executor_map(executor, n):
    items = list(range(n))
    begin = perf()
    total = sum(executor.map(square, items))
    seconds = perf() - begin
    assert total == (n - 1) * n * (2 * n - 1) // 6
    return seconds


def executor_primes(workers, limit, chunks):
    executor = warm_executor(workers)
    size = limit // chunks
    begin = perf()
    futures = [executor.submit(count_primes, i * size, (i + 1) * size) for i in range(chunks)]
    total = sum(f.result() for f in futures)
    seconds = perf() - begin
    executor.shutdown()
    assert total > 0
    return seconds


def main():
    if sys.argv[1:] == ["executor"]:
        executor = warm_executor(4)
        out = {
            "executor_round_trip_us": executor_round_trip(executor, 5_000) / 5_000 * 1e6,
            "executor_gather": 200_000 / executor_gather(executor, 200_000),
            "executor_map": 200_000 / executor_map(executor, 200_000),
        }
        executor.shutdown()
        # CPython's GIL: a tenth of the work, or it takes minutes.
        one = executor_primes(1, 200_000, 32)
        two = executor_primes(2, 200_000, 32)
        out["executor_primes_speedup"] = one / two
        print(json.dumps(out))
        return
    if sys.argv[1:] == ["memory"]:
        print(json.dumps({"idle_thread_kib": idle_thread_kib(100)}))
        return
    if sys.argv[1:] == ["queue-memory"]:
        print(json.dumps({"queue_rss_mb": queue_rss_mb(1_000_000)}))
        return
    start_join(50)  # warm up
    out = {
        "runtime": "CPython " + sys.version.split()[0],
        "lock_ns": lock_uncontended(2_000_000) / 2_000_000 * 1e9,
        "rlock_ns": rlock_uncontended(1_000_000) / 1_000_000 * 1e9,
        "lock_with_ns": lock_with(1_000_000) / 1_000_000 * 1e9,
        "lock_hold_fn_ns": lock_with(1_000_000) / 1_000_000 * 1e9,
        "counter_1": 400_000 / counter(1, 400_000),
        "counter_2": 400_000 / counter(2, 400_000),
        "counter_4": 400_000 / counter(4, 400_000),
        "semaphore_4": 200_000 / semaphore(4, 200_000),
        "event_pingpong": 20_000 / event_ping_pong(20_000),
        "condition_pingpong": 20_000 / condition_ping_pong(20_000),
        "event_pingpong_parked": crowded(lambda: 200 / event_ping_pong(200)),
        "condition_pingpong_parked": crowded(lambda: 200 / condition_ping_pong(200)),
        "start_join_us": start_join(2_000) / 2_000 * 1e6,
        "start_join_shared_us": start_join_shared(2_000) / 2_000 * 1e6,
        "nested_start_us": nested_start(500) * 1e6,
        "server_ms": server(20) * 1e3,
        "timer_late_ms": timer_lateness(20, 0.01) * 1e3,
        "queue_int_ns": queue_put_get(200_000, 42) / 200_000 * 1e9,
        "queue_obj_ns": queue_put_get(100_000, SMALL) / 100_000 * 1e9,
        "pipe_int": 200_000 / pipeline(1, 1, 0, 200_000, False),
        "pipe_int_64": 200_000 / pipeline(1, 1, 64, 200_000, False),
        "pipe_obj_64": 200_000 / pipeline(1, 1, 64, 200_000, True),
        "pipe_4x4_64": 200_000 / pipeline(4, 4, 64, 200_000, False),
        "lock_construct_ns": lock_construct(200_000) / 200_000 * 1e9,
        "list_push_pop_ns": list_push_pop(200_000) / 400_000 * 1e9,
        "map_updates_4": 100_000 / dict_updates(4, 25_000),
    }
    set_seconds, get_seconds = dict_set_get(200_000)
    out["map_set_ns"] = set_seconds / 200_000 * 1e9
    out["map_get_ns"] = get_seconds / 200_000 * 1e9
    print(json.dumps(out))


if __name__ == "__main__":
    main()
