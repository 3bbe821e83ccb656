import type { OnlineStoreHealer } from "./online-healer";

/** What the start, the runs that follow it, and the shutdown ask of the online store's healer. */
export type OnlineHealing = Pick<OnlineStoreHealer, "check" | "start" | "stop"> & {
  /** False where the start serves before the first copy, in the background (reads go to the database meanwhile). */
  readonly copiesBeforeServing?: boolean;
  /** Whether it keeps this view version up to date in the store; the rest are a cache of the database. */
  holds(viewKey: string): boolean;
};

/**
 * Without Redis and with RAPFS_MEMORY_ROWS=0: the in-process LRU fills itself from Postgres, so
 * there is nothing to copy or heal (copying every row would only churn it).
 */
export const NO_HEALING: OnlineHealing = {
  check: async () => [],
  start: () => {},
  stop: async () => {},
  holds: () => false,
};
