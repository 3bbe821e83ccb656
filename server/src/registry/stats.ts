/** The statistics a materialization run stores beside its version, as the registry serves them. */
/**
 * Counts in fixed-width bins: bin i covers [lower + i·bin_width, lower + (i+1)·bin_width).
 * Timestamps are binned in seconds since 1970-01-01 UTC, lists by their length.
 */
export type Histogram = {
  lower: number;
  upper: number;
  bin_width: number;
  counts: number[];
  /** Values below `lower` and at or above `upper`: outside the robust range. */
  underflow: number;
  overflow: number;
  range: "tukey_fences" | "p5_p95" | "min_max";
};

export type ColumnStats = {
  type: string;
  null_rate: number | null;
  /** Non-null values. */
  count: number;
  null_count?: number;
  distinct_count?: number;
  min?: unknown;
  max?: unknown;
  mean?: number | null;
  /** Numbers for numeric features, ISO timestamps for timestamps. */
  quantiles?: Record<string, number | string> | null;
  histogram?: Histogram;
  min_length?: number | null;
  max_length?: number | null;
  mean_length?: number | null;
  length_histogram?: Histogram;
  top_values?: { value: unknown; count: number }[] | null;
};
export type RunStats = {
  scope: "table" | "changed";
  rows: number;
  /** Quantiles come from every n-th track (by id) when a table is large; 1 means all rows. */
  quantileSampleEvery?: number;
  features: Record<string, ColumnStats>;
};
