import { createRoute, z } from "@hono/zod-openapi";
import { keyPgType, type RunStats } from "../../../usecases";
import type { App } from "../../env";
import { errorResponses } from "../../errors";
import { wholeNumber } from "../whole-number";
import { nameParams, ViewSummarySchema, viewSummary } from "./schemas";
import { FeatureDriftSchema, RunStatsSchema } from "./statistics";

const QuerySchema = z.object({ text: z.string(), params: z.array(z.unknown()) }).openapi("CompiledQuery");

export const ViewVersionDetailSchema = ViewSummarySchema.extend({
  schema: z.object({
    key: z.object({ name: z.string(), pg_type: z.string() }),
    columns: z.array(z.object({ name: z.string(), type: z.string(), pg_type: z.string() })),
  }),
  watermark: z.string().nullable().openapi({ description: "Newest source timestamp included" }),
  compiled: z.object({
    ddl: z.string(),
    select: QuerySchema,
    full: QuerySchema,
    incremental: QuerySchema,
    point_in_time: QuerySchema,
    point_in_time_history: z
      .object({ changes: QuerySchema, running: z.record(z.string(), z.string()) })
      .nullable()
      .optional()
      .openapi({
        description:
          "Artist views: each track's aggregate inputs whenever a row it reads appears; training sets " +
          "sum them as running totals per artist instead of aggregating the artist again per row",
      }),
    point_in_time_changes: QuerySchema.nullable().optional().openapi({
      description:
        "Track views: the instants a track's values may change; training sets compute the view once per change and each row reads the last one at or before its time",
    }),
    watermark: QuerySchema,
  }),
  statistics: RunStatsSchema.nullable().openapi({
    description: "Of the whole table as of `statistics.run_id`; null before it was first counted",
  }),
  drift: z
    .object({
      against: z.string().openapi({ description: "The previous version compared with (its statistics)" }),
      features: z.record(z.string(), FeatureDriftSchema),
    })
    .nullable(),
  successor: z.string().nullable().openapi({ description: "The latest version, when it is newer" }),
}).openapi("FeatureViewVersion");

export const route = createRoute({
  operationId: "getFeatureViewVersion",
  method: "get",
  path: "/v1/registry/views/{name}/versions/{version}",
  tags: ["registry"],
  summary: "One feature view version: schema, compiled SQL, freshness, statistics, drift",
  request: {
    params: nameParams("qwen_analysis").extend({
      version: wholeNumber(1, 9999).openapi({ param: { name: "version", in: "path" }, example: 2 }),
    }),
  },
  responses: {
    200: { description: "The version", content: { "application/json": { schema: ViewVersionDetailSchema } } },
    ...errorResponses("VALIDATION_FAILED", "NOT_FOUND"),
  },
});

export type ViewVersionDetailResponse = z.infer<typeof ViewVersionDetailSchema>;

export function registerRegistryViewVersion(app: App): void {
  app.openapi(route, async (c) => {
    const { name, version } = c.req.valid("param");
    const { view, drift, successor } = await c.get("useCases").registry.viewVersion(name, version);
    return c.json(
      {
        ...viewSummary(view),
        schema: {
          key: { name: view.keyColumn, pg_type: keyPgType(view.keyType) },
          columns: [
            { name: "event_timestamp", type: "timestamp", pg_type: "timestamp" },
            ...view.features.map((f) => ({ name: f.name, type: f.type, pg_type: f.pg_type })),
          ],
        },
        watermark: view.watermark ? view.watermark.toISOString() : null,
        compiled: view.compiled,
        statistics: view.stats && view.statsRun && statisticsBody(view.stats, view.statsRun),
        drift,
        successor,
      },
      200,
    );
  });
}

/** The stored run statistics with the API's names, and the run they describe. */
function statisticsBody({ quantileSampleEvery, ...stats }: RunStats, run: { id: number; finishedAt: Date }) {
  return {
    ...stats,
    run_id: run.id,
    run_finished_at: run.finishedAt.toISOString(),
    quantile_sample_every: quantileSampleEvery ?? 1,
  };
}
