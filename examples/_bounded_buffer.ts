// The textbook bounded buffer on a Condition, as a Python module would have
// it, exported for the threads of another module (bounded_buffer.ts). The
// one change from the Python: `items` is a SharedList, not an array (an
// array would be one per thread). The buffer is made at the top level, so
// its list, its lock and its conditions are the same in every thread.
import { Condition, Lock, SharedList } from "@weft/threading";

export class BoundedBuffer<T> {
  items: SharedList<T> = new SharedList<T>();
  lock: Lock = new Lock();
  notFull: Condition = new Condition(this.lock);
  notEmpty: Condition = new Condition(this.lock);

  constructor(readonly size: number) {}

  put(item: T): void {
    using _ = this.lock.hold();
    while (this.items.length >= this.size) this.notFull.wait();
    this.items.push(item);
    this.notEmpty.notify();
  }

  get(): T {
    using _ = this.lock.hold();
    while (this.items.length === 0) this.notEmpty.wait();
    const item = this.items.shift()!;
    this.notFull.notify();
    return item;
  }
}

export const buffer: BoundedBuffer<number> = new BoundedBuffer<number>(4);
