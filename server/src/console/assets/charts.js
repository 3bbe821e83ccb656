// @ts-check
/**
 * Inline SVG charts. Each is one role="img" with a title and a description that states the data
 * in words, so a screen reader gets what the picture shows; colours come from the stylesheet.
 */
import { fmtValue, svg, uid } from "./dom.js";

/**
 * @param {number} width
 * @param {number} height
 * @param {string} title
 * @param {string} description
 */
function frame(width, height, title, description) {
  const titleId = uid("chart-title");
  const descId = uid("chart-desc");
  return svg(
    "svg",
    {
      class: "chart",
      viewBox: `0 0 ${width} ${height}`,
      role: "img",
      "aria-labelledby": `${titleId} ${descId}`,
      preserveAspectRatio: "xMinYMin meet",
    },
    [svg("title", { id: titleId }, title), svg("desc", { id: descId }, description)],
  );
}

/** @param {number} max */
function niceCeiling(max) {
  if (max <= 0) return 1;
  const step = 10 ** Math.floor(Math.log10(max));
  for (const m of [1, 2, 2.5, 5, 10]) if (m * step >= max) return m * step;
  return 10 * step;
}

/**
 * Vertical bars, one per label, with an optional dashed limit line (a daily quota).
 * @param {{title: string, description: string, labels: string[], values: number[],
 *   limit?: number | null, limitLabel?: string}} spec
 */
export function barChart({ title, description, labels, values, limit = null, limitLabel = "limit" }) {
  const [W, H, left, right, top, bottom] = [640, 230, 56, 16, 16, 40];
  const chart = frame(W, H, title, description);
  const top_ = niceCeiling(Math.max(...values, limit ?? 0, 1));
  const y = (/** @type {number} */ v) => top + (H - top - bottom) * (1 - v / top_);
  for (const tick of [0, top_ / 2, top_]) {
    chart.append(
      svg("line", { class: "grid", x1: left, x2: W - right, y1: y(tick), y2: y(tick) }),
      svg("text", { class: "axis", x: left - 6, y: y(tick) + 4, "text-anchor": "end" }, fmtValue(tick)),
    );
  }
  const step = (W - left - right) / Math.max(values.length, 1);
  const every = Math.ceil(values.length / 7);
  values.forEach((value, i) => {
    const x = left + i * step;
    const barTop = y(value);
    chart.append(
      svg(
        "rect",
        {
          class: "bar",
          x: x + step * 0.15,
          y: barTop,
          width: step * 0.7,
          height: Math.max(H - bottom - barTop, 0),
        },
        svg("title", {}, `${labels[i]}: ${fmtValue(value)}`),
      ),
    );
    // Counted from the end, so the newest bar (today) always has its label.
    if ((values.length - 1 - i) % every === 0) {
      chart.append(
        svg(
          "text",
          { class: "axis", x: x + step / 2, y: H - bottom + 16, "text-anchor": "middle" },
          labels[i],
        ),
      );
    }
  });
  if (limit !== null) {
    chart.append(
      svg("line", { class: "limit", x1: left, x2: W - right, y1: y(limit), y2: y(limit) }),
      svg(
        "text",
        { class: "limit-label", x: W - right, y: y(limit) - 5, "text-anchor": "end" },
        `${limitLabel} ${fmtValue(limit)}`,
      ),
    );
  }
  chart.append(svg("line", { class: "axis-line", x1: left, x2: W - right, y1: H - bottom, y2: H - bottom }));
  return chart;
}

/**
 * A histogram from the stored quantiles: the rows between two consecutive quantiles are a known
 * share, so bar area is that share and height is share per unit of the value (bins are not equal).
 * @param {{feature: string, min: number, max: number, mean?: number | null, count: number,
 *   quantiles: Record<string, number>}} stats
 */
export function quantileHistogram({ feature, min, max, mean = null, count, quantiles }) {
  const points = Object.entries(quantiles)
    .map(([name, value]) => ({ p: Number(name.replace(/^p/, "")) / 100, value }))
    .filter((q) => Number.isFinite(q.p) && Number.isFinite(q.value))
    .sort((a, b) => a.p - b.p);
  const edges = [{ p: 0, value: min }, ...points, { p: 1, value: max }];
  const bins = edges.slice(1).map((end, i) => {
    const start = /** @type {{p: number, value: number}} */ (edges[i]);
    return {
      from: start.value,
      to: end.value,
      share: end.p - start.p,
      label: `p${Math.round(start.p * 100)}–p${Math.round(end.p * 100)}`,
    };
  });
  const median = points.find((q) => q.p === 0.5)?.value;
  const description =
    `Distribution of ${feature} over ${fmtValue(count)} non-null rows: minimum ${fmtValue(min)}, ` +
    `${median === undefined ? "" : `median ${fmtValue(median)}, `}maximum ${fmtValue(max)}. ` +
    bins
      .map((b) => `${Math.round(b.share * 100)}% between ${fmtValue(b.from)} and ${fmtValue(b.to)}`)
      .join("; ") +
    ".";
  const [W, H, left, right, top, bottom] = [640, 240, 16, 16, 24, 48];
  const chart = frame(W, H, `Histogram of ${feature}`, description);
  const range = max - min;
  if (range <= 0) {
    chart.append(
      svg("rect", { class: "bar", x: W / 2 - 20, y: top, width: 40, height: H - top - bottom }),
      svg(
        "text",
        { class: "axis", x: W / 2, y: H - bottom + 18, "text-anchor": "middle" },
        `every value is ${fmtValue(min)}`,
      ),
    );
    return chart;
  }
  const x = (/** @type {number} */ v) => left + ((W - left - right) * (v - min)) / range;
  // A bin of zero width (many equal values) is drawn 1% wide so its share stays visible.
  const minWidth = range * 0.01;
  const densities = bins.map((b) => b.share / Math.max(b.to - b.from, minWidth));
  const peak = Math.max(...densities);
  bins.forEach((bin, i) => {
    const from = bin.to - bin.from < minWidth ? bin.from - minWidth / 2 : bin.from;
    const to = Math.max(bin.to, from + minWidth);
    const height = ((H - top - bottom) * (densities[i] ?? 0)) / peak;
    chart.append(
      svg(
        "rect",
        { class: "bar", x: x(from), y: H - bottom - height, width: Math.max(x(to) - x(from) - 1, 1), height },
        svg(
          "title",
          {},
          `${bin.label}: ${fmtValue(bin.from)} to ${fmtValue(bin.to)}, ${Math.round(bin.share * 100)}% of rows`,
        ),
      ),
    );
  });
  chart.append(svg("line", { class: "axis-line", x1: left, x2: W - right, y1: H - bottom, y2: H - bottom }));
  const ticks = [
    { value: min, text: `min ${fmtValue(min)}` },
    { value: max, text: `max ${fmtValue(max)}` },
  ];
  if (median !== undefined) ticks.splice(1, 0, { value: median, text: `median ${fmtValue(median)}` });
  ticks.forEach((tick, i) => {
    const anchor = i === 0 ? "start" : i === ticks.length - 1 ? "end" : "middle";
    chart.append(
      svg("line", {
        class: "tick",
        x1: x(tick.value),
        x2: x(tick.value),
        y1: H - bottom,
        y2: H - bottom + 5,
      }),
      svg("text", { class: "axis", x: x(tick.value), y: H - bottom + 20, "text-anchor": anchor }, tick.text),
    );
  });
  if (mean !== null && mean >= min && mean <= max) {
    chart.append(
      svg("line", { class: "mean", x1: x(mean), x2: x(mean), y1: top - 8, y2: H - bottom }),
      svg("text", { class: "mean-label", x: x(mean) + 4, y: top - 10 }, `mean ${fmtValue(mean)}`),
    );
  }
  return chart;
}

/**
 * Horizontal bars for the most frequent values, scaled to the most frequent one; the rest of
 * the rows is one line of text, since a bar for it would dwarf the others.
 * @param {{feature: string, count: number, distinct?: number, top: {value: unknown, count: number}[]}} spec
 */
export function topValuesChart({ feature, count, distinct, top }) {
  const rows = top.map((t) => ({ label: fmtValue(t.value), count: t.count }));
  const rest = count - rows.reduce((sum, r) => sum + r.count, 0);
  const pct = (/** @type {number} */ n) => `${((100 * n) / Math.max(count, 1)).toFixed(1)}%`;
  const others = distinct === undefined ? "other values" : `${fmtValue(distinct - rows.length)} other values`;
  const restText = rest > 0 ? `${fmtValue(rest)} rows (${pct(rest)}) have one of the ${others}` : "";
  const description =
    rows.map((r) => `${r.label}: ${fmtValue(r.count)} rows (${pct(r.count)})`).join("; ") +
    (restText ? `; ${restText}.` : ".");
  const [W, rowH, labelW, valueW] = [640, 30, 190, 110];
  const H = rows.length * rowH + (restText ? rowH : 0) + 8;
  const chart = frame(W, H, `Most frequent values of ${feature}`, description);
  const widest = Math.max(...rows.map((r) => r.count), 1);
  rows.forEach((row, i) => {
    const y = 4 + i * rowH;
    const label = row.label.length > 26 ? `${row.label.slice(0, 25)}…` : row.label;
    const width = ((W - labelW - valueW) * row.count) / widest;
    chart.append(
      svg("text", { class: "axis", x: labelW - 8, y: y + rowH / 2 + 4, "text-anchor": "end" }, [
        label,
        svg("title", {}, row.label),
      ]),
      svg("rect", { class: "bar", x: labelW, y: y + 5, width: Math.max(width, 1), height: rowH - 10 }),
      svg(
        "text",
        { class: "axis", x: labelW + width + 6, y: y + rowH / 2 + 4 },
        `${fmtValue(row.count)} (${pct(row.count)})`,
      ),
    );
  });
  if (restText)
    chart.append(
      svg("text", { class: "axis muted", x: labelW, y: 4 + rows.length * rowH + rowH / 2 + 4 }, restText),
    );
  return chart;
}

/**
 * How much of a quota is used.
 * @param {{label: string, used: number, limit: number}} spec
 */
export function gauge({ label, used, limit }) {
  const share = Math.min(used / Math.max(limit, 1), 1);
  const chart = frame(
    400,
    18,
    label,
    `${fmtValue(used)} of ${fmtValue(limit)} used (${Math.round(share * 100)}%)`,
  );
  chart.classList.add("gauge");
  chart.append(
    svg("rect", { class: "track", x: 0, y: 0, width: 400, height: 18, rx: 4 }),
    svg("rect", {
      class: share >= 0.9 ? "bar warn" : "bar",
      x: 0,
      y: 0,
      width: 400 * share,
      height: 18,
      rx: 4,
    }),
  );
  return chart;
}
