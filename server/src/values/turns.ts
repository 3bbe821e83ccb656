/** Slices of long work waiting for a turn of the event loop, first come first served. */
const waiting: (() => void)[] = [];
let releasing = false;

/** Lets the first slice waiting go on, and the next one on the next turn. */
function release(): void {
  const next = waiting.shift();
  if (waiting.length > 0) setImmediate(release);
  else releasing = false;
  next?.();
}

/**
 * Resolves on a later turn of the event loop, after the I/O and timers already due: other requests
 * go first. Slices waiting go on one a turn, in order: with every bulk request in flight resuming
 * on the same turn, a turn held one slice of each, and a lookup waited for all of them (issue #38).
 */
export const nextTurn = (): Promise<void> =>
  new Promise((resolve) => {
    waiting.push(resolve);
    if (releasing) return;
    releasing = true;
    setImmediate(release);
  });

/**
 * How long one slice of synchronous work may hold the event loop. A lookup that arrives meanwhile
 * waits for at most about this long, where a 1,000-id batch encoded in one go held it for hundreds
 * of milliseconds on a busy machine (issue #38). A turn's slice adds to whatever else the turn
 * runs (a chunk of rows from the database, a scavenge): under four free keys' heaviest requests a
 * bystander's lookup p99 was 2.68× and 2.57× its quiet phase with 4 ms slices, 2.20× and 2.04× with
 * 1 ms (pnpm bench hostile, embedded, alternating runs); a turn costs tens of microseconds.
 */
export const SLICE_MS = 1;

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
