import { createRoute, z } from "@hono/zod-openapi";
import type { MiddlewareHandler } from "hono";
import { DomainError } from "../../../errors";
import { type UseCases, uploadFormat } from "../../../usecases";
import { sentByTryIt } from "../../docs/try-it";
import type { App, AppEnv } from "../../env";
import { errorResponses } from "../../errors";
import { boundedBody, ownBodyLimit } from "../../middleware/body";
import { jsonDepthLimit } from "../../middleware/json-depth";
import { fileHeaders, wholeFile } from "./respond";
import { DOWNLOAD_HEADERS, FILE_CONTENT, FormatQuery, refList, SelectionQuery } from "./schemas";

const TrainingQuery = SelectionQuery.extend({
  service: SelectionQuery.shape.service.openapi({
    param: { name: "service", in: "query", ...sentByTryIt("hit_predictor", "The hit_predictor service") },
  }),
  format: FormatQuery,
  entity: z
    .string()
    .max(64)
    .default("track")
    .openapi({ param: { name: "entity", in: "query" }, description: "What the uploaded ids are" }),
  dataset: z
    .string()
    .max(80)
    .optional()
    .openapi({
      param: { name: "dataset", in: "query" },
      description: "Take a dataset's features (not its row filters)",
    }),
}).strict();

const UploadRow = z.record(z.string(), z.unknown()).openapi({
  example: { track_id: 42, event_timestamp: "2025-06-01T00:00:00Z", label: 1 },
});
const binary = z.string().openapi({ format: "binary" });

/**
 * A JSON upload's rows are counted from its bytes and refused over the row cap or the key's day
 * before the validator parses it: a free key's 100,000 rows were parsed and validated first.
 */
const countJsonRowsFirst: MiddlewareHandler<AppEnv> = async (c, next) => {
  if (uploadFormat(c.req.header("content-type")) === "json") {
    const bytes = new Uint8Array(await c.req.arrayBuffer());
    await c.get("useCases").datasets.refuseOversizeUpload("json", bytes, c.get("payer"));
  }
  return next();
};

export function trainingRoute(maxBytes: number, maxRows: number) {
  return createRoute({
    operationId: "trainingDataset",
    method: "post",
    path: "/v1/datasets/training",
    tags: ["datasets"],
    summary: "Point-in-time training data for uploaded (entity, timestamp[, label]) rows",
    description:
      "Each uploaded row gets the features computed only from analyses created at or before its " +
      "timestamp (a re-analysis after it never leaks in), in upload order, its label passed through. " +
      `Columns: the entity key (\`track_id\`), \`event_timestamp\` (ISO 8601; UTC unless an offset is given) and ` +
      `optionally \`label\`. Up to ${maxRows} rows and ${maxBytes} bytes, as JSON, CSV (header row) or Parquet.`,
    middleware: [
      boundedBody(maxBytes, `The upload exceeds ${maxBytes} bytes.`),
      jsonDepthLimit(),
      countJsonRowsFirst,
    ] as const,
    request: {
      query: TrainingQuery,
      body: {
        // Not `required`: zod-openapi would then validate a CSV or Parquet body as JSON.
        content: {
          "application/json": {
            schema: z.union([z.array(UploadRow), z.object({ rows: z.array(UploadRow) }).strict()]),
            example: [
              { track_id: 42, event_timestamp: "2025-06-01T00:00:00Z", label: 1 },
              { track_id: 7, event_timestamp: "2025-03-01T00:00:00Z", label: 0 },
            ],
          },
          "text/csv": { schema: binary },
          "application/vnd.apache.parquet": { schema: binary },
        },
      },
    },
    responses: {
      200: { description: "The rows with their features", headers: DOWNLOAD_HEADERS, content: FILE_CONTENT },
      ...errorResponses(
        "VALIDATION_FAILED",
        "MALFORMED_JSON",
        "BAD_REQUEST",
        "UNKNOWN_FEATURE",
        "GONE",
        "UNAUTHORIZED",
        "FORBIDDEN",
        "EXCEEDS_QUOTA",
        "NOT_FOUND",
        "PAYLOAD_TOO_LARGE",
        "UNSUPPORTED_MEDIA_TYPE",
        "RATE_LIMITED",
        "UNAVAILABLE",
      ),
    },
  });
}

export function registerTraining(app: App, useCases: UseCases): void {
  const limits = useCases.datasets.trainingLimits();
  const route = trainingRoute(limits.maxBytes, limits.maxRows);
  ownBodyLimit(app, route.method, route.path);
  app.openapi(route, async (c) => {
    const query = c.req.valid("query");
    const format = uploadFormat(c.req.header("content-type"));
    if (!format) {
      throw new DomainError(
        "UNSUPPORTED_MEDIA_TYPE",
        "Upload rows as application/json, text/csv or application/vnd.apache.parquet.",
      );
    }
    const raw = format === "json" ? undefined : new Uint8Array(await c.req.arrayBuffer());
    const body = format === "json" ? c.req.valid("json") : raw;
    const features = refList(query.features);
    const embeddings = refList(query.embeddings);
    const file = await c.get("useCases").datasets.training(
      {
        entity: query.entity,
        features,
        service: query.service,
        dataset: query.dataset,
        embeddings,
        format: query.format,
        query: { ...query, features, embeddings },
      },
      { format, body, raw },
      c.get("payer"),
      { signal: c.req.raw.signal },
    );
    return wholeFile(c, file, fileHeaders(query.format, file.info)) as never;
  });
}
