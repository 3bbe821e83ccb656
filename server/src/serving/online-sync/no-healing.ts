import type { OnlineStoreHealer } from "./online-healer";

/** What the start and shutdown ask of the online store's healer. */
export type OnlineHealing = Pick<OnlineStoreHealer, "check" | "start" | "stop">;

/**
 * Without Redis: the in-process LRU fills itself from Postgres, so there is nothing to copy or
 * heal (copying every row would only churn it).
 */
export const NO_HEALING: OnlineHealing = {
  check: async () => [],
  start: () => {},
  stop: async () => {},
};
