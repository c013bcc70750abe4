"""The bench:compare workloads in CPython's threading; prints one JSON object.

Each workload mirrors bench/_workloads.ts: the same counts, the same checks.
"""
import json
import os
import sys
import threading
import time

perf = time.perf_counter


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


def main():
    if sys.argv[1:] == ["memory"]:
        print(json.dumps({"idle_thread_kib": idle_thread_kib(100)}))
        return
    start_join(50)  # warm up
    out = {
        "runtime": "CPython " + sys.version.split()[0],
        "lock_ns": lock_uncontended(2_000_000) / 2_000_000 * 1e9,
        "rlock_ns": rlock_uncontended(1_000_000) / 1_000_000 * 1e9,
        "counter_1": 400_000 / counter(1, 400_000),
        "counter_2": 400_000 / counter(2, 400_000),
        "counter_4": 400_000 / counter(4, 400_000),
        "semaphore_4": 200_000 / semaphore(4, 200_000),
        "event_pingpong": 20_000 / event_ping_pong(20_000),
        "condition_pingpong": 20_000 / condition_ping_pong(20_000),
        "event_pingpong_parked": crowded(lambda: 200 / event_ping_pong(200)),
        "condition_pingpong_parked": crowded(lambda: 200 / condition_ping_pong(200)),
        "start_join_us": start_join(2_000) / 2_000 * 1e6,
    }
    print(json.dumps(out))


if __name__ == "__main__":
    main()
