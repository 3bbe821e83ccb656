// @ts-check
import { api, enc } from "../api.js";
import {
  badge,
  catalogBreadcrumb,
  errorBox,
  facts,
  fmtAge,
  fmtDate,
  fmtInt,
  freshnessBadge,
  h,
  loading,
  table,
} from "../dom.js";
import { viewHref } from "./catalog.js";
import { chartable, driftCell, pct, statsChart, statsFacts, summary } from "./view-stats.js";

/**
 * @typedef {import("./view-stats.js").ColumnStats} ColumnStats
 * @typedef {import("./catalog.js").ViewVersion & {statistics: {rows: number, run_id: number, run_finished_at: string,
 *   features: Record<string, ColumnStats>} | null,
 *   drift: {against: string, features: Record<string, import("./view-stats.js").Drift>} | null,
 *   successor: string | null, watermark: string | null,
 *   last_run: {mode: string, status: string, duration_ms: number | null, error: string | null, finished_at: string | null} | null,
 *   compiled: {ddl: string, select: {text: string}}}} Detail
 */

/**
 * @param {HTMLElement} root
 * @param {{path: string[], query: URLSearchParams}} route
 */
export async function renderView(root, route) {
  const [, name = "", version = ""] = route.path;
  const body = h("div", {}, loading());
  root.append(catalogBreadcrumb(`${name}@${version}`), h("h1", {}, `${name}@${version}`), body);
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
    const chart = s
      ? statsChart(feature, s)
      : h("p", {}, "No statistics yet: they are counted after the view's first materialization.");
    const counted = view.statistics;
    statsArea.replaceChildren(
      heading,
      counted
        ? h("p", {}, `Every row as of run ${counted.run_id}, ${fmtDate(counted.run_finished_at)}.`)
        : "",
      h("div", { class: "stats-body" }, [
        h("div", { class: "chart-area" }, chart),
        facts(s ? statsFacts(s) : []),
      ]),
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
      driftCell(d),
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
    facts([
      ["Entity", view.entity],
      ["Owner", view.owner ?? "—"],
      ["Tags", view.tags.join(", ") || "—"],
      [
        "Versions",
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
      ],
    ]),
    h("section", { "aria-labelledby": "fresh-heading" }, [
      h("h2", { id: "fresh-heading" }, "Freshness"),
      h("dl", { class: "facts" }, [
        h("dt", {}, "Objective"),
        h("dd", {}, [
          `served within ${fmtAge(view.freshness.objective_seconds)} `,
          freshnessBadge(view.freshness),
          view.freshness.lag_seconds
            ? h(
                "span",
                { class: "hint" },
                ` oldest unserved change ${fmtAge(view.freshness.lag_seconds)} ago`,
              )
            : null,
        ]),
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
      h("p", {}, "No statistics yet: they are counted after the view's first materialization."),
    );
}
