// @ts-check
/** What a feature view page shows of one feature's statistics and drift, by feature type. */
import { topValuesChart } from "../charts.js";
import { fmtInt, fmtValue, h, plural } from "../dom.js";
import { fmtEdge, histogramChart } from "../histogram.js";

/**
 * @typedef {import("../histogram.js").Histogram} Histogram
 * @typedef {{type: string, count: number, null_count?: number, null_rate: number | null, distinct_count?: number,
 *   min?: unknown, max?: unknown, mean?: number | null, quantiles?: Record<string, number | string> | null,
 *   histogram?: Histogram, min_length?: number | null, max_length?: number | null, mean_length?: number | null,
 *   length_histogram?: Histogram, top_values?: {value: unknown, count: number}[] | null}} ColumnStats
 * @typedef {{null_rate_delta: number | null, mean_delta?: number | null, top_values_distance?: number | null}} Drift
 */

const DAY = 86_400;

export const pct = (/** @type {number | null | undefined} */ rate) =>
  rate === null || rate === undefined ? "—" : `${(rate * 100).toFixed(1)}%`;

const isList = (/** @type {string} */ type) => type.endsWith("[]");
const isNumber = (/** @type {string} */ type) => type === "int" || type === "float";

/** A stored timestamp (UTC wall time, no zone) as "2025-05-01 04:37". @param {unknown} value */
const fmtTime = (value) => (typeof value === "string" ? value.slice(0, 16).replace("T", " ") : "—");
/** @param {unknown} value */
const epoch = (value) =>
  typeof value === "string" ? Date.parse(/Z$/.test(value) ? value : `${value}Z`) / 1000 : NaN;

/** @param {number} seconds */
function fmtSpan(seconds) {
  if (seconds >= 2 * DAY) return plural(Math.round(seconds / DAY), "day");
  if (seconds >= 2 * 3600) return `${fmtValue(seconds / 3600)} h`;
  return `${fmtValue(seconds / 60)} min`;
}

/** The table's one-line summary of a feature. @param {ColumnStats | undefined} s */
export function summary(s) {
  if (!s) return "—";
  if (s.type === "timestamp" && s.min !== undefined) return `${fmtTime(s.min)} to ${fmtTime(s.max)}`;
  if (isNumber(s.type) && s.mean !== undefined) return `mean ${fmtValue(s.mean)}`;
  const top = s.top_values?.[0];
  if (top) return `top ${fmtValue(top.value)} (${fmtInt(top.count)})`;
  if (isList(s.type) && s.mean_length !== undefined && s.mean_length !== null)
    return s.min_length === s.max_length
      ? `${plural(Number(s.min_length), "item")} each`
      : `${fmtValue(s.min_length)}–${fmtValue(s.max_length)} items, mean ${fmtValue(s.mean_length)}`;
  return "—";
}

/** @param {ColumnStats | undefined} s */
export const chartable = (s) => Boolean(s && (s.histogram || s.length_histogram || s.top_values?.length));

/**
 * The chart for a feature: a histogram of numbers and timestamps, of list lengths, or the top values.
 * @param {string} feature @param {ColumnStats} s
 */
export function statsChart(feature, s) {
  const nullCount = s.null_count;
  if (s.histogram && s.type === "timestamp") {
    const median = epoch(s.quantiles?.p50);
    return histogramChart({
      feature,
      histogram: s.histogram,
      scale: "time",
      axisLabel: `${feature} (UTC)`,
      nullCount,
      marker: Number.isFinite(median)
        ? { value: median, label: `median ${fmtTime(s.quantiles?.p50)}` }
        : null,
    });
  }
  if (s.histogram)
    return histogramChart({
      feature,
      histogram: s.histogram,
      scale: s.type === "int" ? "integer" : "number",
      axisLabel: feature,
      nullCount,
      marker: typeof s.mean === "number" ? { value: s.mean, label: `mean ${fmtValue(s.mean)}` } : null,
    });
  if (s.length_histogram)
    return histogramChart({
      feature,
      histogram: s.length_histogram,
      scale: "length",
      axisLabel: `items per row in ${feature}`,
      nullCount,
      marker:
        typeof s.mean_length === "number"
          ? { value: s.mean_length, label: `mean ${fmtValue(s.mean_length)}` }
          : null,
    });
  if (s.top_values?.length)
    return topValuesChart({ feature, count: s.count, distinct: s.distinct_count, top: s.top_values });
  if (isNumber(s.type) || s.type === "timestamp" || isList(s.type))
    return h("p", {}, "No histogram yet: the next count of the view's table computes it.");
  return h("p", {}, "No chart for this type.");
}

/**
 * The facts beside the chart, as term/description pairs.
 * @param {ColumnStats} s
 * @returns {[string, string][]}
 */
export function statsFacts(s) {
  /** @type {[string, string | undefined][]} */
  const facts = [
    ["type", s.type],
    ["non-null rows", fmtInt(s.count)],
    [
      "null rows",
      s.null_count === undefined ? pct(s.null_rate) : `${fmtInt(s.null_count)} (${pct(s.null_rate)})`,
    ],
    ["distinct", s.distinct_count === undefined ? undefined : fmtInt(s.distinct_count)],
  ];
  if (s.type === "timestamp") {
    const span = epoch(s.max) - epoch(s.min);
    facts.push(
      ["earliest", fmtTime(s.min)],
      ...Object.entries(s.quantiles ?? {}).map(([q, v]) => /** @type {[string, string]} */ ([q, fmtTime(v)])),
      ["latest", fmtTime(s.max)],
      ["time range", Number.isFinite(span) ? fmtSpan(span) : undefined],
    );
  } else if (isList(s.type)) {
    facts.push(
      ["fewest items", s.min_length === undefined ? undefined : fmtValue(s.min_length)],
      ["most items", s.max_length === undefined ? undefined : fmtValue(s.max_length)],
      [
        "mean items",
        s.mean_length === undefined || s.mean_length === null ? undefined : fmtValue(s.mean_length),
      ],
    );
  } else {
    facts.push(
      ["min", s.min === undefined ? undefined : fmtValue(s.min)],
      ...Object.entries(s.quantiles ?? {}).map(
        ([q, v]) => /** @type {[string, string]} */ ([q, fmtValue(v)]),
      ),
      ["max", s.max === undefined ? undefined : fmtValue(s.max)],
      ["mean", s.mean === undefined || s.mean === null ? undefined : fmtValue(s.mean)],
    );
  }
  const hist = s.histogram ?? s.length_histogram;
  if (hist)
    facts.push([
      "binned range",
      binnedRange(hist, s.type === "timestamp" ? "time" : s.type === "float" ? "number" : "integer"),
    ]);
  return /** @type {[string, string][]} */ (facts.filter((pair) => pair[1] !== undefined));
}

const RANGES = /** @type {Record<string, string>} */ ({
  tukey_fences: "Tukey's fences",
  p5_p95: "p5 to p95",
  min_max: "min to max",
});

/**
 * "10 to 170 (Tukey's fences); 2 below": integers name their last value, not the exclusive edge.
 * @param {Histogram} hist @param {"time" | "number" | "integer"} scale
 */
function binnedRange(hist, scale) {
  const edge = (/** @type {number} */ v) => fmtEdge(v, scale, scale === "time" ? DAY : hist.bin_width);
  const last = scale === "integer" ? hist.upper - 1 : hist.upper;
  const outside = [
    hist.underflow ? `${fmtInt(hist.underflow)} below` : "",
    hist.overflow ? `${fmtInt(hist.overflow)} above` : "",
  ].filter(Boolean);
  return (
    `${edge(hist.lower)} to ${edge(last)} (${RANGES[hist.range] ?? hist.range})` +
    (outside.length ? `; ${outside.join(", ")}` : "; nothing outside")
  );
}

const signed = (/** @type {number} */ n, /** @type {string} */ text) =>
  `${n > 0 ? "+" : n < 0 ? "−" : "±"}${text}`;

/**
 * Every drift measure the API gives for a feature, one per line.
 * @param {Drift | undefined} d
 */
export function driftCell(d) {
  if (!d) return "—";
  /** @type {[string, string, string][]} */
  const lines = [];
  const nullDelta = d.null_rate_delta;
  lines.push([
    "null rate",
    nullDelta === null ? "—" : signed(nullDelta, `${(Math.abs(nullDelta) * 100).toFixed(1)} pp`),
    "Change of the null rate, in percentage points",
  ]);
  if (d.mean_delta !== undefined)
    lines.push([
      "mean",
      d.mean_delta === null ? "—" : signed(d.mean_delta, fmtValue(Math.abs(d.mean_delta))),
      "Change of the mean",
    ]);
  if (d.top_values_distance !== undefined)
    lines.push([
      "top values",
      d.top_values_distance === null ? "—" : fmtValue(d.top_values_distance),
      "Total variation distance between the label shares (0 same, 1 disjoint)",
    ]);
  return h(
    "dl",
    { class: "drift" },
    lines.flatMap(([term, value, why]) => [h("dt", { title: why }, term), h("dd", {}, value)]),
  );
}
