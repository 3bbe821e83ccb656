import type { Database } from "../db/database";
import type { Logger } from "../log/logger";
import { noProgress, type ProgressReporter } from "../log/progress";
import { materializeAll, type RunResult } from "../materialize/runner";
import { type ApplyOptions, type ApplyResult, applyDefinitions } from "../registry/apply";

type VectorIndexKind = NonNullable<ApplyOptions["vectorIndex"]>;

export type PrepareDefinitionsOptions = {
  definitionsDir: string;
  onProgress?: ProgressReporter;
  logger?: Logger;
  /** RAPFS_VECTOR_INDEX: the index of `index: auto` embeddings (default: by mode). */
  vectorIndex?: "auto" | VectorIndexKind;
};

/** `auto` means exact scans on the embedded database (in memory there) and HNSW on a server. */
export function vectorIndexFor(
  mode: Database["mode"],
  setting: "auto" | VectorIndexKind = "auto",
): VectorIndexKind {
  if (setting !== "auto") return setting;
  return mode === "server" ? "hnsw" : "exact";
}

/**
 * What `rapfs start` runs after the corpus exists: apply the definitions (embedding indexes by
 * mode unless RAPFS_VECTOR_INDEX names one: exact scans embedded, HNSW on a server), then
 * materialize — full for versions never built, incremental for the rest, so a restart costs
 * only what changed.
 */
export async function prepareDefinitions(
  db: Pick<Database, "sql" | "mode">,
  options: PrepareDefinitionsOptions,
): Promise<{ apply: ApplyResult; runs: RunResult[] }> {
  const apply = await applyDefinitions(db.sql, options.definitionsDir, {
    vectorIndex: vectorIndexFor(db.mode, options.vectorIndex),
  });
  const created = apply.plan.actions.filter((a) => a.action === "create").length;
  options.logger?.info("feature definitions applied", { created, unchanged: apply.plan.unchanged });
  for (const [embedding, build] of Object.entries(apply.indexes ?? {})) {
    if (build.action === "unchanged") continue;
    options.logger?.info("hnsw index built", { embedding, ...build });
  }
  const runs = await materializeAll(db.sql, { onProgress: options.onProgress ?? noProgress });
  options.logger?.info("feature views materialized", {
    runs: runs.length,
    full: runs.filter((r) => r.mode === "full").length,
    rows: runs.reduce((n, r) => n + r.rowsWritten, 0),
  });
  return { apply, runs };
}
