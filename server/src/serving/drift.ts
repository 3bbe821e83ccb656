import type { ColumnStats, RunStats } from "../registry/stats";

export type FeatureDrift = {
  null_rate_delta: number | null;
  mean_delta?: number | null;
  /** Total variation distance between the label shares of the two versions' top values. */
  top_values_distance?: number | null;
};

/** Rounded to 12 decimals: equal means summed in another order differ by float noise (1e-17). */
const delta = (a: number | null | undefined, b: number | null | undefined) =>
  a == null || b == null ? null : Math.round((a - b) * 1e12) / 1e12;

/** How each feature both versions share moved between their last full runs (this minus previous). */
export function statsDrift(current: RunStats, previous: RunStats): Record<string, FeatureDrift> {
  const out: Record<string, FeatureDrift> = {};
  for (const [name, now] of Object.entries(current.features)) {
    const before = previous.features[name];
    if (!before || before.type !== now.type) continue;
    const drift: FeatureDrift = { null_rate_delta: delta(now.null_rate, before.null_rate) };
    if (now.mean !== undefined) drift.mean_delta = delta(now.mean, before.mean);
    if (now.top_values) drift.top_values_distance = labelDistance(now, before);
    out[name] = drift;
  }
  return out;
}

function labelDistance(a: ColumnStats, b: ColumnStats): number | null {
  if (!a.top_values || !b.top_values || a.count === 0 || b.count === 0) return null;
  const shares = (s: ColumnStats) =>
    new Map(s.top_values?.map((t) => [JSON.stringify(t.value), t.count / s.count]));
  const sa = shares(a);
  const sb = shares(b);
  let sum = 0;
  for (const key of new Set([...sa.keys(), ...sb.keys()]))
    sum += Math.abs((sa.get(key) ?? 0) - (sb.get(key) ?? 0));
  // Labels outside both top lists are unknown; their mass counts as the residual difference.
  const restA = 1 - [...sa.values()].reduce((x, y) => x + y, 0);
  const restB = 1 - [...sb.values()].reduce((x, y) => x + y, 0);
  return Math.round(((sum + Math.abs(restA - restB)) / 2) * 1e6) / 1e6;
}
