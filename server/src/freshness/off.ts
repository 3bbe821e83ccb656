import type { FreshnessScheduler } from "./scheduler";

/**
 * What the start, the ingestion door and the registry ask of change-driven materialization, and
 * `tick`: one look at once, for tests and tools that wait for every change to be served.
 */
export type Freshness = Pick<FreshnessScheduler, "start" | "stop" | "nudge" | "views" | "tick">;

/** RAPFS_FRESHNESS=off: only `rapfs materialize` and starts materialize; no view is followed. */
export const FRESHNESS_OFF: Freshness = {
  start: async () => {},
  stop: async () => {},
  nudge: () => {},
  views: () => [],
  tick: async () => [],
};
