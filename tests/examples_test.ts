// Runs every example and checks its output against the seed transcript's
// shape (the futures examples: against what the Python docs' versions
// print). Default thread names follow Python >= 3.10 ("Thread-1 (worker)");
// the transcript predates that and shows "Thread-1".
import assert from "node:assert/strict";
import { EXAMPLES } from "../examples/run.ts";

async function output(name: string): Promise<string[]> {
  const { code, stdout, stderr } = await new Deno.Command(Deno.execPath(), {
    args: [
      "run",
      "-A",
      new URL(`../examples/${name}.ts`, import.meta.url).href,
    ],
    stdout: "piped",
    stderr: "piped",
  }).output();
  const err = new TextDecoder().decode(stderr);
  assert.equal(code, 0, err);
  assert.equal(err, "", "nothing on stderr");
  return new TextDecoder().decode(stdout).trimEnd().split("\n");
}

const sorted = (lines: string[]): string[] => [...lines].sort();

/** Each of `expected` is printed once, in this order (others may interleave). */
function inOrder(lines: string[], expected: string[]): void {
  const at = expected.map((line) => {
    assert.equal(lines.filter((l) => l === line).length, 1, line);
    return lines.indexOf(line);
  });
  for (let i = 1; i < at.length; i++) {
    assert.ok(at[i - 1] < at[i], `${expected[i - 1]} before ${expected[i]}`);
  }
}

/**
 * The barrier examples: main starts three workers 100 ms apart; each says how
 * many others wait (a number that depends on how fast the earlier ones got
 * there), then how its wait ended.
 */
function barrierShape(lines: string[], ending: string): void {
  assert.equal(lines.length, 9);
  const ends: string[] = [];
  for (let i = 0; i < 3; i++) {
    const name = `worker-${i}`;
    const waiting = lines.filter((l) => l.startsWith(`${name} waiting`));
    assert.equal(waiting.length, 1);
    const others = Number(/with (\d+) others$/.exec(waiting[0])![1]);
    assert.ok(others <= i, waiting[0]);
    const end = lines.find((l) => l.startsWith(`${name} ${ending}`))!;
    inOrder(lines, [`${name} starting`, waiting[0], end]);
    ends.push(end);
  }
  if (ending === "after barrier") {
    // Every wait returns after the last worker arrives; indexes 0, 1, 2.
    const last = Math.max(
      ...lines.map((l, i) => l.includes(" waiting for ") ? i : -1),
    );
    assert.ok(ends.every((l) => lines.indexOf(l) > last));
    assert.deepEqual(ends.map((l) => l.at(-1)).sort(), ["0", "1", "2"]);
  }
}

const checks: Record<string, (lines: string[]) => void> = {
  simple: (lines) => assert.deepEqual(lines, Array(5).fill("Worker")),
  simpleargs: (lines) =>
    assert.deepEqual(sorted(lines), [0, 1, 2, 3, 4].map((i) => `Worker: ${i}`)),
  names: (lines) => {
    // The threads sleep rather than synchronize (as in the original), so only
    // each thread's own order is certain.
    assert.deepEqual(sorted(lines), [
      "Thread-1 (worker) Exiting",
      "Thread-1 (worker) Starting",
      "my_service Exiting",
      "my_service Starting",
      "worker Exiting",
      "worker Starting",
    ]);
    for (const name of ["Thread-1 (worker)", "my_service", "worker"]) {
      inOrder(lines, [`${name} Starting`, `${name} Exiting`]);
    }
  },
  names_log: (lines) => {
    assert.deepEqual(sorted(lines), [
      "[DEBUG] (Thread-1 (worker)) Exiting",
      "[DEBUG] (Thread-1 (worker)) Starting",
      "[DEBUG] (my_service) Exiting",
      "[DEBUG] (my_service) Starting",
      "[DEBUG] (worker    ) Exiting",
      "[DEBUG] (worker    ) Starting",
    ]);
    for (const name of ["Thread-1 (worker)", "my_service", "worker    "]) {
      inOrder(lines, [
        `[DEBUG] (${name}) Starting`,
        `[DEBUG] (${name}) Exiting`,
      ]);
    }
  },
  daemon: (lines) => {
    // The process exits once the non-daemon thread is done, whatever the
    // daemon is doing: it may not have printed yet, and on a loaded machine
    // the exit may come after its 200 ms sleep. (lifetime_test.ts checks
    // that exit does not wait for daemons, with no timing involved.)
    inOrder(lines, ["(non-daemon) Starting", "(non-daemon) Exiting"]);
    for (const line of lines) {
      assert.ok(
        [
          "(daemon    ) Starting",
          "(daemon    ) Exiting",
          "(non-daemon) Starting",
          "(non-daemon) Exiting",
        ].includes(line),
        line,
      );
    }
    assert.equal(new Set(lines).size, lines.length, "each line once");
    if (lines.includes("(daemon    ) Exiting")) {
      inOrder(lines, ["(daemon    ) Starting", "(daemon    ) Exiting"]);
    }
  },
  daemon_join: (lines) =>
    assert.deepEqual(lines, [
      "(daemon    ) Starting",
      "(non-daemon) Starting",
      "(non-daemon) Exiting",
      "(daemon    ) Exiting",
    ]),
  daemon_join_timeout: (lines) =>
    assert.deepEqual(lines, [
      "(daemon    ) Starting",
      "(non-daemon) Starting",
      "(non-daemon) Exiting",
      "d.isAlive() True",
    ]),
  enumerate: (lines) => {
    assert.equal(lines.length, 9);
    for (let i = 1; i <= 3; i++) {
      const mine = lines.filter((l) => l.startsWith(`(Thread-${i} (worker)) `));
      assert.equal(mine.length, 2);
      assert.match(mine[0], /\) sleeping [1-5]$/);
      assert.match(mine[1], /\) ending$/);
    }
    const joins = lines.filter((l) => l.startsWith("(MainThread) joining"));
    assert.deepEqual(
      joins,
      [1, 2, 3].map((i) => `(MainThread) joining Thread-${i} (worker)`),
    );
  },
  subclass: (lines) =>
    assert.deepEqual(
      sorted(lines),
      [1, 2, 3, 4, 5].map((i) => `(Thread-${i}  ) running`),
    ),
  subclass_args: (lines) =>
    assert.deepEqual(
      sorted(lines),
      [0, 1, 2, 3, 4].map((i) =>
        `(Thread-${i + 1}  ) running with [ ${i} ] and { a: "A", b: "B" }`
      ),
    ),
  lock: (lines) => {
    assert.equal(lines.length, 16);
    assert.equal(lines.at(-1), "(MainThread) Counter: 4");
    assert.ok(lines.includes("(MainThread) Waiting for worker threads"));
    for (const t of ["Thread-1 (worker)", "Thread-2 (worker)"]) {
      const mine = lines.filter((l) => l.startsWith(`(${t}) `)).map((l) =>
        l.slice(t.length + 3)
      );
      assert.deepEqual(mine.map((l) => l.replace(/\d\.\d\d$/, "N")), [
        "Sleeping N",
        "Waiting for lock",
        "Acquired lock",
        "Sleeping N",
        "Waiting for lock",
        "Acquired lock",
        "Done",
      ]);
    }
  },
  lock_noblock: (lines) => {
    assert.equal(lines[0], "(LockHolder) Starting");
    const worker = lines.filter((l) => l.startsWith("(Worker    ) Iteration"));
    worker.forEach((l, i) =>
      assert.match(
        l,
        new RegExp(`Iteration ${i + 1}: (Not acquired|Acquired)$`),
      )
    );
    assert.equal(worker.filter((l) => l.endsWith(": Acquired")).length, 3);
    assert.equal(
      lines.at(-1),
      `(Worker    ) Done after ${worker.length} iterations`,
    );
    assert.ok(
      lines.includes("(LockHolder) Holding") &&
        lines.includes("(LockHolder) Not holding"),
    );
  },
  lock_reacquire: (lines) =>
    assert.deepEqual(lines, ["First try : True", "Second try: False"]),
  rlock: (lines) =>
    assert.deepEqual(lines, ["First try : True", "Second try: True"]),
  lock_with: (lines) =>
    assert.deepEqual(sorted(lines), [
      "(Thread-1 (workerWith)) Lock acquired via with",
      "(Thread-2 (workerNoWith)) Lock acquired directly",
    ]),
  timer: (lines) => {
    // t1 fires 300 ms after its start, main prints "done" after a 200 ms
    // sleep: which comes first depends on the machine's load.
    const main = [
      "(MainThread) starting timers",
      "(MainThread) waiting before canceling t2",
      "(MainThread) canceling t2",
      "(MainThread) done",
    ];
    assert.deepEqual(lines.filter((l) => l.startsWith("(MainThread)")), main);
    assert.deepEqual(lines.filter((l) => !l.startsWith("(MainThread)")), [
      "(t1        ) worker running",
    ]);
    inOrder(lines, [main[0], "(t1        ) worker running"]);
  },
  event: (lines) => {
    // The non-blocking thread polls with a 200 ms timeout while main sleeps
    // 300 ms: how many polls time out first depends on the machine's load.
    const poll = lines.filter((l) => l.startsWith("(non-block )")).map((l) =>
      l.slice(13)
    ).join("|");
    assert.match(
      poll,
      /^(wait_for_event_timeout starting\|event set: False\|doing other work\|?)*(wait_for_event_timeout starting\|event set: True\|processing event)?$/,
    );
    assert.ok(poll.startsWith("wait_for_event_timeout starting"));
    assert.deepEqual(lines.filter((l) => l.startsWith("(block     )")), [
      "(block     ) wait_for_event starting",
      "(block     ) event set: True",
    ]);
    inOrder(lines, [
      "(MainThread) Waiting before calling Event.set()",
      "(MainThread) Event is set",
    ]);
    assert.equal(lines.filter((l) => l.startsWith("(MainThread)")).length, 2);
  },
  condition: (lines) => {
    for (const l of lines) {
      assert.match(l, /^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d,\d{3} \(/);
    }
    const text = lines.map((l) => l.slice(24));
    assert.deepEqual(sorted(text), [
      "(c1) Resource is available to consumer",
      "(c1) Starting consumer thread",
      "(c2) Resource is available to consumer",
      "(c2) Starting consumer thread",
      "(p ) Making resource available",
      "(p ) Starting producer thread",
    ]);
    for (const c of ["c1", "c2"]) {
      inOrder(text, [
        `(${c}) Starting consumer thread`,
        "(p ) Making resource available",
        `(${c}) Resource is available to consumer`,
      ]);
    }
    inOrder(text, [
      "(p ) Starting producer thread",
      "(p ) Making resource available",
    ]);
  },
  semaphore: (lines) => {
    assert.equal(lines.length, 12);
    const text = lines.map((l) => l.slice(24));
    for (const name of ["0", "1", "2", "3"]) {
      const mine = text.filter((l) => l.startsWith(`(${name} )`));
      assert.equal(mine[0], `(${name} ) Waiting to join the pool`);
      assert.equal(mine.length, 3);
      assert.match(
        mine[1],
        new RegExp(`Running: \\[.*'${name}'.*\\]$`),
        "active after joining",
      );
      assert.doesNotMatch(
        mine[2],
        new RegExp(`'${name}'`),
        "inactive after leaving",
      );
    }
    for (const l of text.filter((l) => l.includes("Running:"))) {
      const names = l.slice(l.indexOf("[") + 1, -1).split(", ").filter((n) =>
        n !== ""
      );
      assert.ok(names.length <= 2, `at most two running: ${l}`);
    }
    assert.ok(text.at(-1)!.endsWith("Running: []"));
  },
  local: (lines) => {
    const shape = lines.map((l) => l.replace(/value=\d+$/, "value=N"));
    assert.deepEqual(shape, [
      "(MainThread) No value yet",
      "(MainThread) value=N",
      "(Thread-1 (worker)) No value yet",
      "(Thread-1 (worker)) value=N",
      "(Thread-2 (worker)) No value yet",
      "(Thread-2 (worker)) value=N",
    ]);
    assert.equal(lines[1], "(MainThread) value=1000");
  },
  local_defaults: (lines) => {
    const id = /<MyLocal object at (0x[0-9a-f]{8})>/.exec(lines[0])![1];
    assert.deepEqual(lines.map((l) => l.replace(/value=\d+$/, "value=N")), [
      `(MainThread) Initializing <MyLocal object at ${id}>`,
      "(MainThread) value=N",
      `(Thread-1 (worker)) Initializing <MyLocal object at ${id}>`,
      "(Thread-1 (worker)) value=N",
      "(Thread-1 (worker)) value=N",
      `(Thread-2 (worker)) Initializing <MyLocal object at ${id}>`,
      "(Thread-2 (worker)) value=N",
      "(Thread-2 (worker)) value=N",
    ]);
    for (const i of [1, 3, 6]) {
      assert.ok(lines[i].endsWith("value=1000"), "defaults in every thread");
    }
  },
  barrier: (lines) => barrierShape(lines, "after barrier"),
  barrier_abort: (lines) => barrierShape(lines, "aborting"),
  futures_urls: (lines) => {
    const shown = lines.map((l) => l.replace(/127\.0\.0\.1:\d+/, "HOST"));
    assert.deepEqual(sorted(shown), [
      "'http://HOST/europe.wsj.com/' page is 44210 bytes",
      "'http://HOST/nonexistant-subdomain.python.org/' generated an " +
      "exception: HTTP Error 404: Not Found",
      "'http://HOST/www.bbc.co.uk/' page is 31955 bytes",
      "'http://HOST/www.cnn.com/' page is 11602 bytes",
      "'http://HOST/www.foxnews.com/' page is 25817 bytes",
    ]);
  },
  futures_primes: (lines) =>
    assert.deepEqual(lines, [
      "112272535095293 is prime: True",
      "112582705942171 is prime: True",
      "112272535095293 is prime: True",
      "115280095190773 is prime: True",
      "115797848077099 is prime: True",
      "1099726899285419 is prime: False",
    ]),
  condition_trace: (lines) => {
    const program = lines.slice(0, -2).map((l) => l.replace(/^\S+ \S+ /, ""));
    assert.deepEqual(program.sort(), [
      "(c1) Resource is available to consumer",
      "(c1) Starting consumer thread",
      "(c2) Resource is available to consumer",
      "(c2) Starting consumer thread",
      "(p ) Making resource available",
      "(p ) Starting producer thread",
    ]);
    assert.equal(lines.at(-2), "traced 4 threads: MainThread, c1, c2, p");
    assert.match(
      lines.at(-1)!,
      /^wrote condition_trace\.json and condition_trace\.html in /,
    );
  },
  module_counter: (lines) => assert.deepEqual(lines, ["counter = 800000"]),
  bounded_buffer: (lines) =>
    assert.deepEqual(lines, [
      "consumed 1000 items, each once: true",
      "left in the buffer: 0",
    ]),
  queue_workers: (lines) => {
    const took = lines.filter((l) => / took job \d+$/.test(l));
    assert.equal(took.length, 10);
    const ids = took.map((l) => Number(/job (\d+)$/.exec(l)![1]));
    assert.deepEqual([...ids].sort((a, b) => a - b), [
      1,
      2,
      3,
      4,
      5,
      6,
      7,
      8,
      9,
      10,
    ]);
    for (const l of took) assert.match(l, /^\(worker-[0-3]\s*\) took job/);
    const done = lines.indexOf("(MainThread) all jobs done");
    assert.ok(
      done > lines.lastIndexOf(took.at(-1)!),
      "join() returned after every job",
    );
    const exits = lines.filter((l) => l.includes("queue shut down"));
    assert.deepEqual(
      exits.map((l) => /(worker-\d)/.exec(l)![1]).sort(),
      ["worker-0", "worker-1", "worker-2", "worker-3"],
    );
    assert.ok(lines.indexOf(exits[0]) > done);
  },
  // Redis examples: their output, or how to get redis-server.
  redis_queue_workers: redisChecked((lines) => {
    const took = lines.filter((l) => / took job \d+$/.test(l));
    assert.deepEqual(
      took.map((l) => Number(/job (\d+)$/.exec(l)![1])).sort((a, b) => a - b),
      [1, 2, 3, 4, 5, 6, 7, 8, 9, 10],
    );
    for (const l of took) assert.match(l, /^\(worker-[01][01]\s*\) took job/);
    const done = lines.indexOf("(MainThread) all jobs done");
    assert.ok(done > lines.lastIndexOf(took.at(-1)!));
    const exits = lines.filter((l) => l.includes("queue shut down"));
    assert.equal(exits.length, 4);
    assert.ok(lines.indexOf(exits[0]) > done);
  }),
  redis_lock_counter: redisChecked((lines) =>
    assert.deepEqual(lines, ["counter = 60", "last fencing token = 60"])
  ),
  redis_executor: redisChecked((lines) => {
    assert.deepEqual(lines.slice(0, 6), [
      "112272535095293 is prime: True",
      "112582705942171 is prime: True",
      "112272535095293 is prime: True",
      "115280095190773 is prime: True",
      "115797848077099 is prime: True",
      "1099726899285419 is prime: False",
    ]);
    assert.match(lines[6], /^run by (one other process|2 other processes)$/);
  }),
};

/** A Redis example prints its output, or (no redis-server) how to get it. */
function redisChecked(
  check: (lines: string[]) => void,
): (lines: string[]) => void {
  return (lines) => {
    if (lines.length === 1 && lines[0].startsWith("This example needs")) return;
    check(lines);
  };
}

Deno.test("every example has an output check", () => {
  assert.deepEqual(Object.keys(checks).sort(), [...EXAMPLES].sort());
});

for (const name of EXAMPLES) {
  Deno.test({
    name: `example ${name} prints what its Python original prints`,
    timeout: 60_000,
  }, async () => {
    checks[name](await output(name));
  });
}
