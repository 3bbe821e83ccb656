import { createHash } from "node:crypto";
import type { Sql } from "../db/database";
import { checkAgainstDatabase } from "../definitions/compile/check-db";
import type { VectorIndexKind } from "../definitions/compile/embedding";
import { type CompiledCatalog, compileCatalog } from "../definitions/compile/index";
import type { Catalog } from "../definitions/definition-set";
import { buildHnswIndex, type HnswBuild, pooled } from "../definitions/hnsw-build";
import { loadDefinitions } from "../definitions/load";
import { noProgress, type ProgressReporter } from "../log/progress";
import { computePlan, formatPlan, type Plan } from "./apply-plan";
import {
  insertViewVersion,
  refreshCompiledSql,
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
  /**
   * Whether the expressions were checked against the database. Not when these definitions, with
   * the same index kind and schema, were the last ones applied: nothing could answer otherwise.
   */
  checked: boolean;
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
  const indexKind = options.vectorIndex ?? "exact";
  progress({ phase: "compile definitions", done: 0, total: 3 });
  const definitions = await loadDefinitions(dir);
  const catalog = await compileCatalog(definitions);
  progress({ phase: "compile definitions", done: 1, total: 3 });
  const last = await lastChecked(sql);
  const fingerprint = fingerprintOf(definitions, indexKind, last.schema);
  const plan = await computePlan(sql, catalog);
  progress({ phase: "compile definitions", done: 2, total: 3 });
  // A restart with unchanged definitions: the registry already holds exactly this, and the check
  // (a described statement per feature) would repeat the answer it gave when they were applied.
  // (Versions registered but gone from the files are left as they are, and were at that apply.)
  const unchanged = plan.actions.every((a) => a.action === "missing") && last.fingerprint === fingerprint;
  if (!unchanged) await checkAgainstDatabase(sql, catalog);
  progress({ phase: "compile definitions", done: 3, total: 3 });
  const text = formatPlan(plan);
  if (plan.refused.length > 0) throw new PlanRefusedError(plan);
  if (options.dryRun) return { plan, applied: false, text, catalog, checked: !unchanged };
  if (!unchanged) await applyPlan(sql, catalog, indexKind, fingerprint);
  // HNSW builds take minutes on big tables; outside the transaction they hold no registry lock.
  // Looked at on every apply: an index dropped by hand is built again.
  const indexes: Record<string, HnswBuild> = {};
  for (const embedding of catalog.embeddings) {
    const kind = embedding.located.def.index === "auto" ? indexKind : embedding.located.def.index;
    if (kind !== "hnsw") continue;
    const { name, version, hnswIndex } = embedding.compiled;
    indexes[`${name}@${version}`] = await buildHnswIndex(pooled(sql), hnswIndex);
  }
  return { plan, applied: true, text, catalog, indexes, checked: !unchanged };
}

/** The fingerprint of the definitions last applied, and the schema version they meet now. */
async function lastChecked(sql: Sql): Promise<{ fingerprint: string | undefined; schema: number }> {
  const [row] = await sql<{ fingerprint: string | null; schema: number | null }[]>`
    select (select fingerprint from rapfs_definitions_checked) as fingerprint,
      (select max(version) from rapfs_migrations)::int as schema`;
  return { fingerprint: row?.fingerprint ?? undefined, schema: row?.schema ?? 0 };
}

/**
 * Bumped when the compiler emits different SQL for the same definitions, so the next apply
 * refreshes what the registry stores (6: point-in-time histories, timestamps sent as text, track-only views read from their table;
 * 7: split aggregates written from their parse tree; 8: an analysis whose analysis_data a view cannot
 * read is never picked, and `reads` says what it needs; 9: incremental runs take the tracks of
 * back-dated rows, `track_ids`; 10: point-in-time histories name their columns and the running totals
 * each feature reads; 11: and the artists of tracks updated or deleted, `artists`, and remove the
 * keys the noted changes reach that have no row left, `touched`; 12: per-track inputs indexed by
 * artist; 13: a double precision read bounded at FLOAT8_READ_MAX, so an aggregate of it cannot overflow, and
 * `track_reads`, the keys of a track's JSON columns a view casts).
 */
const COMPILER_REVISION = 13;

function fingerprintOf(definitions: Catalog, indexKind: VectorIndexKind, schema: number): string {
  const content = JSON.stringify({ definitions, indexKind, schema, compiler: COMPILER_REVISION });
  return createHash("sha256").update(content).digest("hex");
}

/** The plan, applied in one transaction under the registry lock, re-planned there. */
async function applyPlan(
  sql: Sql,
  catalog: CompiledCatalog,
  indexKind: VectorIndexKind,
  fingerprint: string,
): Promise<void> {
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
    const created = (v: (typeof catalog.views)[number]) =>
      locked.actions.some(
        (a) =>
          a.action === "create" &&
          a.kind === "feature_view" &&
          a.name === v.compiled.name &&
          a.version === v.compiled.version,
      );
    for (const view of catalog.views) if (!created(view)) await refreshCompiledSql(tx, view);
    for (const embedding of catalog.embeddings) {
      const created = locked.actions.some(
        (a) => a.kind === "embedding" && a.action === "create" && a.name === embedding.compiled.name,
      );
      if (created && embedding.compiled.view) await tx.unsafe(embedding.compiled.view.ddl);
      const kind = embedding.located.def.index === "auto" ? indexKind : embedding.located.def.index;
      await upsertEmbedding(tx, embedding, kind);
    }
    await upsertServicesAndDatasets(tx, catalog);
    await tx`
      insert into rapfs_definitions_checked (fingerprint) values (${fingerprint})
      on conflict (singleton) do update set fingerprint = excluded.fingerprint, checked_at = now()`;
  });
}
