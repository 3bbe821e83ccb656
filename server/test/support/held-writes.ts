import type { OnlineStore } from "../../src/online/types";

export type HeldWrites = {
  /** How many writes the store was asked for. */
  count(): number;
  /** Resolves when the first write is asked for; it then waits for `release`. */
  first: Promise<void>;
  /** Resolves when a second write is asked for: the copy went on. */
  second: Promise<void>;
  release(): void;
  /** Puts the store's own `write` back. */
  restore(): void;
};

/**
 * Holds `store`'s writes (a copy's chunks) until `release`, counting them: a copy paused mid-way.
 * `store` may be a prototype (MemoryOnlineStore.prototype, for the stores a server makes itself).
 */
export function holdWrites(store: Pick<OnlineStore, "write">): HeldWrites {
  let writes = 0;
  let wrote = () => {};
  const first = new Promise<void>((resolve) => {
    wrote = resolve;
  });
  let wentOn = () => {};
  const second = new Promise<void>((resolve) => {
    wentOn = resolve;
  });
  let release = () => {};
  const held = new Promise<void>((resolve) => {
    release = resolve;
  });
  const write = store.write;
  store.write = async function (this: Pick<OnlineStore, "write">, viewKey, rows) {
    writes++;
    if (writes === 1) wrote();
    else wentOn();
    await held;
    return write.call(this, viewKey, rows);
  };
  return {
    count: () => writes,
    first,
    second,
    release,
    restore: () => {
      store.write = write;
    },
  };
}

/**
 * A copy stopped while its first chunk is held: `copier.check()` starts it, `copier.stop()` is
 * called once the first write is asked for, then the write is let go; resolves when both end.
 */
export async function stopWhileWriting(
  writes: HeldWrites,
  copier: { check(): Promise<unknown>; stop(): Promise<void> },
): Promise<void> {
  const checking = copier.check();
  await writes.first;
  const stopping = copier.stop();
  writes.release();
  await stopping;
  await checking;
}
