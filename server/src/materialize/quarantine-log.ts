import type { Logger } from "../log/logger";
import type { RunResult } from "./runner";

const LOGGED_PER_RUN = 20;

/** A line per analysis a run newly quarantined (the first 20 of a run, then a count). */
export function logQuarantined(logger: Logger | undefined, runs: readonly RunResult[]): void {
  for (const run of runs) {
    const { found, total } = run.quarantine;
    const view = `${run.name}@${run.version}`;
    for (const entry of found.slice(0, LOGGED_PER_RUN)) {
      logger?.warn(
        "analysis quarantined: the view cannot read it, and serves the track's previous analysis",
        {
          view,
          analysis_id: entry.analysisId,
          track_id: entry.trackId,
          analyzer: entry.analyzer,
          feature: entry.feature,
          field: entry.field,
          problem: entry.problem,
          value: entry.value,
        },
      );
    }
    if (found.length > LOGGED_PER_RUN)
      logger?.warn("more analyses quarantined", { view, more: found.length - LOGGED_PER_RUN, total });
  }
}
