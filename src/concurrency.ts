// Bounded concurrency for many small asynchronous calls (a folder's stats, index entries' metadata reads): a few at a
// time keep the storage busy, while thousands at once would each hold a request and its buffers, which the process
// keeps as resident memory long after they ended.

/** `fn` over every item, at most `limit` at a time; results in the items' order. */
export async function mapConcurrently<T, R>(items: readonly T[], limit: number, fn: (item: T) => Promise<R>): Promise<R[]> {
  const out = new Array<R>(items.length);
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < items.length) {
      const i = next++;
      out[i] = await fn(items[i]!);
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
  return out;
}
