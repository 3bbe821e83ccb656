import { vi } from "vitest";
import { SLICE_MS } from "../../src/values/turns";

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

/**
 * Runs `work` on a clock that moves a whole slice each time it is read, so sliced work
 * (values/turns.ts) yields at every look however fast this machine does each step: a test of
 * its turns then holds on a fast machine as on a slow one. For short work only: each read puts the
 * clock a slice further ahead of the real one, for whatever else reads it meanwhile.
 */
export async function onSlowClock<T>(work: () => Promise<T>): Promise<T> {
  let now = performance.now();
  const clock = vi.spyOn(performance, "now").mockImplementation(() => {
    now += SLICE_MS;
    return now;
  });
  try {
    return await work();
  } finally {
    clock.mockRestore();
  }
}
