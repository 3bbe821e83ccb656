// @ts-check
import { api, apiUrl, enc, request } from "../api.js";
import {
  announce,
  copyButton,
  errorBox,
  fmtBytes,
  fmtDate,
  fmtInt,
  h,
  loading,
  plural,
  table,
  uid,
} from "../dom.js";

/**
 * @typedef {{name: string, entity: string, description: string, license: string, owner: string | null,
 *   columns: {column: string, ref: string, type: string}[], filters: {feature: string, op: string, value?: unknown}[],
 *   links: {download: string}}} Dataset
 */

const FORMATS = [
  { format: "parquet", label: "Parquet" },
  { format: "csv", label: "CSV" },
  { format: "arrow", label: "Arrow" },
  { format: "json", label: "NDJSON" },
];

/** @param {string} header a Content-Disposition value */
const fileName = (header) => /filename="?([^";]+)"?/.exec(header)?.[1];

/**
 * Ready-to-run snippets. They name the key by an environment variable: a key pasted into a
 * snippet ends up in shell histories and notebooks.
 * @param {{name: string, url: string, file: string, format: string, limit: string}} d
 */
export function snippets({ name, url, file, format, limit }) {
  const options = [`format: "${format}"`, limit ? `limit: ${Number(limit)}` : ""].filter(Boolean).join(", ");
  return [
    { title: "curl", code: `curl -fSL -H "Authorization: Bearer $RAPFS_API_KEY" \\\n  -o ${file} "${url}"` },
    {
      title: "TypeScript (@rapfs/sdk)",
      code: [
        "// Install: from a rapfs clone, `pnpm sdk:pack`, then `npm install ./rapfs-sdk-<version>.tgz`",
        "// (`npm install @rapfs/sdk` once it is on the npm registry).",
        'import { RapFS } from "@rapfs/sdk";',
        "",
        `const fs = new RapFS({ baseURL: "${new URL(url).origin}" }); // key from RAPFS_API_KEY`,
        `await fs.datasets.download("${name}", { ${options} }).toFile("${file}");`,
        `// or in memory: await fs.datasets.download("${name}"${limit ? `, { limit: ${Number(limit)} }` : ""}).toArrowTable();`,
      ].join("\n"),
    },
    {
      title: "Python (pandas)",
      code: [
        "import os, pandas as pd",
        "",
        `url = "${url.replace(/format=\w+/, "format=csv")}"`,
        'df = pd.read_csv(url, storage_options={"Authorization": f"Bearer {os.environ[\'RAPFS_API_KEY\']}"})',
      ].join("\n"),
    },
  ];
}

/**
 * @param {HTMLElement} root
 */
export async function renderDatasets(root) {
  const body = h("div", {}, loading());
  root.append(
    h("h1", {}, "Datasets"),
    h(
      "p",
      { class: "lead" },
      "Bulk downloads for training, read from one consistent snapshot. Small samples download here; for full files use curl or the SDK (streamed, resumable).",
    ),
    body,
  );
  /** @type {Dataset[]} */
  let datasets;
  try {
    datasets = (await api("v1/registry/datasets")).datasets;
  } catch (error) {
    body.replaceChildren(errorBox(error));
    return;
  }
  body.replaceChildren(
    datasets.length
      ? h("div", { class: "cards" }, datasets.map(card))
      : h("p", {}, "No datasets are defined yet."),
  );
}

/** @param {Dataset} dataset */
function card(dataset) {
  const headingId = uid("dataset");
  const limitId = uid("limit");
  const formatId = uid("format");
  const limit = h("input", { id: limitId, type: "number", min: 1, inputmode: "numeric", value: "1000" });
  const format = h(
    "select",
    { id: formatId },
    FORMATS.map((f) => h("option", { value: f.format }, f.label)),
  );
  const progress = h("p", { class: "hint", role: "status" });
  const snippetArea = h("div", { class: "snippets" });
  const rows = h("dd", {}, "counting…");
  /** The card's row count once the datasets API has said it. @type {number | null} */
  let cardRows = null;

  const url = () => {
    const u = new URL(apiUrl(dataset.links.download));
    u.searchParams.set("format", format.value);
    if (limit.value) u.searchParams.set("limit", limit.value);
    return u.href;
  };
  const drawSnippets = () => {
    const file = `${dataset.name}.${format.value}`;
    snippetArea.replaceChildren(
      ...snippets({ name: dataset.name, url: url(), file, format: format.value, limit: limit.value }).map(
        (s) => {
          const codeId = uid("snippet");
          return h("figure", { class: "snippet" }, [
            h("figcaption", {}, [
              h("span", { id: codeId }, s.title),
              copyButton(() => s.code, `Copy the ${s.title} snippet`),
            ]),
            h("pre", { tabindex: 0, "aria-labelledby": codeId }, h("code", {}, s.code)),
          ]);
        },
      ),
    );
  };
  limit.addEventListener("input", drawSnippets);
  format.addEventListener("change", drawSnippets);
  drawSnippets();

  /** @type {AbortController | null} */
  let running = null;
  const download = h("button", { type: "button" }, `Download ${dataset.name}`);
  const cancel = h("button", { type: "button", class: "secondary", hidden: true }, "Cancel");
  cancel.addEventListener("click", () => running?.abort());
  download.addEventListener("click", async () => {
    running = new AbortController();
    download.disabled = true;
    cancel.hidden = false;
    progress.textContent = "Preparing the file…";
    try {
      // Fetched rather than linked: a link cannot carry the Authorization header.
      const response = await request(new URL(url()).pathname.slice(1) + new URL(url()).search, {
        signal: running.signal,
      });
      const reader = /** @type {ReadableStream<Uint8Array>} */ (response.body).getReader();
      /** @type {BlobPart[]} */
      const chunks = [];
      let received = 0;
      for (;;) {
        const { done, value } = await reader.read();
        if (done) break;
        chunks.push(/** @type {Uint8Array<ArrayBuffer>} */ (value));
        received += value.byteLength;
        progress.textContent = `Receiving… ${fmtBytes(received)}`;
      }
      const name =
        fileName(response.headers.get("content-disposition") ?? "") ?? `${dataset.name}.${format.value}`;
      const link = h("a", {
        href: URL.createObjectURL(new Blob(chunks, { type: response.headers.get("content-type") ?? "" })),
        download: name,
        hidden: true,
      });
      document.body.append(link);
      link.click();
      link.remove();
      setTimeout(() => URL.revokeObjectURL(link.href), 10_000);
      // A shared file's first download streams before its rows are counted (no Rapfs-Rows): a
      // limit and the card's count still say how many it holds.
      const asked = limit.value ? Number(limit.value) : null;
      const count =
        response.headers.get("rapfs-rows") ??
        (asked !== null && cardRows !== null ? String(Math.min(asked, cardRows)) : null);
      progress.textContent = `Saved ${name}: ${count === null ? "" : `${plural(Number(count), "row")}, `}${fmtBytes(received)}.`;
      announce(progress.textContent);
    } catch (error) {
      progress.textContent = "";
      const aborted = error instanceof DOMException && error.name === "AbortError";
      progress.replaceChildren(aborted ? "Download cancelled." : errorBox(error));
    } finally {
      running = null;
      download.disabled = false;
      cancel.hidden = true;
    }
  });

  // The feature columns the registry knows, until the card answers with every column a download
  // holds: the entity key first, then the features (the registry's list has no key column).
  const columns = h("details", {}, [
    h("summary", {}, `Columns (${dataset.columns.length + 1})`),
    table({
      caption: `Columns of ${dataset.name}`,
      captionHidden: true,
      headers: ["Column", "Feature", "Type"],
      rows: dataset.columns.map((c) => [h("code", {}, c.column), c.ref, c.type]),
    }),
  ]);
  // The card's row count, data version and columns come from the datasets API when it answers.
  void api(`v1/datasets/${enc(dataset.name)}`).then(
    (c) => {
      cardRows = c.rows;
      rows.replaceChildren(
        `${fmtInt(c.rows)} (data version ${c.version}${c.built_at ? `, built ${fmtDate(c.built_at)}` : ""})`,
      );
      /** @type {{name: string, type: string, source: string}[]} */
      const all = c.columns;
      columns.replaceChildren(
        h("summary", {}, `Columns (${all.length})`),
        table({
          caption: `Columns of ${dataset.name}`,
          captionHidden: true,
          headers: ["Column", "Source", "Type"],
          rows: all.map((col) => [h("code", {}, col.name), col.source, col.type]),
        }),
      );
    },
    () => rows.replaceChildren("—"),
  );

  return h("article", { class: "card", "aria-labelledby": headingId }, [
    h("h2", { id: headingId }, dataset.name),
    h("p", {}, dataset.description),
    h("dl", { class: "facts" }, [
      h("dt", {}, "Entity"),
      h("dd", {}, dataset.entity),
      h("dt", {}, "License"),
      h("dd", {}, dataset.license),
      h("dt", {}, "Owner"),
      h("dd", {}, dataset.owner ?? "—"),
      h("dt", {}, "Rows"),
      rows,
      h("dt", {}, "Filters"),
      h(
        "dd",
        {},
        dataset.filters.length
          ? dataset.filters
              .map((f) => `${f.feature} ${f.op} ${f.value === undefined ? "" : JSON.stringify(f.value)}`)
              .join("; ")
          : "none",
      ),
    ]),
    columns,
    h("div", { class: "download-row" }, [
      h("div", { class: "field" }, [h("label", { for: formatId }, "Format"), format]),
      h("div", { class: "field" }, [
        h("label", { for: limitId }, ["Rows ", h("span", { class: "hint" }, "(first N; empty for all)")]),
        limit,
      ]),
      download,
      cancel,
    ]),
    progress,
    h("h3", {}, "From code"),
    snippetArea,
  ]);
}
