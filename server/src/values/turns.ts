/** Resolves on the event loop's next turn, after the I/O and timers already due: other requests go first. */
export const nextTurn = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

/**
 * How long one slice of synchronous work may hold the event loop. A lookup that arrives meanwhile
 * waits for at most about this long, where a 1,000-id batch encoded in one go held it for hundreds
 * of milliseconds on a busy machine (issue #38).
 */
export const SLICE_MS = 4;

/** Bulk work waiting for its turn, oldest first; `pumping` while a turn is scheduled. */
const waiting: (() => void)[] = [];
let pumping = false;

function pump(): void {
  const next = waiting.shift();
  if (waiting.length > 0) setImmediate(pump);
  else pumping = false;
  next?.();
}

/**
 * A turn of the event loop for one slice of bulk work, shared by every bulk request in the
 * process: one slice a turn whoever asks, in the order asked, with the sockets read between them.
 * With `nextTurn`, every waiting slice ran in the same turn: four free keys' downloads and wide
 * batches held a lookup for four slices, not one (issue #38). Await it before a slice, so the
 * slice runs on its turn, not in the I/O callback that brought its input.
 */
export function bulkTurn(): Promise<void> {
  return new Promise((resolve) => {
    waiting.push(resolve);
    if (pumping) return;
    pumping = true;
    setImmediate(pump);
  });
}

/**
 * For long synchronous work done in steps: `await turn()` between steps takes a bulk turn once
 * SLICE_MS has passed since the last one, and costs a microtask otherwise.
 */
export function turnsEvery(ms = SLICE_MS): () => Promise<void> | undefined {
  let since = performance.now();
  return () => {
    if (performance.now() - since < ms) return undefined;
    return bulkTurn().then(() => {
      since = performance.now();
    });
  };
}
