// @ts-check
import { api } from "../api.js";
import { barChart, gauge } from "../charts.js";
import { errorBox, fmtBytes, fmtDuration, fmtInt, h, loading, plural, table, uid } from "../dom.js";

const DAYS = 14;
const POLICY_TEXT = {
  requests: "Requests this minute",
  rows: "Rows today (UTC)",
  downloads: "Downloads today (UTC)",
  bytes: "Download bytes today (UTC)",
};

/**
 * @typedef {{policy: "requests" | "rows" | "downloads" | "bytes", limit: number, remaining: number, reset_seconds: number}} Window
 * @typedef {{day: string, requests: number, rows: number, downloads: number, bytes: number, rejected: number}} Day
 * @typedef {{tier: string, limits: {requests: number | null, rows: number | null, downloads: number | null, bytes: number | null}, windows: Window[], history: Day[]}} Usage
 */

/** The last `count` UTC days, oldest first, with zeros where nothing was used. */
function lastDays(/** @type {Day[]} */ history, /** @type {number} */ count) {
  const byDay = new Map(history.map((d) => [d.day, d]));
  const today = Date.UTC(new Date().getUTCFullYear(), new Date().getUTCMonth(), new Date().getUTCDate());
  return Array.from({ length: count }, (_, i) => {
    const day = new Date(today - (count - 1 - i) * 86_400_000).toISOString().slice(0, 10);
    return byDay.get(day) ?? { day, requests: 0, rows: 0, downloads: 0, bytes: 0, rejected: 0 };
  });
}

/**
 * @param {HTMLElement} root
 */
export async function renderUsage(root) {
  const body = h("div", {}, loading());
  root.append(h("h1", {}, "Usage and quotas"), body);
  /** @type {Usage} */
  let usage;
  try {
    usage = await api("v1/usage", { query: { days: 30 } });
  } catch (error) {
    body.replaceChildren(errorBox(error));
    return;
  }
  const unlimited = Object.values(usage.limits).every((v) => v === null);
  const windows = usage.windows.map((w) => {
    const used = w.limit - w.remaining;
    const label = POLICY_TEXT[w.policy] ?? w.policy;
    const amount = w.policy === "bytes" ? fmtBytes : fmtInt;
    return h("div", { class: "quota" }, [
      h("div", { class: "quota-head" }, [
        h("strong", {}, label),
        h(
          "span",
          {},
          `${amount(used)} of ${amount(w.limit)} used · resets in ${fmtDuration(w.reset_seconds)}`,
        ),
      ]),
      gauge({ label, used, limit: w.limit }),
    ]);
  });

  const days = lastDays(usage.history, DAYS);
  const metricId = uid("metric");
  const select = h(
    "select",
    { id: metricId },
    ["requests", "rows", "downloads", "rejected"].map((m) =>
      h("option", { value: m }, m === "rejected" ? "rejected requests (429)" : m),
    ),
  );
  const chartArea = h("div", { class: "chart-area" });
  const drawChart = () => {
    const metric = /** @type {"requests" | "rows" | "downloads" | "rejected"} */ (select.value);
    // Rows and downloads have daily quotas; requests are limited per minute, so no line for them.
    const limit = metric === "rows" || metric === "downloads" ? (usage.limits[metric] ?? null) : null;
    const values = days.map((d) => d[metric]);
    chartArea.replaceChildren(
      barChart({
        title: `${metric} per day, last ${DAYS} days`,
        description:
          days.map((d) => `${d.day}: ${fmtInt(d[metric])}`).join("; ") +
          (limit === null ? "" : `. Daily quota ${fmtInt(limit)}.`),
        labels: days.map((d) => d.day.slice(5)),
        values,
        limit,
        limitLabel: "daily quota",
      }),
    );
  };
  select.addEventListener("change", drawChart);
  drawChart();

  body.replaceChildren(
    h("p", { class: "lead" }, [
      "Tier ",
      h("strong", {}, usage.tier),
      unlimited
        ? ": no limits."
        : `: ${[
            usage.limits.requests === null ? null : `${plural(usage.limits.requests, "request")} per minute`,
            usage.limits.rows === null ? null : `${fmtInt(usage.limits.rows)} entity rows per day`,
            usage.limits.downloads === null ? null : `${plural(usage.limits.downloads, "download")} per day`,
            usage.limits.bytes === null ? null : `${fmtBytes(usage.limits.bytes)} of downloads per day`,
          ]
            .filter(Boolean)
            .join(", ")}.`,
    ]),
    h("section", { "aria-labelledby": "now-heading" }, [
      h("h2", { id: "now-heading" }, "Right now"),
      windows.length ? h("div", { class: "quotas" }, windows) : h("p", {}, "No quota applies to this key."),
    ]),
    h("section", { "aria-labelledby": "history-heading" }, [
      h("h2", { id: "history-heading" }, "Daily history"),
      h("div", { class: "field inline" }, [h("label", { for: metricId }, "Show"), select]),
      chartArea,
      h("details", {}, [
        h("summary", {}, "The same numbers as a table"),
        table({
          caption: "Usage per UTC day, newest first",
          headers: ["Day", "Requests", "Rows", "Downloads", "Rejected (429)"],
          rows: usage.history.map((d) => [
            d.day,
            fmtInt(d.requests),
            fmtInt(d.rows),
            fmtInt(d.downloads),
            fmtInt(d.rejected),
          ]),
        }),
      ]),
    ]),
  );
}
