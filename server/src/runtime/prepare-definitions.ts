import type { Database } from "../db/database";
import type { Logger } from "../log/logger";
import { noProgress, type ProgressReporter } from "../log/progress";
import { logQuarantined } from "../materialize/quarantine-log";
import { type MaterializeAllOptions, materializeAll, type RunResult } from "../materialize/runner";
import { type ApplyOptions, type ApplyResult, applyDefinitions } from "../registry/apply";
import { profileOf } from "./database-profile";

type VectorIndexKind = NonNullable<ApplyOptions["vectorIndex"]>;

export type PrepareDefinitionsOptions = {
  definitionsDir: string;
  onProgress?: ProgressReporter;
  logger?: Logger;
  /** RAPFS_VECTOR_INDEX: the index of `index: auto` embeddings (default: by mode). */
  vectorIndex?: "auto" | VectorIndexKind;
  /**
   * `unbuilt`: materialize only versions never built (what a server cannot serve without), and
   * leave the others' incremental catch-up to `catchUpDefinitions`; `all` (default): both.
   */
  materialize?: "all" | "unbuilt";
};

/** What preparing the definitions needs of the database. */
export type DefinitionsDatabase = Database;

/** `auto` means what the database's kind searches with: exact scans embedded (in memory there), HNSW on a server. */
export function vectorIndexFor(db: Database, setting: "auto" | VectorIndexKind = "auto"): VectorIndexKind {
  return setting === "auto" ? profileOf(db).search.autoIndex : setting;
}

/**
 * What `rapfs start` runs after the corpus exists: apply the definitions (embedding indexes by
 * mode unless RAPFS_VECTOR_INDEX names one: exact scans embedded, HNSW on a server), then
 * materialize — full for versions never built, incremental for the rest, so a restart costs
 * only what changed.
 */
export async function prepareDefinitions(
  db: DefinitionsDatabase,
  options: PrepareDefinitionsOptions,
): Promise<{ apply: ApplyResult; runs: RunResult[] }> {
  const apply = await applyDefinitions(db.sql, options.definitionsDir, {
    vectorIndex: vectorIndexFor(db, options.vectorIndex),
  });
  const created = apply.plan.actions.filter((a) => a.action === "create").length;
  options.logger?.info("feature definitions applied", {
    created,
    unchanged: apply.plan.unchanged,
    checked: apply.checked,
  });
  for (const [embedding, build] of Object.entries(apply.indexes ?? {})) {
    if (build.action === "unchanged") continue;
    options.logger?.info("hnsw index built", { embedding, ...build });
  }
  const runs = await materializeAll(db.sql, {
    onProgress: options.onProgress ?? noProgress,
    which: options.materialize ?? "all",
    ...profileOf(db).runReaders,
  });
  logQuarantined(options.logger, runs);
  options.logger?.info("feature views materialized", {
    runs: runs.length,
    full: runs.filter((r) => r.mode === "full").length,
    rows: runs.reduce((n, r) => n + r.rowsWritten, 0),
  });
  return { apply, runs };
}

/**
 * The incremental runs of versions built before, after a start that served without them: the
 * rows they had go on being served until each run commits, as during any run.
 */
export async function catchUpDefinitions(
  db: DefinitionsDatabase,
  options: Pick<PrepareDefinitionsOptions, "onProgress" | "logger"> &
    Pick<MaterializeAllOptions, "onFailure">,
): Promise<RunResult[]> {
  const runs = await materializeAll(db.sql, {
    onProgress: options.onProgress ?? noProgress,
    which: "built",
    ...profileOf(db).runReaders,
    ...(options.onFailure ? { onFailure: options.onFailure } : {}),
  });
  logQuarantined(options.logger, runs);
  options.logger?.info("feature views caught up", {
    runs: runs.length,
    rows: runs.reduce((n, r) => n + r.rowsWritten, 0),
  });
  return runs;
}
