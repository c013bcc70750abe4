// An async generator awaits what it yields, and a future (or any thenable
// result) must arrive as itself: generators yield values boxed, and the
// iterator the caller gets unboxes them.

/** The iterator of `boxes`' values, unboxed. */
export function unboxed<T>(
  boxes: AsyncGenerator<[T], void, undefined>,
): AsyncIterableIterator<T> {
  const iterator: AsyncIterableIterator<T> = {
    [Symbol.asyncIterator]: () => iterator,
    next: async (): Promise<IteratorResult<T>> => {
      const r = await boxes.next();
      return r.done ? { done: true, value: undefined } : {
        done: false,
        value: r.value[0],
      };
    },
    return: async (): Promise<IteratorResult<T>> => {
      await boxes.return();
      return { done: true, value: undefined };
    },
  };
  return iterator;
}
