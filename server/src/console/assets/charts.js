// @ts-check
/**
 * Inline SVG charts. Each is one role="img" with a title and a description that states the data
 * in words, so a screen reader gets what the picture shows; colours come from the stylesheet.
 */
import { fmtValue, plural, svg, uid } from "./dom.js";

/**
 * @param {number} width
 * @param {number} height
 * @param {string} title
 * @param {string} description
 */
export function frame(width, height, title, description) {
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

/**
 * A round top for an axis; for whole counts a whole one (no 2.5 × 10ⁿ below 10).
 * @param {number} max
 * @param {boolean} [whole]
 */
export function niceCeiling(max, whole = false) {
  if (max <= 0) return 1;
  const step = 10 ** Math.floor(Math.log10(max));
  const multiples = whole && step < 10 ? [1, 2, 5, 10] : [1, 2, 2.5, 5, 10];
  for (const m of multiples) if (m * step >= max) return m * step;
  return 10 * step;
}

/**
 * The axis ticks: 0, the middle and the top, the middle left out when it would be a fraction
 * of a whole count (a day's 1 download is not read against 0.5).
 * @param {number} top
 * @param {boolean} whole
 */
export function axisTicks(top, whole) {
  return whole && !Number.isInteger(top / 2) ? [0, top] : [0, top / 2, top];
}

/**
 * Vertical bars, one per label, with an optional dashed limit line (a daily quota).
 * @param {{title: string, description: string, labels: string[], values: number[],
 *   limit?: number | null, limitLabel?: string}} spec
 */
export function barChart({ title, description, labels, values, limit = null, limitLabel = "limit" }) {
  const [W, H, left, right, top, bottom] = [640, 230, 56, 16, 16, 40];
  const chart = frame(W, H, title, description);
  const whole = values.every(Number.isInteger) && (limit === null || Number.isInteger(limit));
  const top_ = niceCeiling(Math.max(...values, limit ?? 0, 1), whole);
  const y = (/** @type {number} */ v) => top + (H - top - bottom) * (1 - v / top_);
  for (const tick of axisTicks(top_, whole)) {
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
 * Horizontal bars for the most frequent values, scaled to the most frequent one; the rest of
 * the rows is one line of text, since a bar for it would dwarf the others.
 * @param {{feature: string, count: number, distinct?: number, top: {value: unknown, count: number}[]}} spec
 */
export function topValuesChart({ feature, count, distinct, top }) {
  const rows = top.map((t) => ({ label: fmtValue(t.value), count: t.count }));
  const rest = count - rows.reduce((sum, r) => sum + r.count, 0);
  const pct = (/** @type {number} */ n) => `${((100 * n) / Math.max(count, 1)).toFixed(1)}%`;
  const others = distinct === undefined ? "other values" : plural(distinct - rows.length, "other value");
  const restText =
    rest > 0
      ? `${plural(rest, "row")} (${pct(rest)}) ${rest === 1 ? "has" : "have"} one of the ${others}`
      : "";
  const description =
    rows.map((r) => `${r.label}: ${plural(r.count, "row")} (${pct(r.count)})`).join("; ") +
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

/**
 * A scatter of projected vectors: the query as a diamond, its neighbours as numbered dots and
 * the context as small grey dots, with a legend; axes are unitless (a projection), so only named.
 * @param {{title: string, description: string, xLabel: string, yLabel: string,
 *   points: {x: number, y: number, kind: "query" | "neighbour" | "context", label: string, rank?: number}[]}} spec
 */
export function scatterChart({ title, description, xLabel, yLabel, points }) {
  const [W, H, pad, legendH] = [640, 440, 34, 28];
  const chart = frame(W, H, title, description);
  chart.classList.add("scatter");
  const xs = points.map((p) => p.x);
  const ys = points.map((p) => p.y);
  const span = (/** @type {number[]} */ v) => Math.max(Math.max(...v) - Math.min(...v), 1e-9);
  const sx = (/** @type {number} */ x) => pad + ((W - 2 * pad) * (x - Math.min(...xs))) / span(xs);
  const sy = (/** @type {number} */ y) =>
    legendH + pad + ((H - legendH - 2 * pad) * (Math.max(...ys) - y)) / span(ys);
  chart.append(
    svg("rect", { class: "plot", x: 1, y: legendH, width: W - 2, height: H - legendH - 1, rx: 6 }),
    svg("text", { class: "axis", x: W / 2, y: H - 8, "text-anchor": "middle" }, xLabel),
    svg(
      "text",
      {
        class: "axis",
        x: 14,
        y: (H + legendH) / 2,
        transform: `rotate(-90 14 ${(H + legendH) / 2})`,
        "text-anchor": "middle",
      },
      yLabel,
    ),
  );
  // Context first, so neighbours and the query are drawn over it.
  const order = { context: 0, neighbour: 1, query: 2 };
  for (const p of [...points].sort((a, b) => order[a.kind] - order[b.kind])) {
    const [x, y] = [sx(p.x), sy(p.y)];
    const tip = svg("title", {}, p.label);
    if (p.kind === "query") {
      chart.append(
        svg(
          "path",
          { class: "point query", d: `M${x} ${y - 9}L${x + 9} ${y}L${x} ${y + 9}L${x - 9} ${y}Z` },
          tip,
        ),
      );
    } else if (p.kind === "neighbour") {
      chart.append(
        svg("circle", { class: "point neighbour", cx: x, cy: y, r: 8 }, tip),
        svg("text", { class: "point-label", x, y: y + 3.5, "text-anchor": "middle" }, String(p.rank ?? "")),
      );
    } else {
      chart.append(svg("circle", { class: "point context", cx: x, cy: y, r: 3.5 }, tip));
    }
  }
  const legend = [
    ["query", "the query"],
    ["neighbour", "its neighbours, by rank"],
    ["context", "the next nearest, for context"],
  ];
  legend.forEach(([kind, text], i) => {
    const x = 10 + i * 210;
    chart.append(
      kind === "query"
        ? svg("path", { class: "point query", d: `M${x + 6} 6L${x + 12} 12L${x + 6} 18L${x} 12Z` })
        : svg("circle", { class: `point ${kind}`, cx: x + 6, cy: 12, r: kind === "context" ? 3.5 : 6 }),
      svg("text", { class: "axis", x: x + 18, y: 16 }, text),
    );
  });
  return chart;
}
