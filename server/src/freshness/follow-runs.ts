import type { RunResult } from "../materialize/runner";
import type { StatsFollower } from "../materialize/stats-follower";
import type { Metrics } from "../metrics/registry";
import type { OnlineStore } from "../online/types";
import type { OnlineHealing } from "../serving/online-sync/no-healing";

export type FollowRunsDeps = {
  metrics: Metrics;
  onlineStore: OnlineStore;
  /**
   * Copies what the runs wrote into the store: with Redis once across processes (its writes
   * invalidate near caches), without it into the views held in this process.
   */
  healer?: OnlineHealing;
  /** Counts a view's whole table again after an incremental run, which counts only the rows it wrote. */
  statistics?: Pick<StatsFollower, "follow" | "followUncounted">;
  /** The serving catalog reloads: registry rows (watermarks, statistics) changed. */
  refreshCatalog: () => void;
  /** Computes and stores the public datasets' cards (bulk work): at most every `cardsEveryMs`. */
  warmCards?: () => Promise<unknown>;
  cardsEveryMs?: number;
};

// A card reads every row of its dataset: under a steady stream, its first reader after a run
// computes it; these keep the wait off most readers without a card per run.
const CARDS_EVERY_MS = 5 * 60_000;

/** What follows a scheduler's runs: metrics, the catalog, and the online store serving the new rows. */
export function followRuns(deps: FollowRunsDeps): (runs: RunResult[]) => Promise<void> {
  let cardsAt = Date.now();
  return async (runs) => {
    for (const run of runs) {
      const labels = { view: `${run.name}@${run.version}`, mode: run.mode };
      deps.metrics.materializationRuns.inc({ ...labels, outcome: "succeeded" });
      deps.metrics.materializationDuration.observe(labels, run.durationMs / 1000);
      if (run.kind === "feature_view") deps.metrics.markMaterialized(labels.view);
      if (run.kind === "feature_view" && run.mode === "incremental") deps.statistics?.follow(run);
    }
    deps.refreshCatalog();
    if (deps.warmCards && Date.now() - cardsAt >= (deps.cardsEveryMs ?? CARDS_EVERY_MS)) {
      cardsAt = Date.now();
      void deps.warmCards();
    }
    // The in-process LRU caches Postgres: drop what the runs rewrote, the next read loads it. First,
    // so a failed copy below cannot leave those rows served.
    for (const run of runs) {
      const view = `${run.name}@${run.version}`;
      if (run.kind !== "feature_view" || deps.healer?.holds(view)) continue;
      if (run.keys) await deps.onlineStore.forget(view, [...run.keys, ...(run.removedKeys ?? [])]);
      else await deps.onlineStore.deleteView(view);
    }
    await deps.healer?.check();
  };
}
