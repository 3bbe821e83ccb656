import type { Sql } from "../db/database";
import { checkAgainstDatabase } from "../definitions/compile/check-db";
import type { VectorIndexKind } from "../definitions/compile/embedding";
import { type CompiledCatalog, compileCatalog } from "../definitions/compile/index";
import { buildHnswIndex, type HnswBuild, pooled } from "../definitions/hnsw-build";
import { loadDefinitions } from "../definitions/load";
import { noProgress, type ProgressReporter } from "../log/progress";
import { computePlan, formatPlan, type Plan } from "./plan";
import {
  insertViewVersion,
  updateViewMetadata,
  upsertEmbedding,
  upsertEntities,
  upsertServicesAndDatasets,
} from "./write";

export class PlanRefusedError extends Error {
  override name = "PlanRefusedError";
  constructor(readonly plan: Plan) {
    super(
      `apply refused, nothing was changed:\n${plan.refused.map((a) => `  ${"message" in a ? a.message : ""}`).join("\n")}`,
    );
  }
}

export type ApplyOptions = {
  dryRun?: boolean;
  /** The index of embeddings set to `auto`: exact scans on embedded PGlite, HNSW on a server. */
  vectorIndex?: VectorIndexKind;
  onProgress?: ProgressReporter;
};

export type ApplyResult = {
  plan: Plan;
  applied: boolean;
  text: string;
  catalog: CompiledCatalog;
  /** The HNSW indexes looked at, by embedding version (built, rebuilt with new options, or unchanged). */
  indexes?: Record<string, HnswBuild>;
};

// Any fixed 64-bit number; every rapfs process that applies definitions takes the same lock.
const APPLY_LOCK_ID = 7_261_990_422n;

/**
 * Loads, compiles and checks the definitions in `dir`, computes the plan and (unless dryRun)
 * applies it in one transaction: new tables, registry rows, metadata updates. Any refused
 * change means nothing is applied.
 */
export async function applyDefinitions(
  sql: Sql,
  dir: string,
  options: ApplyOptions = {},
): Promise<ApplyResult> {
  const progress = options.onProgress ?? noProgress;
  progress({ phase: "compile definitions", done: 0, total: 3 });
  const catalog = await compileCatalog(await loadDefinitions(dir));
  progress({ phase: "compile definitions", done: 1, total: 3 });
  await checkAgainstDatabase(sql, catalog);
  progress({ phase: "compile definitions", done: 2, total: 3 });
  const plan = await computePlan(sql, catalog);
  progress({ phase: "compile definitions", done: 3, total: 3 });
  const text = formatPlan(plan);
  if (plan.refused.length > 0) throw new PlanRefusedError(plan);
  if (options.dryRun) return { plan, applied: false, text, catalog };
  const indexKind = options.vectorIndex ?? "exact";
  await sql.begin(async (tx) => {
    await tx`select pg_advisory_xact_lock(${APPLY_LOCK_ID.toString()}::bigint)`;
    // Re-plan under the lock: another process may have applied since.
    const locked = await computePlan(tx as unknown as Sql, catalog);
    if (locked.refused.length > 0) throw new PlanRefusedError(locked);
    await upsertEntities(tx, catalog);
    for (const action of locked.actions) {
      if (action.kind === "feature_view" && (action.action === "create" || action.action === "update")) {
        const view = catalog.views.find(
          (v) => v.compiled.name === action.name && v.compiled.version === action.version,
        );
        if (!view) continue;
        if (action.action === "create") {
          await tx.unsafe(view.compiled.ddl);
          for (const ddl of view.compiled.helperDdl) await tx.unsafe(ddl);
          await insertViewVersion(tx, view);
        } else {
          await updateViewMetadata(tx, view);
        }
      }
    }
    for (const embedding of catalog.embeddings) {
      const created = locked.actions.some(
        (a) => a.kind === "embedding" && a.action === "create" && a.name === embedding.compiled.name,
      );
      if (created && embedding.compiled.view) await tx.unsafe(embedding.compiled.view.ddl);
      const kind = embedding.located.def.index === "auto" ? indexKind : embedding.located.def.index;
      await upsertEmbedding(tx, embedding, kind);
    }
    await upsertServicesAndDatasets(tx, catalog);
  });
  // HNSW builds take minutes on big tables; outside the transaction they hold no registry lock.
  const indexes: Record<string, HnswBuild> = {};
  for (const embedding of catalog.embeddings) {
    const kind = embedding.located.def.index === "auto" ? indexKind : embedding.located.def.index;
    if (kind !== "hnsw") continue;
    const { name, version, hnswIndex } = embedding.compiled;
    indexes[`${name}@${version}`] = await buildHnswIndex(pooled(sql), hnswIndex);
  }
  return { plan, applied: true, text, catalog, indexes };
}
