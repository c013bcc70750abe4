"""The bench:compare workloads in CPython's threading; prints one JSON object.

Each workload mirrors bench/_workloads.ts: the same counts, the same checks.
Usage: python3 bench/_cpython.py GROUP [ROW_KEY...], as bench/_ours.ts: the
rows of one group in this fresh process; fast rows are medians of samples.
"""
import array
import concurrent.futures
import importlib
import json
import os
import queue
import statistics
import sys
import sysconfig
import tempfile
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


def nested_starts(n):
    """Seconds each of n start() calls made by one thread took (each joined before the next)."""
    out = []

    def parent():
        for _ in range(n):
            t = threading.Thread(target=lambda: None)
            begin = perf()
            t.start()
            out.append(perf() - begin)
            t.join()

    t = threading.Thread(target=parent)
    t.start()
    t.join()
    return out


def first_starts():
    """Seconds main's first start() took, and the started thread's own first start()."""
    nested = [0.0]

    def parent():
        nested[0] = nested_starts_here(1)[0]

    t = threading.Thread(target=parent)
    begin = perf()
    t.start()
    main = perf() - begin
    t.join()
    return main, nested[0]


def nested_starts_here(n):
    times = []
    for _ in range(n):
        t = threading.Thread(target=lambda: None)
        begin = perf()
        t.start()
        times.append(perf() - begin)
        t.join()
    return times


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


def live_batch(n):
    """Starts n threads that wait on an Event; returns RSS with all up, then ends them."""
    release = threading.Event()
    ts = [threading.Thread(target=release.wait) for _ in range(n)]
    for t in ts:
        t.start()
    up = rss_kib()
    release.set()
    for t in ts:
        t.join()
    return up


def idle_thread_kib(n):
    before = rss_kib()
    return (live_batch(n) - before) / n


def churn(batches, size):
    """As bench/_ours.ts churn(): the RSS rise (KiB) and the share of it kept."""
    live_batch(8)
    time.sleep(0.2)
    before = rss_kib()
    peak = before
    for _ in range(batches):
        peak = max(peak, live_batch(size))
    low = rss_kib()
    for _ in range(10):
        time.sleep(0.1)
        low = min(low, rss_kib())
    return peak - before, (low - before) / (peak - before) if peak > before else 0.0


def top_level_sites(n):
    """Microseconds per top-level threading.Lock() in a generated module of n sites."""
    with tempfile.TemporaryDirectory() as folder:
        name = f"weft_sites_{os.getpid()}"
        with open(os.path.join(folder, name + ".py"), "w") as f:
            f.write("import threading, time\n_begin = time.perf_counter()\n")
            for i in range(n):
                f.write(f"l{i} = threading.Lock()\n")
            f.write("seconds = time.perf_counter() - _begin\n")
        sys.path.insert(0, folder)
        try:
            module = importlib.import_module(name)
        finally:
            sys.path.remove(folder)
        return module.seconds / n * 1e6


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


def sampled(k, sample):
    """The median of k runs of sample(): one slow moment does not decide a fast row."""
    return statistics.median(sample() for _ in range(k))


def once(fn):
    """Computes fn() once, on first use: rows that come out of one measurement."""
    cache = []

    def get():
        if not cache:
            cache.append(fn())
        return cache[0]

    return get


def ns(seconds, n):
    return seconds / n * 1e9


firsts = once(first_starts)
map_times = once(lambda: [dict_set_get(100_000) for _ in range(5)])
churned = once(lambda: churn(6, 50))
pool = []


def executor():
    if not pool:
        pool.append(warm_executor(4))
    return pool[0]


def primes_speedup():
    while pool:
        pool.pop().shutdown()
    # A tenth of the work of bench/_ours.ts: with the GIL it takes minutes.
    one = executor_primes(1, 200_000, 32)
    two = executor_primes(2, 200_000, 32)
    return one / two


GROUPS = {
    "locks": (lambda: start_join(50), {
        "lock_ns": lambda: sampled(5, lambda: ns(lock_uncontended(1_000_000), 1_000_000)),
        "rlock_ns": lambda: sampled(5, lambda: ns(rlock_uncontended(500_000), 500_000)),
        "lock_with_ns": lambda: sampled(5, lambda: ns(lock_with(500_000), 500_000)),
        "lock_hold_fn_ns": lambda: sampled(5, lambda: ns(lock_with(500_000), 500_000)),
        "counter_1": lambda: sampled(3, lambda: 400_000 / counter(1, 400_000)),
        "counter_2": lambda: sampled(3, lambda: 400_000 / counter(2, 400_000)),
        "counter_4": lambda: sampled(3, lambda: 400_000 / counter(4, 400_000)),
        "semaphore_4": lambda: sampled(3, lambda: 200_000 / semaphore(4, 200_000)),
    }),
    "handoff": (lambda: start_join(50), {
        "event_pingpong": lambda: sampled(3, lambda: 20_000 / event_ping_pong(20_000)),
        "condition_pingpong": lambda: sampled(3, lambda: 20_000 / condition_ping_pong(20_000)),
        # Fewer rounds with busy threads: with the GIL, tens per second.
        "event_pingpong_parked": lambda: crowded(lambda: 200 / event_ping_pong(200)),
        "condition_pingpong_parked": lambda: crowded(lambda: 200 / condition_ping_pong(200)),
    }),
    "threads": (lambda: start_join(50), {
        "start_join_us": lambda: sampled(3, lambda: start_join(1_000) / 1_000 * 1e6),
        "start_join_shared_us": lambda: sampled(3, lambda: start_join_shared(1_000) / 1_000 * 1e6),
        "nested_start_us": lambda: statistics.median(nested_starts(500)) * 1e6,
        "server_ms": lambda: sampled(3, lambda: server(20) * 1e3),
        "timer_late_ms": lambda: timer_lateness(20, 0.01) * 1e3,
    }),
    "first-start": (None, {
        "first_start_ms": lambda: firsts()[0] * 1e3,
        "nested_first_start_ms": lambda: firsts()[1] * 1e3,
    }),
    "queues": (lambda: start_join(50), {
        "queue_int_ns": lambda: sampled(5, lambda: ns(queue_put_get(100_000, 42), 100_000)),
        "queue_obj_ns": lambda: sampled(5, lambda: ns(queue_put_get(50_000, SMALL), 50_000)),
        "pipe_int": lambda: sampled(3, lambda: 200_000 / pipeline(1, 1, 0, 200_000, False)),
        "pipe_int_64": lambda: sampled(3, lambda: 200_000 / pipeline(1, 1, 64, 200_000, False)),
        "pipe_obj_64": lambda: sampled(3, lambda: 200_000 / pipeline(1, 1, 64, 200_000, True)),
        "pipe_4x4_64": lambda: sampled(3, lambda: 200_000 / pipeline(4, 4, 64, 200_000, False)),
    }),
    "containers": (lambda: start_join(50), {
        "map_set_ns": lambda: statistics.median(ns(s, 100_000) for s, _ in map_times()),
        "map_get_ns": lambda: statistics.median(ns(g, 100_000) for _, g in map_times()),
        "list_push_pop_ns": lambda: sampled(5, lambda: ns(list_push_pop(100_000), 200_000)),
        "map_updates_4": lambda: sampled(3, lambda: 100_000 / dict_updates(4, 25_000)),
    }),
    "construct": (None, {
        "lock_construct_sites_us": lambda: top_level_sites(2_000),
        "lock_construct_ns": lambda: sampled(5, lambda: ns(lock_construct(20_000), 20_000)),
    }),
    "queue-memory": (None, {"queue_rss_mb": lambda: queue_rss_mb(1_000_000)}),
    "memory": (None, {"idle_thread_kib": lambda: idle_thread_kib(100)}),
    "churn": (None, {
        "churn_rise_mb": lambda: churned()[0] / 1024,
        "churn_rss_kept_pct": lambda: churned()[1] * 100,
    }),
    "executor": (None, {
        "executor_round_trip_us": lambda: sampled(3, lambda: executor_round_trip(executor(), 2_000) / 2_000 * 1e6),
        "executor_gather": lambda: 200_000 / executor_gather(executor(), 200_000),
        "executor_map": lambda: 200_000 / executor_map(executor(), 200_000),
        "executor_primes_speedup": primes_speedup,
    }),
}


def runtime():
    name = "CPython " + sys.version.split()[0]
    if sysconfig.get_config_var("Py_GIL_DISABLED"):
        name += " free-threaded (GIL " + ("enabled" if sys._is_gil_enabled() else "disabled") + ")"
    return name


def main():
    group, keys = sys.argv[1], sys.argv[2:]
    if group not in GROUPS:
        sys.exit(f"Cannot run group: received {group}")
    setup, rows = GROUPS[group]
    if setup is not None:
        setup()
    out = {"runtime": runtime()}
    for key, measure in rows.items():
        if not keys or key in keys:
            out[key] = measure()
    while pool:
        pool.pop().shutdown()
    if group == "churn":
        # bench:compare takes the time from here to this process's exit.
        out["end_epoch_ms"] = time.time() * 1000
    print(json.dumps(out))


if __name__ == "__main__":
    main()
