// @ts-check
/**
 * DOM helpers. Text reaches the page only as text nodes and attribute values: the page's CSP
 * enforces Trusted Types with no policy, so any HTML-string sink would throw.
 */

/** @typedef {string | number | Node | null | undefined | false} Child */
/** @typedef {Record<string, string | number | boolean | null | undefined | ((event: any) => void)>} Attrs */

/**
 * @param {Element} node
 * @param {Attrs} attrs
 */
function applyAttrs(node, attrs) {
  for (const [name, value] of Object.entries(attrs)) {
    if (value === undefined || value === null || value === false) continue;
    if (typeof value === "function") node.addEventListener(name.slice(2).toLowerCase(), value);
    else node.setAttribute(name, value === true ? "" : String(value));
  }
}

/**
 * @param {Node} node
 * @param {Child | Child[]} children
 */
function append(node, children) {
  for (const child of Array.isArray(children) ? children : [children]) {
    if (child === null || child === undefined || child === false) continue;
    node.appendChild(typeof child === "object" ? child : document.createTextNode(String(child)));
  }
}

/**
 * @template {keyof HTMLElementTagNameMap} K
 * @param {K} tag
 * @param {Attrs} [attrs]
 * @param {Child | Child[]} [children]
 * @returns {HTMLElementTagNameMap[K]}
 */
export function h(tag, attrs = {}, children = []) {
  const node = document.createElement(tag);
  applyAttrs(node, attrs);
  append(node, children);
  return node;
}

/**
 * A facts list: each [term, value] pair as a dt and its dd.
 * @param {[string, Child | Child[]][]} pairs
 */
export function facts(pairs) {
  return h(
    "dl",
    { class: "facts" },
    pairs.flatMap(([term, value]) => [h("dt", {}, term), h("dd", {}, value)]),
  );
}

/**
 * The breadcrumb of a page under the feature catalog.
 * @param {string} current
 */
export function catalogBreadcrumb(current) {
  return h(
    "nav",
    { "aria-label": "Breadcrumb", class: "breadcrumb" },
    h("ol", {}, [
      h("li", {}, h("a", { href: "#/catalog" }, "Feature catalog")),
      h("li", { "aria-current": "page" }, current),
    ]),
  );
}

/**
 * @param {string} tag
 * @param {Attrs} [attrs]
 * @param {Child | Child[]} [children]
 * @returns {SVGElement}
 */
export function svg(tag, attrs = {}, children = []) {
  const node = document.createElementNS("http://www.w3.org/2000/svg", tag);
  applyAttrs(node, attrs);
  append(node, children);
  return /** @type {SVGElement} */ (node);
}

let idCounter = 0;
/** @param {string} prefix */
export const uid = (prefix) => `${prefix}-${++idCounter}`;

/** Says something to screen readers through the page's polite live region. */
export function announce(/** @type {string} */ message) {
  const region = document.getElementById("announcer");
  if (!region) return;
  region.textContent = "";
  // A fresh text node after a tick, so repeating the same message is announced again.
  setTimeout(() => {
    region.textContent = message;
  }, 50);
}

/**
 * A button that copies text. Its name never changes (it must contain its visible text); the
 * result shows beside it for a moment and is announced.
 * @param {() => string} text
 * @param {string} label accessible name, e.g. "Copy the API key"
 */
export function copyButton(text, label) {
  const button = h("button", { type: "button", class: "secondary", "aria-label": label }, "Copy");
  const result = h("span", { class: "copy-result" });
  button.addEventListener("click", async () => {
    let copied = true;
    try {
      await navigator.clipboard.writeText(text());
    } catch {
      copied = false;
    }
    result.textContent = copied ? "Copied" : "Copy failed: select the text and copy it";
    announce(copied ? "Copied to the clipboard." : "Could not copy: select the text and copy it.");
    setTimeout(() => {
      result.textContent = "";
    }, 3000);
  });
  return h("span", { class: "copy" }, [button, result]);
}

/**
 * An error as an alert: the problem's detail and its field errors.
 * @param {unknown} error
 */
export function errorBox(error) {
  const problem =
    /** @type {{problem?: {title?: string, detail?: string, errors?: {detail: string, pointer?: string}[]}}} */ (
      error
    ).problem;
  const title = problem?.title ?? "Something went wrong";
  const detail = problem?.detail ?? (error instanceof Error ? error.message : String(error));
  const fields = (problem?.errors ?? []).map((e) =>
    h("li", {}, e.pointer ? `${e.pointer.replace(/^#\//, "")}: ${e.detail}` : e.detail),
  );
  return h("div", { class: "notice error", role: "alert" }, [
    h("strong", {}, title),
    h("p", {}, detail),
    fields.length ? h("ul", {}, fields) : null,
  ]);
}

/** @param {string} text */
export const loading = (text = "Loading…") => h("p", { class: "loading", role: "status" }, text);

/**
 * A table with a caption and column headers, inside a region that scrolls sideways on a narrow
 * screen (focusable, so a keyboard can scroll it) rather than widening the page.
 * @param {{caption: string, headers: Child[], rows: Child[][], nowrap?: boolean, captionHidden?: boolean}} spec
 */
export function table({ caption, headers, rows, nowrap = false, captionHidden = false }) {
  const captionId = uid("caption");
  const node = h("table", { class: nowrap ? "nowrap" : undefined }, [
    h("caption", { id: captionId, class: captionHidden ? "visually-hidden" : undefined }, caption),
    h(
      "thead",
      {},
      h(
        "tr",
        {},
        headers.map((header) => h("th", { scope: "col" }, header)),
      ),
    ),
    h(
      "tbody",
      {},
      rows.map((cells) =>
        h(
          "tr",
          {},
          cells.map((cell, i) => (i === 0 ? h("th", { scope: "row" }, cell) : h("td", {}, cell))),
        ),
      ),
    ),
  ]);
  return h("div", { class: "scroll", role: "region", "aria-labelledby": captionId, tabindex: 0 }, node);
}

/**
 * A modal confirmation: focus is kept inside while it is open and returns to where it was.
 * Resolves with the submitted form's data, or null when cancelled.
 * @param {{title: string, body: Child | Child[], confirm: string, danger?: boolean}} spec
 * @returns {Promise<FormData | null>}
 */
export function confirmDialog({ title, body, confirm, danger = false }) {
  const opener = /** @type {HTMLElement | null} */ (document.activeElement);
  const titleId = uid("dialog-title");
  const form = h("form", { method: "dialog" }, [
    h("h2", { id: titleId }, title),
    h("div", {}, body),
    h("div", { class: "actions" }, [
      h("button", { type: "submit", value: "confirm", class: danger ? "danger" : undefined }, confirm),
      h("button", { type: "submit", value: "cancel", class: "secondary", formnovalidate: true }, "Cancel"),
    ]),
  ]);
  const dialog = h("dialog", { "aria-labelledby": titleId }, form);
  document.body.appendChild(dialog);
  return new Promise((resolve) => {
    dialog.addEventListener("close", () => {
      const data = dialog.returnValue === "confirm" ? new FormData(form) : null;
      dialog.remove();
      if (opener?.isConnected) opener.focus();
      resolve(data);
    });
    dialog.showModal();
  });
}

/** @param {number} n */
export const fmtInt = (n) =>
  // Four-digit numbers stay ungrouped, so a year reads 2015, not 2,015.
  n.toLocaleString("en-US", { maximumFractionDigits: 0, useGrouping: Math.abs(n) >= 10_000 });

/**
 * @param {unknown} v
 * @returns {string}
 */
export function fmtValue(v) {
  if (v === null || v === undefined) return "—";
  if (typeof v === "number") {
    if (Number.isInteger(v)) return fmtInt(v);
    return Math.abs(v) >= 1000 ? fmtInt(v) : v.toLocaleString("en-US", { maximumSignificantDigits: 4 });
  }
  if (Array.isArray(v)) return v.map(fmtValue).join(", ");
  return String(v);
}

/**
 * A count and its noun, agreeing: "1 key", "2 keys", "1,204 entries".
 * @param {number} n
 * @param {string} singular
 * @param {string} [pluralForm] when it is not the singular plus "s"
 */
export const plural = (n, singular, pluralForm = `${singular}s`) =>
  `${fmtValue(n)} ${n === 1 ? singular : pluralForm}`;

/**
 * Bytes in binary units, named as such: quotas are whole GiB, and "1.0 GB" for 1,073,741,824
 * bytes was both wrong and looked like a rounding.
 * @param {number} bytes
 */
export function fmtBytes(bytes) {
  if (bytes < 1024) return `${bytes} B`;
  const units = ["KiB", "MiB", "GiB", "TiB"];
  let value = bytes / 1024;
  let unit = 0;
  while (value >= 1024 && unit < units.length - 1) {
    value /= 1024;
    unit += 1;
  }
  return `${value.toFixed(value < 10 ? 1 : 0)} ${units[unit]}`;
}

/** @param {number | null} seconds */
export function fmtAge(seconds) {
  if (seconds === null) return "never";
  if (seconds < 60) return `${Math.round(seconds)} s ago`;
  if (seconds < 3600) return `${Math.round(seconds / 60)} min ago`;
  if (seconds < 86400) return `${Math.round(seconds / 3600)} h ago`;
  return `${plural(Math.round(seconds / 86400), "day")} ago`;
}

/** @param {string | null} iso */
export const fmtDate = (iso) => (iso ? `${iso.slice(0, 16).replace("T", " ")} UTC` : "—");

/** @param {number} seconds */
export function fmtDuration(seconds) {
  if (seconds < 90) return `${Math.round(seconds)} s`;
  if (seconds < 5400) return `${Math.round(seconds / 60)} min`;
  return `${Math.floor(seconds / 3600)} h ${Math.round((seconds % 3600) / 60)} min`;
}

/**
 * A status word as a badge; the word itself carries the meaning, colour only repeats it.
 * @param {string} status
 */
export const badge = (status) => h("span", { class: `badge badge-${status}` }, status);

/**
 * @typedef {{objective_seconds: number, lag_seconds: number | null, pending_changes: number | null,
 *   status: "fresh" | "behind" | "unmonitored", quarantined_analyses: number | null}} Freshness
 */

/** "fresh" or "behind" against the view's objective, with the lag in its title. */
export function freshnessBadge(/** @type {Freshness} */ f) {
  const title =
    f.lag_seconds === null
      ? `objective ${fmtAge(f.objective_seconds)}; nothing measures it here (RAPFS_FRESHNESS=off)`
      : `objective ${fmtAge(f.objective_seconds)}; oldest unserved change ${fmtAge(f.lag_seconds)} ago, ${f.pending_changes} pending` +
        (f.quarantined_analyses ? `; ${f.quarantined_analyses} analyses quarantined (unreadable)` : "");
  return h("span", { class: `badge badge-${f.status}`, title }, f.status);
}
