import { z } from "@hono/zod-openapi";

const HistogramSchema = z
  .object({
    lower: z.number().openapi({ description: "Lower edge of the first bin" }),
    upper: z.number().openapi({ description: "Upper edge of the last bin (exclusive)" }),
    bin_width: z.number().openapi({
      description: "Every bin is this wide: bin i is [lower + i·bin_width, lower + (i+1)·bin_width)",
    }),
    counts: z.array(z.number().int()).openapi({ description: "Non-null values per bin" }),
    underflow: z.number().int().openapi({ description: "Values below `lower`" }),
    overflow: z.number().int().openapi({ description: "Values at or above `upper`" }),
    range: z.enum(["tukey_fences", "p5_p95", "min_max"]).openapi({
      description:
        "How the binned range was chosen: Tukey's fences (Q1 − 1.5·IQR, Q3 + 1.5·IQR) clipped to min and max; p5–p95 when the quartiles are equal; min–max when nothing lies outside the fences, or for integers spanning fewer than 30 values (one bin per value)",
    }),
  })
  .openapi("Histogram", {
    description:
      "Fixed-width bins over a robust range: `histogram` of a number's values or a timestamp's seconds since 1970-01-01 UTC, `length_histogram` of a list's lengths.",
  });

export const ColumnStatsSchema = z
  .object({
    type: z.string(),
    count: z.number().openapi({ description: "Non-null values" }),
    null_count: z.number().optional(),
    null_rate: z.number().nullable(),
    distinct_count: z.number().optional(),
    min: z.unknown().optional(),
    max: z.unknown().optional(),
    mean: z.number().nullable().optional(),
    quantiles: z
      .record(z.string(), z.union([z.number(), z.string()]))
      .nullable()
      .optional()
      .openapi({
        description:
          "p5, p25, p50, p75, p95: numbers, or ISO timestamps for a timestamp feature. Over every row " +
          "of a view of up to 20,000 rows; above that, over the systematic sample of rows whose " +
          "track_id is a multiple of the statistics' `quantile_sample_every` (about 20,000 rows). " +
          "Every other statistic, histograms included, is over every row.",
      }),
    histogram: HistogramSchema.optional(),
    min_length: z.number().nullable().optional(),
    max_length: z.number().nullable().optional(),
    mean_length: z.number().nullable().optional(),
    length_histogram: HistogramSchema.optional().openapi({
      description: "Lists: how many items each row holds",
    }),
    top_values: z
      .array(z.object({ value: z.unknown(), count: z.number() }))
      .nullable()
      .optional(),
  })
  .openapi("ColumnStats");

export const RunStatsSchema = z.object({
  scope: z.enum(["table", "changed"]),
  run_id: z
    .number()
    .int()
    .openapi({
      description:
        "The materialization run whose table these statistics describe: the last full run, or an incremental " +
        "run after which the whole table was counted again (within seconds of it)",
    }),
  run_finished_at: z.string().openapi({ description: "When that run finished (ISO 8601)" }),
  rows: z.number(),
  quantile_sample_every: z
    .number()
    .int()
    .openapi({
      description:
        "Quantiles were computed over the rows whose track_id is a multiple of this (1: every row); " +
        "track views above 20,000 rows are sampled so, artist views never",
    }),
  features: z.record(z.string(), ColumnStatsSchema),
});

export const FeatureDriftSchema = z.object({
  null_rate_delta: z.number().nullable(),
  mean_delta: z.number().nullable().optional(),
  top_values_distance: z.number().nullable().optional(),
});
