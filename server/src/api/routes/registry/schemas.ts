import { z } from "@hono/zod-openapi";
import { type RunSummary, type ViewWithFreshness, viewVersionPath } from "../../../usecases";

const StatusSchema = z.enum(["active", "deprecated", "retired"]);

export const FeatureInfoSchema = z
  .object({
    name: z.string(),
    type: z.string().openapi({ example: "float" }),
    pg_type: z.string().openapi({ example: "double precision" }),
    description: z.string(),
    expr: z.string().openapi({ description: "The SQL expression over the source" }),
    tags: z.array(z.string()),
  })
  .openapi("FeatureInfo");

export const RunSchema = z
  .object({
    id: z.number().int(),
    mode: z.enum(["full", "incremental"]),
    status: z.enum(["running", "succeeded", "failed"]),
    started_at: z.string(),
    finished_at: z.string().nullable(),
    duration_ms: z.number().nullable(),
    rows_written: z.number().nullable(),
    row_count: z.number().nullable(),
    error: z.string().nullable(),
  })
  .openapi("MaterializationRun");

export const ServedFreshnessSchema = z
  .object({
    objective_seconds: z
      .number()
      .openapi({ description: "How soon a new source row must be served (the view's `freshness`)" }),
    lag_seconds: z
      .number()
      .nullable()
      .openapi({
        description:
          "Seconds since the oldest change to its sources it does not serve yet (0: it serves every " +
          "change); null where nothing measures it (RAPFS_FRESHNESS=off)",
      }),
    pending_changes: z
      .number()
      .int()
      .nullable()
      .openapi({ description: "Source write statements it has not served yet" }),
    status: z.enum(["fresh", "behind", "unmonitored"]),
    quarantined_analyses: z
      .number()
      .int()
      .nullable()
      .openapi({
        description:
          "Analyses its runs skip because its SQL cannot read their analysis_data (the track keeps its " +
          "previous analysis); `rapfs quarantine` lists them. null where nothing measures it",
      }),
  })
  .openapi("ServedFreshness");

export const ViewSummarySchema = z
  .object({
    name: z.string(),
    version: z.number().int(),
    ref: z.string().openapi({ description: "name@version", example: "qwen_analysis@2" }),
    entity: z.string(),
    status: StatusSchema,
    sunset_date: z.string().nullable(),
    is_latest: z.boolean().openapi({ description: "What `view:feature` resolves to" }),
    description: z.string(),
    owner: z.string().nullable(),
    tags: z.array(z.string()),
    table: z.string(),
    features: z.array(FeatureInfoSchema),
    last_materialized_at: z.string().nullable(),
    freshness_seconds: z
      .number()
      .nullable()
      .openapi({ description: "Seconds since the last materialization; null before the first" }),
    freshness: ServedFreshnessSchema,
    row_count: z.number().nullable(),
    last_run: RunSchema.nullable(),
    links: z.object({ self: z.string() }),
  })
  .openapi("FeatureViewSummary");

export type ViewSummary = z.infer<typeof ViewSummarySchema>;

export function runOf(run: RunSummary | null): z.infer<typeof RunSchema> | null {
  if (!run) return null;
  return {
    id: run.id,
    mode: run.mode,
    status: run.status,
    started_at: run.startedAt.toISOString(),
    finished_at: run.finishedAt?.toISOString() ?? null,
    duration_ms: run.durationMs,
    rows_written: run.rowsWritten,
    row_count: run.rowCount,
    error: run.error,
  };
}

export function freshness(at: Date | null, now = Date.now()): number | null {
  return at ? Math.max(0, Math.round((now - at.getTime()) / 100) / 10) : null;
}

export function viewSummary(view: ViewWithFreshness): ViewSummary {
  return {
    name: view.name,
    version: view.version,
    ref: `${view.name}@${view.version}`,
    entity: view.entity,
    status: view.status,
    sunset_date: view.sunsetDate,
    is_latest: view.isLatest,
    description: view.description,
    owner: view.owner,
    tags: view.tags,
    table: view.table,
    features: view.features.map((f) => ({ ...f, tags: f.tags ?? [] })),
    last_materialized_at: view.lastMaterializedAt?.toISOString() ?? null,
    freshness_seconds: freshness(view.lastMaterializedAt),
    freshness: {
      objective_seconds: view.freshness.objectiveSeconds,
      lag_seconds:
        view.freshness.lagSeconds === null ? null : Math.round(view.freshness.lagSeconds * 10) / 10,
      pending_changes: view.freshness.pendingChanges,
      status: view.freshness.status,
      quarantined_analyses: view.freshness.quarantinedAnalyses,
    },
    row_count: view.lastRun?.rowCount ?? null,
    last_run: runOf(view.lastRun),
    links: { self: viewVersionPath(view.name, view.version) },
  };
}

/** A registry object's name in the path; `example` is one the shipped definitions hold, for "try it". */
export const nameParams = (example: string) =>
  z.object({
    name: z
      .string()
      .min(1)
      .max(64)
      .openapi({ param: { name: "name", in: "path" }, example }),
  });
