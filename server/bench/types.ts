/** One line of the benchmark table: a workload measured against its baseline in the same run. */
export type BenchRow = {
  workload: string;
  baseline: string;
  /** Workload figure and baseline figure in the same unit (e.g. ms, req/s). */
  value: number;
  baselineValue: number;
  unit: string;
  /** value / baselineValue, or the figure the target speaks of. */
  ratio: number;
  target: string;
  met: boolean;
  notes?: string;
};
