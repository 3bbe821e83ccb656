/**
 * What `work` resolves or rejects with, and how many turns the event loop took until it settled:
 * counted, not timed, so a test of sliced work holds on a slow machine as on a fast one.
 */
export async function withTurns<T>(work: Promise<T>): Promise<{ value: T; turns: number }> {
  let turns = 0;
  let counting = true;
  const count = () => {
    turns++;
    if (counting) setImmediate(count);
  };
  setImmediate(count);
  try {
    return { value: await work, turns };
  } finally {
    counting = false;
  }
}
