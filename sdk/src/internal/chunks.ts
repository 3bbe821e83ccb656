/** Splits `items` into consecutive chunks of at most `size`. */
export function chunk<T>(items: readonly T[], size: number): T[][] {
  if (!Number.isInteger(size) || size < 1)
    throw new RangeError(`chunk size must be a positive integer, got ${size}`);
  const chunks: T[][] = [];
  for (let i = 0; i < items.length; i += size) chunks.push(items.slice(i, i + size));
  return chunks;
}

export type Settled<R> =
  | { ok: true; value: R }
  | { ok: false; error: unknown }
  | { ok: false; skipped: true };

/**
 * Runs `fn` over chunks of `items` with at most `concurrency` in flight, throwing nothing paid
 * for away: on the first failure no further chunk starts, the running ones finish (their answers
 * were spent on), and every chunk's outcome comes back in chunk order: its value, its error, or
 * skipped.
 */
export async function settleChunks<T, R>(
  items: readonly T[],
  size: number,
  concurrency: number,
  fn: (chunk: T[], index: number) => Promise<R>,
): Promise<{ chunks: T[][]; outcomes: Settled<R>[] }> {
  if (!Number.isInteger(concurrency) || concurrency < 1) {
    throw new RangeError(`concurrency must be a positive integer, got ${concurrency}`);
  }
  const chunks = chunk(items, size);
  const outcomes: Settled<R>[] = chunks.map(() => ({ ok: false, skipped: true }));
  let next = 0;
  let failed = false;
  const worker = async () => {
    while (!failed && next < chunks.length) {
      const index = next++;
      try {
        outcomes[index] = { ok: true, value: await fn(chunks[index] as T[], index) };
      } catch (error) {
        failed = true;
        outcomes[index] = { ok: false, error };
      }
    }
  };
  await Promise.all(Array.from({ length: Math.min(concurrency, chunks.length) }, worker));
  return { chunks, outcomes };
}
