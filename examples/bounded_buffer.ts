// Two producers and two consumers share the bounded buffer of another
// module (_bounded_buffer.ts) through its module-level instance.
import { SharedList, Thread } from "@weft/threading";
import { buffer } from "./_bounded_buffer.ts";

export function produce(from: number, count: number): void {
  for (let i = from; i < from + count; i++) buffer.put(i);
}

export function consume(count: number, got: SharedList<number>): void {
  for (let i = 0; i < count; i++) got.push(buffer.get());
}

if (import.meta.main) {
  const got = new SharedList<number>();
  const threads = [
    new Thread({ target: produce, args: [0, 500] }),
    new Thread({ target: produce, args: [500, 500] }),
    new Thread({ target: consume, args: [400, got] }),
    new Thread({ target: consume, args: [600, got] }),
  ];
  for (const t of threads) t.start();
  for (const t of threads) t.join();
  const items = got.toArray().sort((a, b) => a - b);
  const every = items.every((item, i) => item === i);
  console.log(`consumed ${items.length} items, each once: ${every}`);
  console.log(`left in the buffer: ${buffer.items.length}`);
}
