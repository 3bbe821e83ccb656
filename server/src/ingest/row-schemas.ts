import { z } from "zod";
import { parseTimestamp } from "../values/timestamps";
import { ANALYSIS_COLUMNS, type ColumnSpec, INT4_MAX, TRACK_COLUMNS } from "./columns";

/** Characters as PostgreSQL counts them for varchar(n): code points, not UTF-16 units. */
export function characters(text: string): number {
  if (text.length <= 1) return text.length;
  let count = 0;
  for (const _ of text) count++;
  return count;
}

/** pgvector holds float4: a double beyond its range would fail the insert instead of here. */
const FLOAT4_MAX = 3.4028234663852886e38;

function columnSchema(spec: ColumnSpec): z.ZodType {
  switch (spec.kind) {
    case "id":
      return z
        .int()
        .min(1)
        .max(INT4_MAX)
        .meta({ description: "Given only to choose the id; else the serial's" });
    case "int":
      return z
        .int()
        .min(-INT4_MAX - 1)
        .max(INT4_MAX);
    case "number":
      return z.number();
    case "text": {
      const max = spec.maxChars;
      if (max === undefined) return z.string();
      return z
        .string()
        .superRefine((s, ctx) => {
          if (s.length > max && characters(s) > max)
            ctx.addIssue({
              code: "too_big",
              origin: "string",
              maximum: max,
              message: `must be at most ${max} characters`,
            });
        })
        .meta({ maxLength: max });
    }
    case "enum":
      return z.enum(spec.values as [string, ...string[]], {
        error: `must be one of ${spec.values.join(", ")}`,
      });
    case "json":
      // Any JSON value; what jsonb cannot hold (NUL, lone surrogates) is refused before the schema.
      return z.unknown().meta({ description: "Any JSON value (stored as jsonb)" });
    case "timestamp":
      return z
        .string()
        .superRefine((s, ctx) => {
          if (parseTimestamp(s) === undefined)
            ctx.addIssue({
              code: "invalid_format",
              format: "datetime",
              message: "must be an ISO 8601 timestamp (UTC unless it has an offset)",
            });
        })
        .meta({
          description: "ISO 8601; UTC unless it has an offset. Absent or null: the server stamps the write.",
          example: "2025-06-01T12:00:00Z",
        });
    case "vector": {
      const d = spec.dimensions;
      return z
        .array(z.number().min(-FLOAT4_MAX).max(FLOAT4_MAX))
        .length(d, `must have ${d} numbers`)
        .meta({ description: `${d} numbers (float4)`, minItems: d, maxItems: d });
    }
  }
}

function rowSchema(columns: Record<string, ColumnSpec>) {
  const shape: Record<string, z.ZodType> = {};
  for (const [name, spec] of Object.entries(columns)) {
    const schema = columnSchema(spec);
    const required = "required" in spec && spec.required === true;
    shape[name] = required ? schema : schema.nullable().optional();
  }
  return z.strictObject(shape);
}

/** A new track as `tracks` takes it; every column may be null, `id` and `created_at` are chosen when absent. */
export const TrackInputSchema = rowSchema(TRACK_COLUMNS);

/** A new analysis as `analysis_results` takes it; `id` always comes from its serial. */
export const AnalysisInputSchema = rowSchema(ANALYSIS_COLUMNS);

type Nullable<T> = { [K in keyof T]?: T[K] | null };

export type TrackInput = Nullable<{
  id: number;
  title: string;
  artist: string;
  lyrics: string;
  url: string;
  created_at: string;
  spotify_data: unknown;
  audio_features: unknown;
  lyrics_embedding: number[];
  audio_embedding: number[];
}>;

export type AnalysisInput = {
  track_id: number;
  analyzer_type: string;
} & Nullable<{
  sentiment: string;
  confidence: number;
  themes: string;
  analysis_data: unknown;
  created_at: string;
  complexity_score: number;
  processing_time_ms: number;
  model_version: string;
  analysis_embedding: number[];
}>;

/** What a caller sends: new tracks (optional) and new analyses. */
export type IngestBatch = { tracks?: TrackInput[] | undefined; analyses?: AnalysisInput[] | undefined };
