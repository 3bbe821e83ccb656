import type { FreshnessScheduler } from "./scheduler";

/** What the start, the ingestion door and the registry ask of change-driven materialization. */
export type Freshness = Pick<FreshnessScheduler, "start" | "stop" | "nudge" | "views">;

/** RAPFS_FRESHNESS=off: only `rapfs materialize` and starts materialize; no view is followed. */
export const FRESHNESS_OFF: Freshness = {
  start: async () => {},
  stop: async () => {},
  nudge: () => {},
  views: () => [],
};
