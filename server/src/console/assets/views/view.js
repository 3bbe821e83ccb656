// @ts-check
import { api, enc } from "../api.js";
import { quantileHistogram, topValuesChart } from "../charts.js";
import { badge, errorBox, fmtAge, fmtDate, fmtInt, fmtValue, h, loading, table } from "../dom.js";
import { viewHref } from "./catalog.js";

/**
 * @typedef {{type: string, count: number, null_rate: number | null, distinct_count?: number, min?: unknown,
 *   max?: unknown, mean?: number | null, quantiles?: Record<string, number> | null, mean_length?: number | null,
 *   top_values?: {value: unknown, count: number}[] | null}} ColumnStats
 * @typedef {import("./catalog.js").ViewVersion & {statistics: {rows: number, features: Record<string, ColumnStats>} | null,
 *   drift: {against: string, features: Record<string, {null_rate_delta: number | null, mean_delta?: number | null}>} | null,
 *   successor: string | null, watermark: string | null,
 *   last_run: {mode: string, status: string, duration_ms: number | null, error: string | null, finished_at: string | null} | null,
 *   compiled: {ddl: string, select: {text: string}}}} Detail
 */

const pct = (/** @type {number | null | undefined} */ rate) =>
  rate === null || rate === undefined ? "—" : `${(rate * 100).toFixed(1)}%`;

/** @param {ColumnStats | undefined} stats */
function summary(stats) {
  if (!stats) return "—";
  if (stats.quantiles && stats.mean !== undefined) return `mean ${fmtValue(stats.mean)}`;
  const top = stats.top_values?.[0];
  if (top) return `top ${fmtValue(top.value)} (${fmtInt(top.count)})`;
  if (stats.mean_length !== undefined && stats.mean_length !== null)
    return `mean length ${fmtValue(stats.mean_length)}`;
  return "—";
}

const chartable = (/** @type {ColumnStats | undefined} */ s) =>
  Boolean(
    s && ((s.quantiles && typeof s.min === "number" && typeof s.max === "number") || s.top_values?.length),
  );

/**
 * @param {HTMLElement} root
 * @param {{path: string[], query: URLSearchParams}} route
 */
export async function renderView(root, route) {
  const [, name = "", version = ""] = route.path;
  const body = h("div", {}, loading());
  root.append(
    h(
      "nav",
      { "aria-label": "Breadcrumb", class: "breadcrumb" },
      h("ol", {}, [
        h("li", {}, h("a", { href: "#/catalog" }, "Feature catalog")),
        h("li", { "aria-current": "page" }, `${name}@${version}`),
      ]),
    ),
    h("h1", {}, `${name}@${version}`),
    body,
  );
  /** @type {[Detail, {versions: import("./catalog.js").ViewVersion[]}]} */
  let data;
  try {
    data = await Promise.all([
      api(`v1/registry/views/${enc(name)}/versions/${enc(version)}`),
      api(`v1/registry/views/${enc(name)}`),
    ]);
  } catch (error) {
    body.replaceChildren(errorBox(error));
    return;
  }
  const [view, { versions }] = data;
  const stats = view.statistics?.features ?? {};
  const statsArea = h("section", { class: "stats", "aria-labelledby": "stats-heading" });

  /** @param {string} feature @param {boolean} focus */
  const showStats = (feature, focus) => {
    const s = stats[feature];
    const heading = h("h2", { id: "stats-heading", tabindex: -1 }, `Statistics: ${feature}`);
    const chart = !s
      ? h("p", {}, "No statistics yet: they are computed by a full materialization.")
      : s.quantiles && typeof s.min === "number" && typeof s.max === "number"
        ? quantileHistogram({
            feature,
            min: s.min,
            max: s.max,
            mean: s.mean,
            count: s.count,
            quantiles: s.quantiles,
          })
        : s.top_values?.length
          ? topValuesChart({ feature, count: s.count, distinct: s.distinct_count, top: s.top_values })
          : h("p", {}, "No chart for this type.");
    const facts = s
      ? [
          ["type", s.type],
          ["non-null rows", fmtInt(s.count)],
          ["null rate", pct(s.null_rate)],
          ["distinct", s.distinct_count === undefined ? undefined : fmtInt(s.distinct_count)],
          ["min", s.min === undefined ? undefined : fmtValue(s.min)],
          ...Object.entries(s.quantiles ?? {}).map(([q, v]) => [q, fmtValue(v)]),
          ["max", s.max === undefined ? undefined : fmtValue(s.max)],
          ["mean", s.mean === undefined || s.mean === null ? undefined : fmtValue(s.mean)],
          [
            "mean length",
            s.mean_length === undefined || s.mean_length === null ? undefined : fmtValue(s.mean_length),
          ],
        ].filter((pair) => pair[1] !== undefined)
      : [];
    statsArea.replaceChildren(
      heading,
      h("div", { class: "chart-area" }, chart),
      h(
        "dl",
        { class: "facts" },
        facts.flatMap(([k, v]) => [h("dt", {}, k), h("dd", {}, v)]),
      ),
    );
    for (const button of document.querySelectorAll("button[data-feature]")) {
      button.setAttribute("aria-pressed", String(button.getAttribute("data-feature") === feature));
    }
    // A deep link to the chart, without a new history entry or a re-render.
    history.replaceState(null, "", `${viewHref(name, view.version)}?feature=${enc(feature)}`);
    if (focus) heading.focus();
  };

  const drift = view.drift?.features ?? {};
  const featureRows = view.features.map((f) => {
    const s = stats[f.name];
    const d = drift[f.name];
    const button = chartable(s)
      ? h(
          "button",
          {
            type: "button",
            class: "secondary small",
            "data-feature": f.name,
            "aria-pressed": "false",
            "aria-controls": "stats-heading",
            "aria-label": `Chart ${f.name}`,
          },
          "Chart",
        )
      : null;
    button?.addEventListener("click", () => showStats(f.name, true));
    return [
      h("code", {}, f.name),
      f.type,
      f.description,
      pct(s?.null_rate),
      summary(s),
      d
        ? `null ${d.null_rate_delta === null ? "—" : `${d.null_rate_delta >= 0 ? "+" : ""}${pct(d.null_rate_delta)}`}`
        : "—",
      button ?? "",
    ];
  });

  const run = view.last_run;
  body.replaceChildren(
    h("p", { class: "lead" }, [badge(view.status), " ", view.description]),
    view.status === "deprecated" && view.sunset_date
      ? h(
          "p",
          { class: "notice warning" },
          `Deprecated: served until ${view.sunset_date}${view.successor ? `; move to ${view.successor}` : ""}.`,
        )
      : "",
    h("dl", { class: "facts" }, [
      h("dt", {}, "Entity"),
      h("dd", {}, view.entity),
      h("dt", {}, "Owner"),
      h("dd", {}, view.owner ?? "—"),
      h("dt", {}, "Tags"),
      h("dd", {}, view.tags.join(", ") || "—"),
      h("dt", {}, "Versions"),
      h(
        "dd",
        {},
        h(
          "ul",
          { class: "versions" },
          versions
            .sort((a, b) => a.version - b.version)
            .map((v) =>
              h("li", {}, [
                v.version === view.version
                  ? h("span", { "aria-current": "page" }, `v${v.version}`)
                  : h("a", { href: viewHref(v.name, v.version) }, `v${v.version}`),
                " ",
                badge(v.status),
              ]),
            ),
        ),
      ),
    ]),
    h("section", { "aria-labelledby": "fresh-heading" }, [
      h("h2", { id: "fresh-heading" }, "Freshness"),
      h("dl", { class: "facts" }, [
        h("dt", {}, "Last materialized"),
        h(
          "dd",
          {},
          view.last_materialized_at
            ? `${fmtAge(view.freshness_seconds)} (${fmtDate(view.last_materialized_at)})`
            : "never",
        ),
        h("dt", {}, "Rows"),
        h("dd", {}, view.row_count === null ? "—" : fmtInt(view.row_count)),
        h("dt", {}, "Newest source data"),
        h("dd", {}, fmtDate(view.watermark)),
        h("dt", {}, "Last run"),
        h(
          "dd",
          {},
          run
            ? [
                `${run.mode}, `,
                badge(run.status),
                run.duration_ms === null ? "" : `, ${fmtInt(run.duration_ms)} ms`,
                run.error ? ` — ${run.error}` : "",
              ]
            : "none",
        ),
      ]),
    ]),
    h("section", { "aria-labelledby": "features-heading" }, [
      h("h2", { id: "features-heading" }, `Features (${view.features.length})`),
      table({
        caption: `Features of ${view.ref}`,
        captionHidden: true,
        headers: [
          "Feature",
          "Type",
          "Description",
          "Null rate",
          "Summary",
          view.drift ? `Drift vs ${view.drift.against}` : "Drift",
          h("span", { class: "visually-hidden" }, "Chart"),
        ],
        rows: featureRows,
      }),
    ]),
    statsArea,
    h("details", {}, [
      h("summary", {}, "Compiled SQL"),
      h("pre", {}, h("code", {}, `${view.compiled.ddl}\n\n${view.compiled.select.text}`)),
    ]),
  );
  const wanted = route.query.get("feature");
  const first = wanted && stats[wanted] ? wanted : view.features.find((f) => chartable(stats[f.name]))?.name;
  if (first) showStats(first, false);
  else
    statsArea.replaceChildren(
      h("h2", { id: "stats-heading" }, "Statistics"),
      h("p", {}, "No statistics yet: they are computed by a full materialization."),
    );
}
