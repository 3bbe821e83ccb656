// @ts-check
/**
 * The histogram of a feature's stored bins: a count axis, value ticks on the bin edges, and the
 * values outside the robust range as separate under/overflow bars, so one outlier neither hides
 * nor flattens the rest.
 */
import { frame } from "./charts.js";
import { fmtInt, fmtValue, plural, svg } from "./dom.js";

/**
 * @typedef {{lower: number, upper: number, bin_width: number, counts: number[], underflow: number,
 *   overflow: number, range: string}} Histogram
 * @typedef {"number" | "integer" | "time" | "length"} Scale
 */

const DAY = 86_400;

/**
 * A bin edge as text: a date for time (precision from the bin width), else the number.
 * @param {number} value @param {Scale} scale @param {number} width
 */
export function fmtEdge(value, scale, width) {
  if (scale !== "time") return fmtValue(Number(value.toPrecision(10)));
  const iso = new Date(value * 1000).toISOString();
  if (width >= 365 * DAY) return iso.slice(0, 4);
  if (width >= 28 * DAY) return iso.slice(0, 7);
  if (width >= DAY) return iso.slice(0, 10);
  return `${iso.slice(5, 10)} ${iso.slice(11, 16)}`;
}

/**
 * What bin i holds, in words: "130 to 140", or "3" for an integer bin one value wide.
 * @param {Histogram} h @param {number} i @param {Scale} scale
 */
function binLabel(h, i, scale) {
  const from = h.lower + i * h.bin_width;
  const to = from + h.bin_width;
  if ((scale === "integer" || scale === "length") && h.bin_width === 1) return fmtEdge(from, scale, 1);
  if (scale === "integer" || scale === "length")
    return `${fmtEdge(from, scale, 1)} to ${fmtEdge(to - 1, scale, 1)}`;
  return `${fmtEdge(from, scale, h.bin_width)} to ${fmtEdge(to, scale, h.bin_width)}`;
}

/**
 * @param {{feature: string, histogram: Histogram, scale: Scale, axisLabel: string, nullCount?: number,
 *   marker?: {value: number, label: string} | null}} spec
 */
export function histogramChart({ feature, histogram: h, scale, axisLabel, nullCount, marker = null }) {
  const total = h.counts.reduce((a, b) => a + b, 0) + h.underflow + h.overflow;
  const share = (/** @type {number} */ n) => `${((100 * n) / Math.max(total, 1)).toFixed(1)}%`;
  const rows = (/** @type {number} */ n) => plural(n, "row");
  const lowerText = fmtEdge(h.lower, scale, h.bin_width);
  const upperText = fmtEdge(h.upper, scale, h.bin_width);
  const peak = h.counts.indexOf(Math.max(...h.counts));
  const description =
    `${rows(total)} in ${plural(h.counts.length, "bin")} from ${lowerText} to ${upperText}` +
    `${h.counts.length > 1 ? `, each ${scale === "time" ? fmtSpan(h.bin_width) : fmtValue(h.bin_width)} wide` : ""}; ` +
    `the fullest is ${binLabel(h, peak, scale)} with ${rows(h.counts[peak] ?? 0)}. ` +
    `${rows(h.underflow)} below ${lowerText}, ${rows(h.overflow)} at or above ${upperText}` +
    `${nullCount ? `; ${rows(nullCount)} null` : ""}.`;
  const [W, H, left, right, top, bottom] = [640, 268, 60, 16, 28, 62];
  const chart = frame(W, H, `Histogram of ${feature}`, description);
  const { top: yTop, step: yStep } = countScale(Math.max(...h.counts, h.underflow, h.overflow, 1));
  const plotH = H - top - bottom;
  const y = (/** @type {number} */ n) => top + plotH * (1 - n / yTop);

  // Out-of-range bars sit apart from the bins, past a gap, in a slot of their own.
  const [gap, outW] = [14, 26];
  const outside = (h.underflow ? 1 : 0) + (h.overflow ? 1 : 0);
  // Bins share the plot's width (a few integer bins, say 1–4 items a row, filled half of it at
  // 64 px each); only one or two are kept from becoming slabs.
  const binW = Math.min((W - left - right - outside * (gap + outW)) / h.counts.length, 180);
  const binsLeft = left + (h.underflow ? outW + gap : 0);
  const binsW = binW * h.counts.length;
  const x = (/** @type {number} */ value) => binsLeft + (binsW * (value - h.lower)) / (h.upper - h.lower);

  for (let tick = 0; tick <= yTop; tick += yStep) {
    chart.append(
      svg("line", { class: "grid", x1: left, x2: W - right, y1: y(tick), y2: y(tick) }),
      svg("text", { class: "axis", x: left - 6, y: y(tick) + 4, "text-anchor": "end" }, fmtInt(tick)),
    );
  }
  chart.append(svg("text", { class: "axis muted", x: left - 6, y: top - 12, "text-anchor": "end" }, "rows"));

  /** @param {number} x0 @param {number} width @param {number} n @param {string} cls @param {string} tip */
  const bar = (x0, width, n, cls, tip) => {
    const height = n > 0 ? Math.max(H - bottom - y(n), 1) : 0;
    chart.append(
      svg(
        "rect",
        { class: cls, x: x0 + 1, y: H - bottom - height, width: Math.max(width - 2, 1), height },
        svg("title", {}, tip),
      ),
    );
  };
  h.counts.forEach((n, i) => {
    bar(binsLeft + i * binW, binW, n, "bar", `${binLabel(h, i, scale)}: ${rows(n)} (${share(n)})`);
  });
  /** @param {number} x0 @param {number} n @param {string} label @param {string} tip */
  const outlier = (x0, n, label, tip) => {
    bar(x0, outW, n, "bar outside", `${tip}: ${rows(n)} (${share(n)})`);
    chart.append(
      svg("text", { class: "axis", x: x0 + outW / 2, y: y(n) - 5, "text-anchor": "middle" }, fmtInt(n)),
      svg(
        "text",
        // A line below the value ticks, so the tick on the range's edge never covers it.
        { class: "axis muted", x: x0 + outW / 2, y: H - bottom + 33, "text-anchor": "middle" },
        label,
      ),
    );
  };
  if (h.underflow) outlier(left, h.underflow, "below", `Below ${lowerText} (outside the binned range)`);
  if (h.overflow)
    outlier(
      binsLeft + binsW + gap,
      h.overflow,
      "above",
      `At or above ${upperText} (outside the binned range)`,
    );

  chart.append(
    svg("line", { class: "axis-line", x1: left, x2: W - right, y1: H - bottom, y2: H - bottom }),
    svg("line", { class: "axis-line", x1: left, x2: left, y1: top - 4, y2: H - bottom }),
  );
  valueTicks(h, scale).forEach(({ value, text }) => {
    chart.append(
      svg("line", { class: "tick", x1: x(value), x2: x(value), y1: H - bottom, y2: H - bottom + 5 }),
      svg("text", { class: "axis", x: x(value), y: H - bottom + 18, "text-anchor": "middle" }, text),
    );
  });
  chart.append(
    svg(
      "text",
      { class: "axis muted", x: binsLeft + binsW / 2, y: H - 6, "text-anchor": "middle" },
      axisLabel,
    ),
  );
  if (marker && marker.value >= h.lower && marker.value <= h.upper) {
    // A line on a value, not a bin: integer bins one wide are centred on theirs.
    const at = x(marker.value + ((scale === "integer" || scale === "length") && h.bin_width === 1 ? 0.5 : 0));
    const flip = at > W - right - 120;
    chart.append(
      svg("line", { class: "mean", x1: at, x2: at, y1: top - 6, y2: H - bottom }),
      svg(
        "text",
        { class: "mean-label", x: flip ? at - 4 : at + 4, y: top - 8, "text-anchor": flip ? "end" : "start" },
        marker.label,
      ),
    );
  }
  return chart;
}

/**
 * A count axis of three to five whole-number ticks, 1, 2, 2.5 or 5 times a power of ten apart,
 * whose top is just above the tallest bar.
 * @param {number} max
 */
export function countScale(max) {
  const raw = Math.max(max / 4, 1);
  const power = 10 ** Math.floor(Math.log10(raw));
  const step =
    [1, 2, 2.5, 5, 10].map((m) => m * power).find((s) => s >= raw && Number.isInteger(s)) ?? 10 * power;
  return { top: Math.ceil(max / step) * step, step };
}

/**
 * Up to seven labelled ticks on bin edges; integer bins one value wide are labelled at their
 * centre (the value itself).
 * @param {Histogram} h @param {Scale} scale
 * @returns {{value: number, text: string}[]}
 */
function valueTicks(h, scale) {
  const n = h.counts.length;
  // A spacing that lands on the last edge too, when one close to seven ticks does.
  const fewest = Math.max(1, Math.ceil(n / 7));
  const every = [fewest, fewest + 1, fewest + 2].find((k) => n % k === 0) ?? fewest;
  const ticks = [];
  if ((scale === "integer" || scale === "length") && h.bin_width === 1) {
    for (let i = 0; i < n; i += every) {
      const value = h.lower + i;
      ticks.push({ value: value + 0.5, text: fmtEdge(value, scale, 1) });
    }
    return ticks;
  }
  for (let i = 0; i <= n; i += every) {
    const value = h.lower + i * h.bin_width;
    ticks.push({ value, text: fmtEdge(value, scale, h.bin_width) });
  }
  return ticks;
}

/** A bin width in time: "7 days", "1 h". @param {number} seconds */
function fmtSpan(seconds) {
  if (seconds >= 365 * DAY) return plural(seconds / (365 * DAY), "year");
  if (seconds >= DAY) return plural(seconds / DAY, "day");
  if (seconds >= 3600) return `${fmtValue(seconds / 3600)} h`;
  if (seconds >= 60) return `${fmtValue(seconds / 60)} min`;
  return `${fmtValue(seconds)} s`;
}
