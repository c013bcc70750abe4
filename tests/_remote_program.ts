// Run by remote_test.ts with "@weft/threading" mapped to an http: URL: the
// library as a user gets it from JSR, not from this checkout.
import {
  currentThread,
  enumerate,
  Event,
  Lock,
  Queue,
  Thread,
} from "@weft/threading";

export function child(q: Queue<object>, lock: Lock, cell: Int32Array): void {
  lock.acquire();
  cell[0]++;
  lock.release();
  q.put({ from: currentThread().name });
}

export function parent(
  q: Queue<object>,
  lock: Lock,
  done: Event,
  cell: Int32Array,
): void {
  const t = new Thread({ target: child, args: [q, lock, cell], name: "child" });
  t.start();
  t.join();
  q.put({ from: currentThread().name, saw: enumerate().map((x) => x.name) });
  done.set();
}

if (import.meta.main) {
  const q = new Queue<object>();
  const lock = new Lock();
  const done = new Event();
  const cell = new Int32Array(new SharedArrayBuffer(4));
  const t = new Thread({
    target: parent,
    args: [q, lock, done, cell],
    name: "parent",
  });
  t.start();
  done.wait();
  t.join();
  console.log(JSON.stringify({
    items: [q.get(), q.get()],
    cell: cell[0],
    library: import.meta.resolve("@weft/threading"),
  }));
}
