import { ident } from "../definitions/compile/params";
import type { ColumnStats, Histogram } from "../registry/stats";
import { type BinKind, type BinPlan, planBins, type Spread } from "./bins";

/** One histogram to count: which column, what of it is binned, and into which stats field. */
export type PlannedHistogram = {
  column: string;
  field: "histogram" | "length_histogram";
  /** SQL giving the binned number of a row (the value, its epoch seconds, or its length). */
  value: string;
  plan: BinPlan;
};

const isList = (type: string) => type.endsWith("[]");

/**
 * Plans each column's bins from the statistics already computed: numbers over their values,
 * timestamps over epoch seconds, lists over their lengths.
 */
export function planHistograms(
  columns: { name: string; type: string }[],
  features: Record<string, ColumnStats>,
): PlannedHistogram[] {
  const out: PlannedHistogram[] = [];
  for (const c of columns) {
    const s = features[c.name];
    if (!s || s.count === 0) continue;
    const col = ident(c.name);
    const planned = (
      kind: BinKind,
      spread: Spread | null,
      value: string,
      field: PlannedHistogram["field"],
    ) => {
      const plan = spread ? planBins(spread, kind) : null;
      if (plan) out.push({ column: c.name, field, value, plan });
    };
    if (c.type === "int" || c.type === "float") {
      planned(c.type, numericSpread(s), `${col}::float8`, "histogram");
    } else if (c.type === "timestamp") {
      planned("time", timeSpread(s), `extract(epoch from ${col})::float8`, "histogram");
    } else if (isList(c.type)) {
      const { min_length: min, max_length: max } = s;
      if (typeof min === "number" && typeof max === "number")
        planned("int", { min, max }, `cardinality(${col})::float8`, "length_histogram");
    }
  }
  return out;
}

/**
 * One scan of `relation` counting every planned histogram: PostgreSQL's width_bucket names each
 * value's bin (0 below the range, bins + 1 at or above it) by comparing it with the edges
 * themselves, so a value on an inner edge is in the bin it starts (the arithmetic form,
 * floor(n·(v − lower)/(upper − lower)) in float8, put 0.76 in [0.74, 0.76)), and one grouping set per histogram
 * counts them, hashed in the same pass. (Unpivoting each row into (histogram, value) pairs took
 * four times as long.)
 */
export function histogramQuery(
  relation: string,
  key: string,
  planned: PlannedHistogram[],
  onlyKeys: boolean,
  /** Rows to count instead of the relation's: a slice of it (stats-recount.ts). */
  rows?: string,
): string {
  const buckets = planned.map((p, i) => `width_bucket(${p.value}, ${edges(p.plan)}) as b${i}`);
  const which = planned.map((_, i) => `when grouping(b${i}) = 0 then ${i}`).join(" ");
  const bucket = planned.map((_, i) => `when grouping(b${i}) = 0 then b${i}`).join(" ");
  const from = rows ?? `${ident(relation)}${onlyKeys ? ` where ${ident(key)} = any($1)` : ""}`;
  const sets = planned.map((_, i) => `(b${i})`).join(", ");
  return (
    `select * from (\n  select case ${which} end as i, case ${bucket} end as bucket, count(*)::int as n\n` +
    `  from (select ${buckets.join(", ")} from ${from}) t\n` +
    `  group by grouping sets (${sets})\n) counted\nwhere bucket is not null`
  );
}

/** Writes the counted bins into each column's statistics. */
export function attachHistograms(
  features: Record<string, ColumnStats>,
  planned: PlannedHistogram[],
  counted: { i: number; bucket: number; n: number }[],
): void {
  const histograms: Histogram[] = planned.map(({ plan }) => ({
    lower: plan.lower,
    upper: plan.upper,
    bin_width: plan.width,
    counts: new Array<number>(plan.bins).fill(0),
    underflow: 0,
    overflow: 0,
    range: plan.range,
  }));
  for (const { i, bucket, n } of counted) {
    const h = histograms[Number(i)];
    if (!h) continue;
    const b = Number(bucket);
    if (b <= 0) h.underflow += Number(n);
    else if (b > h.counts.length) h.overflow += Number(n);
    else h.counts[b - 1] = (h.counts[b - 1] ?? 0) + Number(n);
  }
  planned.forEach((p, i) => {
    const stats = features[p.column];
    const histogram = histograms[i];
    if (stats && histogram) stats[p.field] = histogram;
  });
}

function numericSpread(s: ColumnStats): Spread | null {
  if (typeof s.min !== "number" || typeof s.max !== "number") return null;
  const q = s.quantiles ?? {};
  const at = (name: string) => (typeof q[name] === "number" ? (q[name] as number) : undefined);
  return { min: s.min, max: s.max, p5: at("p5"), p25: at("p25"), p75: at("p75"), p95: at("p95") };
}

function timeSpread(s: ColumnStats): Spread | null {
  const min = epoch(s.min);
  const max = epoch(s.max);
  if (min === undefined || max === undefined) return null;
  const q = s.quantiles ?? {};
  return { min, max, p5: epoch(q.p5), p25: epoch(q.p25), p75: epoch(q.p75), p95: epoch(q.p95) };
}

/** A `timestamp` (no zone) as JSON text, read as the UTC wall time it stores. */
function epoch(value: unknown): number | undefined {
  if (typeof value !== "string") return undefined;
  const ms = Date.parse(/[zZ]|[+-]\d\d:?\d\d$/.test(value) ? value : `${value}Z`);
  return Number.isNaN(ms) ? undefined : ms / 1000;
}

/** Every edge of a plan, lower to upper, as width_bucket's thresholds: lower + i·width, tidied. */
export function binEdges(plan: BinPlan): number[] {
  return Array.from({ length: plan.bins + 1 }, (_, i) =>
    Number((plan.lower + i * plan.width).toPrecision(12)),
  );
}

const edges = (plan: BinPlan) => `array[${binEdges(plan).map(num).join(", ")}]::float8[]`;

/** Bin edges are numbers this module computed; anything else is a bug, not SQL to run. */
function num(x: number): string {
  if (!Number.isFinite(x)) throw new Error(`histogram edge ${x} is not a finite number`);
  return `(${String(x)})`;
}
