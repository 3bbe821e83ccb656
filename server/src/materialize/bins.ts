/** Bins a histogram aims for: enough to show shape, few enough that each holds a readable count. */
export const TARGET_BINS = 24;
/** Integer features spanning fewer values than this get one bin per value. */
export const MAX_BINS = 30;

export type BinKind = "int" | "float" | "time";

/** How the histogram's range was chosen; values outside it are counted as under/overflow. */
export type BinRange = "tukey_fences" | "p5_p95" | "min_max";

/** Fixed-width bins: bin i covers [lower + i·width, lower + (i+1)·width). */
export type BinPlan = { lower: number; upper: number; width: number; bins: number; range: BinRange };

export type Spread = {
  min: number;
  max: number;
  p5?: number | undefined;
  p25?: number | undefined;
  p75?: number | undefined;
  p95?: number | undefined;
};

const MINUTE = 60;
const HOUR = 3600;
const DAY = 86_400;
/** Widths a time axis reads well in (seconds); past a year, whole years. */
const TIME_STEPS = [
  1,
  2,
  5,
  10,
  15,
  30,
  MINUTE,
  2 * MINUTE,
  5 * MINUTE,
  10 * MINUTE,
  15 * MINUTE,
  30 * MINUTE,
  HOUR,
  2 * HOUR,
  3 * HOUR,
  6 * HOUR,
  12 * HOUR,
  DAY,
  2 * DAY,
  7 * DAY,
  14 * DAY,
  30 * DAY,
  91 * DAY,
  182 * DAY,
  365 * DAY,
];

/**
 * The range a histogram covers: Tukey's fences (Q1 − 1.5·IQR, Q3 + 1.5·IQR) clipped to the
 * observed min and max, so one wild value lands in an under/overflow count instead of squeezing
 * every other bar into one. With no spread between the quartiles it widens to p5–p95, then to
 * min–max. Integers spanning fewer than MAX_BINS values keep min–max: one bar per value.
 */
export function robustRange(s: Spread, kind: BinKind): { lo: number; hi: number; range: BinRange } {
  if (kind === "int" && s.max - s.min < MAX_BINS) return { lo: s.min, hi: s.max, range: "min_max" };
  if (s.p25 !== undefined && s.p75 !== undefined && s.p75 > s.p25) {
    const iqr = s.p75 - s.p25;
    const lo = Math.max(s.min, s.p25 - 1.5 * iqr);
    const hi = Math.min(s.max, s.p75 + 1.5 * iqr);
    return { lo, hi, range: lo === s.min && hi === s.max ? "min_max" : "tukey_fences" };
  }
  if (s.p5 !== undefined && s.p95 !== undefined && s.p95 > s.p5) {
    const lo = Math.max(s.min, s.p5);
    const hi = Math.min(s.max, s.p95);
    return { lo, hi, range: lo === s.min && hi === s.max ? "min_max" : "p5_p95" };
  }
  return { lo: s.min, hi: s.max, range: "min_max" };
}

/**
 * Fixed-width bins over the robust range, with a width that reads well on an axis (1, 2, 2.5 or 5
 * times a power of ten; whole numbers for integers; minutes, days, weeks… for time) and edges on
 * multiples of it. Every value of the range falls inside: the upper edge is exclusive, as in
 * PostgreSQL's width_bucket.
 */
export function planBins(s: Spread, kind: BinKind): BinPlan | null {
  if (!Number.isFinite(s.min) || !Number.isFinite(s.max) || s.max < s.min) return null;
  const { lo, hi, range } = robustRange(s, kind);
  if (kind === "int" && s.max - s.min < MAX_BINS) {
    return { lower: s.min, upper: s.max + 1, width: 1, bins: s.max - s.min + 1, range };
  }
  const width = niceWidth((hi - lo) / TARGET_BINS, kind);
  let lower = tidy(Math.floor(lo / width) * width);
  let upper = tidy((Math.floor(hi / width) + 1) * width);
  // Division in binary floating point can land a value on the wrong side of an edge.
  if (lower > lo) lower = tidy(lower - width);
  if (upper <= hi) upper = tidy(upper + width);
  return { lower, upper, width, bins: Math.round((upper - lower) / width), range };
}

function niceWidth(raw: number, kind: BinKind): number {
  if (kind === "time") {
    const step = TIME_STEPS.find((s) => s >= raw);
    return step ?? 365 * DAY * niceWidth(raw / (365 * DAY), "int");
  }
  if (raw <= 0) return 1;
  if (kind === "int" && raw < 1) return 1;
  const power = 10 ** Math.floor(Math.log10(raw));
  for (const m of [1, 2, 2.5, 5, 10]) {
    const width = tidy(m * power);
    if (width < raw) continue;
    if (kind === "int" && !Number.isInteger(width)) continue;
    return width;
  }
  return tidy(10 * power);
}

/** 0.1 + 0.2 → 0.3: edges are shown and compared, so float noise is rounded off. */
const tidy = (x: number) => Number(x.toPrecision(12));
