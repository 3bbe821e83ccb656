/** Resolves on the event loop's next turn, after the I/O and timers already due: other requests go first. */
export const nextTurn = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

/**
 * How long one slice of synchronous work may hold the event loop. A lookup that arrives meanwhile
 * waits for at most about this long, where a 1,000-id batch encoded in one go held it for hundreds
 * of milliseconds on a busy machine (issue #38).
 */
export const SLICE_MS = 4;

/**
 * For long synchronous work done in steps: `await turn()` between steps takes a turn of the event
 * loop once SLICE_MS has passed since the last one, and costs a microtask otherwise.
 */
export function turnsEvery(ms = SLICE_MS): () => Promise<void> | undefined {
  let since = performance.now();
  return () => {
    if (performance.now() - since < ms) return undefined;
    return nextTurn().then(() => {
      since = performance.now();
    });
  };
}
