/** The statistics a materialization run stores beside its version, as the registry serves them. */
export type ColumnStats = {
  type: string;
  null_rate: number | null;
  count: number;
  distinct_count?: number;
  min?: unknown;
  max?: unknown;
  mean?: number | null;
  quantiles?: Record<string, number> | null;
  mean_length?: number | null;
  top_values?: { value: unknown; count: number }[] | null;
};
export type RunStats = {
  scope: "table" | "changed";
  rows: number;
  /** Quantiles come from every n-th track (by id) when a table is large; 1 means all rows. */
  quantileSampleEvery?: number;
  features: Record<string, ColumnStats>;
};
