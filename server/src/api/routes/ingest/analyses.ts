import { createRoute, type Hook, z } from "@hono/zod-openapi";
import type { MiddlewareHandler } from "hono";
import {
  AnalysisInputSchema,
  batchRowCount,
  IDEMPOTENCY_KEY_HOURS,
  IDEMPOTENCY_KEY_PATTERN,
  MAX_BATCH_ROWS,
  refuseOversizeBatch,
  TrackInputSchema,
} from "../../../usecases";
import type { App, AppEnv } from "../../env";
import { errorResponses, validationHook } from "../../errors";
import { boundedBody, ownBodyLimit } from "../../middleware/body";
import { jsonDepthLimit } from "../../middleware/json-depth";

/** Room for a full batch of tracks with their lyrics and both embeddings at full precision. */
export const INGEST_MAX_BYTES = 64 * 1024 * 1024;

const rows = `${MAX_BATCH_ROWS.toLocaleString("en-US")}`;

// Written as sent by "try it": an emotion analysis without `dominant` was refused (views cast it).
const INGEST_EXAMPLE = {
  analyses: [
    {
      track_id: 42,
      analyzer_type: "algorithmic",
      model_version: "algorithmic@2.0",
      complexity_score: 0.41,
      processing_time_ms: 4,
      analysis_data: { word_count: 412, unique_words: 198, lexical_diversity: 0.48 },
    },
  ],
};

export const IngestRequestSchema = z
  .strictObject({
    tracks: z
      // The domain's schemas, as they are: made by plain zod, they may exist before
      // @hono/zod-openapi extends zod, so they have no .openapi() of their own.
      .array(TrackInputSchema.meta({ id: "TrackInput" }))
      .max(MAX_BATCH_ROWS)
      .optional()
      .openapi({ description: "New tracks, written before the analyses (which may name their given ids)" }),
    analyses: z
      .array(AnalysisInputSchema.meta({ id: "AnalysisInput" }))
      .max(MAX_BATCH_ROWS)
      .optional(),
  })
  .openapi("IngestRequest", { example: INGEST_EXAMPLE });

const WrittenRowsSchema = z
  .object({
    count: z.int(),
    ids: z.array(z.int()).openapi({ description: "In the order the rows were sent" }),
    created_at: z.array(z.string()).openapi({
      description: "Each row's created_at as stored (UTC)",
      example: ["2025-06-01T12:00:00.123456"],
    }),
  })
  .openapi("WrittenRows");

export const IngestResultSchema = z
  .object({ tracks: WrittenRowsSchema, analyses: WrittenRowsSchema })
  .openapi("IngestResult");

export const IngestHeadersSchema = z.object({
  "idempotency-key": z
    .string()
    .regex(IDEMPOTENCY_KEY_PATTERN, "1 to 255 printable ASCII characters without spaces")
    .optional()
    .openapi({
      param: { name: "idempotency-key", in: "header" },
      description:
        "Names this batch (a UUID per batch will do): sent again under the same key within " +
        `${IDEMPOTENCY_KEY_HOURS} hours, the batch is not written twice and gets the first write's answer ` +
        "(with `Idempotent-Replayed: true`), so a retry after a lost answer is safe. The same key with " +
        "another batch is refused with 409.",
      example: "5f0c2d8e-7d0a-4b8e-9a51-0c6a8e9b4f21",
    }),
});

export /**
 * A batch over the row cap is refused from its row count, before its rows are validated: 352,941
 * rows took 33.7 s of validation before their 413. The parse is Hono's, kept for the validator.
 */
const batchRowLimit: MiddlewareHandler = async (c, next) => {
  const body = await c.req.json().catch(() => undefined);
  const rows = batchRowCount(body);
  if (rows !== undefined) refuseOversizeBatch(rows);
  return next();
};

const route = createRoute({
  operationId: "ingestAnalyses",
  method: "post",
  path: "/v1/admin/analyses",
  tags: ["admin"],
  summary: "Write new analyses (and tracks) into the corpus",
  description:
    "The ingestion door for the platform's analyzers where they cannot reach the database (the embedded " +
    "default): rows are checked against the corpus schema and written in one transaction, all or nothing. " +
    "A batch with any bad row is refused with one entry in `errors` per bad field (`#/analyses/3/track_id`) " +
    "and nothing is written. `created_at` may be left out: the write is stamped; one more than a minute " +
    `ahead of the database's clock is refused. Up to ${rows} rows (tracks and analyses together) and ` +
    `${INGEST_MAX_BYTES / 1024 / 1024} MiB a request. The views serve the new rows within their freshness objective.`,
  middleware: [
    boundedBody(
      INGEST_MAX_BYTES,
      `The batch exceeds ${INGEST_MAX_BYTES / 1024 / 1024} MiB; split it into several requests.`,
    ),
    jsonDepthLimit(),
    batchRowLimit,
  ] as const,
  request: {
    headers: IngestHeadersSchema,
    body: {
      required: true,
      content: { "application/json": { schema: IngestRequestSchema, example: INGEST_EXAMPLE } },
    },
  },
  responses: {
    201: {
      description: "Every row was written (or, under an idempotency key sent before, had been)",
      headers: {
        "Idempotent-Replayed": {
          schema: { type: "string" as const, enum: ["true"] },
          description: "Present when this is an earlier write's answer, given again for its Idempotency-Key",
        },
      },
      content: { "application/json": { schema: IngestResultSchema } },
    },
    ...errorResponses("VALIDATION_FAILED", "MALFORMED_JSON", "PAYLOAD_TOO_LARGE", "CONFLICT", "UNAVAILABLE"),
  },
});

export type IngestRequest = z.infer<typeof IngestRequestSchema>;
export type IngestResponse = z.infer<typeof IngestResultSchema>;

export function registerIngestAnalyses(app: App): void {
  ownBodyLimit(app, route.method, route.path);
  app.openapi(
    route,
    async (c) => {
      const idempotencyKey = c.req.valid("header")["idempotency-key"];
      const written = await c.get("useCases").ingest.write(c.req.valid("json"), { idempotencyKey });
      if (written.replayed) c.header("idempotent-replayed", "true");
      const rows = (w: typeof written.tracks) => ({ count: w.count, ids: w.ids, created_at: w.createdAt });
      return c.json({ tracks: rows(written.tracks), analyses: rows(written.analyses) }, 201);
    },
    everyProblem as never,
  );
}

/**
 * The schema above documents the rows; the use case names every bad field of every row at once,
 * the database's problems (a missing track) included, in the words `rapfs ingest` uses too.
 */
const everyProblem: Hook<unknown, AppEnv, string, Promise<Response | undefined>> = async (result, c) => {
  if (result.success) return undefined;
  if (result.target === "json") await c.get("useCases").ingest.check(await c.req.json());
  return validationHook(result, c);
};
