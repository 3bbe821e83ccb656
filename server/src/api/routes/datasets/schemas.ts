import { z } from "@hono/zod-openapi";
import { FORMATS, type PlanRequest, parseTimestamp, splitRefList } from "../../../usecases";
import { wholeNumber } from "../whole-number";

const list = (description: string, example: string, name: string) =>
  z
    .union([z.string().max(20_000), z.array(z.string().max(20_000)).max(500)])
    .optional()
    .openapi({ param: { name, in: "query", style: "form", explode: true }, description, example });

export const FormatQuery = z
  .enum(FORMATS)
  .default("parquet")
  .openapi({
    param: { name: "format", in: "query" },
    description:
      "Parquet (snappy, row groups of 65,536 rows), CSV (RFC 4180, header row), an Arrow IPC stream, " +
      "or `json`: NDJSON, one object per row with the JSON API's types (timestamps ISO 8601 UTC)",
  });

export const SelectionQuery = z.object({
  features: list(
    "Instead of the dataset's features: references, comma-separated or repeated (`view@2:*` pins a version)",
    "qwen_analysis@2:*,track_profile:popularity",
    "features",
  ),
  service: z
    .string()
    .max(64)
    .optional()
    .openapi({
      param: { name: "service", in: "query" },
      description: "Instead of the dataset's features: a feature service's",
    }),
  embeddings: list(
    "Embeddings to add as `<name>_embedding` columns (FixedSizeList<float32>; bracketed lists in CSV)",
    "lyrics",
    "embeddings",
  ),
});

/**
 * A dataset route's query refuses names it does not know: `limt=5` downloaded (and charged) the
 * whole dataset, as if no limit had been asked for.
 */
export const DownloadQuery = SelectionQuery.extend({
  format: FormatQuery,
  as_of: z
    .string()
    .max(64)
    .optional()
    .refine((v) => v === undefined || parseTimestamp(v) !== undefined, "must be an ISO 8601 timestamp")
    .openapi({
      param: { name: "as_of", in: "query" },
      description:
        "Features as they were then: computed from analyses created at or before it (UTC unless an offset is given)",
      example: "2025-06-01T00:00:00Z",
    }),
  limit: wholeNumber(1, 1_000_000_000)
    .optional()
    .openapi({
      param: { name: "limit", in: "query" },
      description: "At most this many rows (the first by entity key)",
    }),
}).strict();

export const NameParams = z.object({
  name: z
    .string()
    .min(1)
    .max(80)
    .openapi({
      param: { name: "name", in: "path" },
      description: "A dataset, or `service:<name>` for a feature service",
      example: "public",
    }),
});

/** A `features`/`embeddings` query value as references; undefined when not given. */
export const refList = (value: string | string[] | undefined) =>
  value === undefined ? undefined : splitRefList(value);

export function planRequest(name: string, query: z.infer<typeof DownloadQuery>): PlanRequest {
  const features = refList(query.features);
  const embeddings = refList(query.embeddings);
  return {
    dataset: name,
    ...(features ? { features } : {}),
    ...(query.service ? { service: query.service } : {}),
    ...(embeddings ? { embeddings } : {}),
    ...(query.as_of ? { asOf: parseTimestamp(query.as_of) as number } : {}),
    ...(query.limit ? { limit: query.limit } : {}),
  };
}

const binary = z.string().openapi({ format: "binary" });

export const FILE_CONTENT = {
  "application/vnd.apache.parquet": { schema: binary },
  "text/csv": { schema: binary },
  "application/vnd.apache.arrow.stream": { schema: binary },
  "application/x-ndjson": { schema: binary },
};

export const DOWNLOAD_HEADERS = {
  "Content-Disposition": { schema: { type: "string" as const }, description: "attachment; filename=…" },
  ETag: {
    schema: { type: "string" as const },
    description: "Names these bytes; send it as If-Range to resume",
  },
  "Rapfs-Rows": {
    schema: { type: "integer" as const },
    description:
      "Rows in the file, when known before the answer: a training set's, a file already written, a " +
      "download counted first. Absent when the answer goes out before its rows are counted (its card says how many)",
  },
  "Rapfs-Dataset-Version": { schema: { type: "string" as const }, description: "The data version read" },
  "Rapfs-Download-Charged": {
    schema: { type: "string" as const, enum: ["true", "false"] },
    description:
      "true when this request spent one of the day's downloads; false for a repeat of one already " +
      "charged today, and for a public dataset's shared file (it spends only the bytes sent)",
  },
};
