/** Splits `items` into consecutive chunks of at most `size`. */
export function chunk<T>(items: readonly T[], size: number): T[][] {
  if (!Number.isInteger(size) || size < 1)
    throw new RangeError(`chunk size must be a positive integer, got ${size}`);
  const chunks: T[][] = [];
  for (let i = 0; i < items.length; i += size) chunks.push(items.slice(i, i + size));
  return chunks;
}

/**
 * Runs `fn` over chunks of `items` with at most `concurrency` chunks in flight and returns the
 * results in chunk order, whatever order they finish in. On the first failure no further chunk
 * starts, the `signal` passed to the running ones is aborted, and the first error is thrown once
 * they have settled.
 */
export async function mapChunks<T, R>(
  items: readonly T[],
  size: number,
  concurrency: number,
  fn: (chunk: T[], index: number, signal: AbortSignal) => Promise<R>,
): Promise<R[]> {
  if (!Number.isInteger(concurrency) || concurrency < 1) {
    throw new RangeError(`concurrency must be a positive integer, got ${concurrency}`);
  }
  const chunks = chunk(items, size);
  const results = new Array<R>(chunks.length);
  const controller = new AbortController();
  let next = 0;
  let failure: { error: unknown } | undefined;

  const worker = async () => {
    while (!failure && next < chunks.length) {
      const index = next++;
      try {
        results[index] = await fn(chunks[index] as T[], index, controller.signal);
      } catch (error) {
        if (!failure) {
          failure = { error };
          controller.abort(error);
        }
      }
    }
  };
  await Promise.all(Array.from({ length: Math.min(concurrency, chunks.length) }, worker));
  if (failure) throw failure.error;
  return results;
}
