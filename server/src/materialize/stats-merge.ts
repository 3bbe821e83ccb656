import type { Sql } from "../db/database";
import type { ColumnStats } from "../registry/stats";
import { turnsEvery } from "../values/turns";
import { type ColumnPartial, isLabel, isList, isNumber, type StatsColumn } from "./stats-slices";

const QUANTILES = [0.05, 0.25, 0.5, 0.75, 0.95];
const TOP = 5;
// Tied labels are put in the database's collation order this many at a time (one short statement each).
const COLLATE_CHUNK = 5_000;

/**
 * A table's statistics from the partials of its slices, each as statsQuery computes it over the
 * whole table: sums and extremes merged, quantiles taken from the merged sample the way
 * PostgreSQL's percentile_cont and percentile_disc take them, top values ranked by count, then
 * by value in the database's collation (asked of the database for tied labels only).
 */
export async function mergePartials(
  sql: Sql,
  columns: StatsColumn[],
  rows: number,
  slices: Record<string, ColumnPartial>[],
): Promise<Record<string, ColumnStats>> {
  const out: Record<string, ColumnStats> = {};
  // A view's merge held the event loop for 100-190 ms after each run (profiled under load): the
  // columns, and the labels of a wide one, are merged a slice at a time.
  const turn = turnsEvery();
  for (const c of columns) {
    await turn();
    const parts = slices.map((s) => s[c.name]).filter((p): p is ColumnPartial => p !== undefined);
    const count = sum(parts.map((p) => p.count));
    const stats: ColumnStats = {
      type: c.type,
      count,
      null_count: sum(parts.map((p) => p.null_count)),
      null_rate: rows === 0 ? null : 1 - count / rows,
    };
    if (isNumber(c.type)) {
      stats.min = extreme(
        parts.map((p) => p.min),
        (a, b) => (a as number) < (b as number),
      );
      stats.max = extreme(
        parts.map((p) => p.max),
        (a, b) => (a as number) > (b as number),
      );
      stats.mean = count === 0 ? null : sum(parts.map((p) => Number(p.sum ?? 0))) / count;
      const sample = (parts.flatMap((p) => p.sample ?? []) as number[]).sort((a, b) => a - b);
      stats.quantiles = quantiles((q) => continuous(sample, q));
    } else if (c.type === "timestamp") {
      // Timestamps come as ISO text of one width up to the seconds: their text order is their order.
      const before = (a: unknown, b: unknown) => (a as string) < (b as string);
      stats.min = extreme(
        parts.map((p) => p.min),
        before,
      );
      stats.max = extreme(
        parts.map((p) => p.max),
        (a, b) => before(b, a),
      );
      const sample = (parts.flatMap((p) => p.sample ?? []) as string[]).sort();
      stats.quantiles = quantiles((q) => discrete(sample, q));
    } else if (isList(c.type)) {
      stats.min_length = extreme(
        parts.map((p) => p.min_length),
        (a, b) => (a as number) < (b as number),
      ) as number | null;
      stats.max_length = extreme(
        parts.map((p) => p.max_length),
        (a, b) => (a as number) > (b as number),
      ) as number | null;
      stats.mean_length = count === 0 ? null : sum(parts.map((p) => Number(p.sum_length ?? 0))) / count;
    } else if (isLabel(c.type)) {
      const groups = new Map<string, number>();
      for (const p of parts) {
        for (const [value, n] of Object.entries(p.groups ?? {}))
          groups.set(value, (groups.get(value) ?? 0) + n);
        await turn();
      }
      stats.distinct_count = groups.size;
      stats.top_values = await topValues(sql, groups, c.type);
    }
    out[c.name] = stats;
  }
  return out;
}

const sum = (values: number[]) => values.reduce((a, b) => a + b, 0);

function extreme(values: unknown[], better: (a: unknown, b: unknown) => boolean): number | string | null {
  let best: unknown = null;
  for (const v of values) if (v !== null && v !== undefined && (best === null || better(v, best))) best = v;
  return best as number | string | null;
}

function quantiles(at: (q: number) => number | string | null): Record<string, number | string> {
  return Object.fromEntries(QUANTILES.map((q) => [`p${Math.round(q * 100)}`, at(q)])) as Record<
    string,
    number | string
  >;
}

/** percentile_cont: interpolated between the rows around q·(n − 1), as PostgreSQL's float8_lerp does. */
function continuous(sorted: number[], q: number): number | null {
  if (sorted.length === 0) return null;
  const position = q * (sorted.length - 1);
  const first = Math.floor(position);
  const second = Math.ceil(position);
  const lo = sorted[first] as number;
  if (first === second) return lo;
  return lo + (position - first) * ((sorted[second] as number) - lo);
}

/** percentile_disc: the first row whose position reaches q·n. */
function discrete(sorted: string[], q: number): string | null {
  if (sorted.length === 0) return null;
  return sorted[Math.max(Math.ceil(q * sorted.length), 1) - 1] ?? null;
}

/** The TOP labels by count, then by value: false before true, text in the database's collation. */
async function topValues(
  sql: Sql,
  groups: Map<string, number>,
  type: string,
): Promise<{ value: unknown; count: number }[]> {
  const byCount = new Map<number, string[]>();
  for (const [value, n] of groups) {
    const tied = byCount.get(n);
    if (tied) tied.push(value);
    else byCount.set(n, [value]);
  }
  const out: { value: unknown; count: number }[] = [];
  for (const n of [...byCount.keys()].sort((a, b) => b - a)) {
    if (out.length >= TOP) break;
    const tied = byCount.get(n) ?? [];
    const wanted = TOP - out.length;
    const first = type === "bool" ? [...tied].sort() : await firstInCollation(sql, tied, wanted);
    for (const value of first.slice(0, wanted))
      out.push({ value: type === "bool" ? value === "true" : value, count: n });
  }
  return out;
}

/** The first `k` of `values` in the database's text order, sorted a bounded chunk per statement. */
async function firstInCollation(sql: Sql, values: string[], k: number): Promise<string[]> {
  if (values.length <= 1) return values;
  let kept: string[] = [];
  for (let i = 0; i < values.length; i += COLLATE_CHUNK) {
    const candidates = [...kept, ...values.slice(i, i + COLLATE_CHUNK)];
    const rows = await sql<{ v: string }[]>`
      select v from unnest(${candidates}::text[]) v order by v limit ${k}`;
    kept = rows.map((r) => r.v);
  }
  return kept;
}
