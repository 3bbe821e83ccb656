import type { OnlineStore } from "../../src/online/types";

export type HeldWrites = {
  /** How many writes the store was asked for. */
  count(): number;
  /** Resolves when the first write is asked for; it then waits for `release`. */
  first: Promise<void>;
  release(): void;
};

/** Holds `store`'s writes (a copy's chunks) until `release`, counting them: a copy paused mid-way. */
export function holdWrites(store: Pick<OnlineStore, "write">): HeldWrites {
  let writes = 0;
  let wrote = () => {};
  const first = new Promise<void>((resolve) => {
    wrote = resolve;
  });
  let release = () => {};
  const held = new Promise<void>((resolve) => {
    release = resolve;
  });
  const write = store.write.bind(store);
  store.write = async (viewKey, rows) => {
    writes++;
    wrote();
    await held;
    return write(viewKey, rows);
  };
  return { count: () => writes, first, release };
}
