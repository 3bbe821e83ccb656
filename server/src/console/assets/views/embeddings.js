// @ts-check
import { api, enc } from "../api.js";
import { scatterChart } from "../charts.js";
import { announce, errorBox, fmtValue, h, loading, plural, table, uid } from "../dom.js";
import { project2d } from "../projection.js";

/** Neighbours beyond the k asked for, fetched to place them among (the picture's grey dots). */
const CONTEXT = 40;

/**
 * @typedef {{name: string, ref: string, entity: string, dimension: number, metric: string, status: string, description: string}} Embedding
 * @typedef {{value: unknown, status: string}} FeatureValue
 */

/** `track_profile@1:popularity` → `popularity`; the full reference stays in the header's title. */
const shortName = (/** @type {string} */ ref) => ref.split(":").pop() ?? ref;

/** @param {FeatureValue | undefined} cell */
function valueCell(cell) {
  if (cell?.status !== "present") return h("span", { class: "hint" }, cell?.status === "null" ? "null" : "—");
  return fmtValue(cell.value);
}

/**
 * @param {HTMLElement} root
 * @param {{query: URLSearchParams}} route
 */
export async function renderEmbeddings(root, route) {
  const body = h("div", {}, loading());
  root.append(
    h("h1", {}, "Embedding explorer"),
    h(
      "p",
      { class: "lead" },
      "Pick an entity and an embedding: its nearest neighbours come back with their features, next to the entity's own.",
    ),
    body,
  );
  /** @type {[{embeddings: Embedding[]}, {views: {name: string, entity: string, is_latest: boolean, status: string}[]}, {services: {name: string, entity: string}[]}]} */
  let data;
  try {
    data = await Promise.all([
      api("v1/registry/embeddings"),
      api("v1/registry/views"),
      api("v1/registry/services"),
    ]);
  } catch (error) {
    body.replaceChildren(errorBox(error));
    return;
  }
  const [{ embeddings }, { views }, { services }] = data;
  const usable = embeddings.filter((e) => e.status !== "retired");
  const ids = { name: uid("emb"), id: uid("id"), k: uid("k"), with: uid("with") };
  const q = route.query;
  const featureOptions = (/** @type {string} */ entity) => [
    ...views
      .filter((v) => v.entity === entity && v.is_latest)
      .map((v) => ({ value: `view:${v.name}`, text: `view ${v.name}` })),
    ...services
      .filter((s) => s.entity === entity)
      .map((s) => ({ value: `service:${s.name}`, text: `service ${s.name}` })),
  ];

  const nameSelect = h(
    "select",
    { id: ids.name, name: "name" },
    usable.map((e) =>
      h(
        "option",
        { value: e.name, selected: e.name === (q.get("name") ?? "lyrics") },
        `${e.name} (${e.entity}s, ${e.dimension}-d ${e.metric})`,
      ),
    ),
  );
  const withSelect = h("select", { id: ids.with, name: "with" });
  const fillWith = () => {
    const entity = usable.find((e) => e.name === nameSelect.value)?.entity ?? "track";
    const wanted = q.get("with") ?? "view:track_profile";
    withSelect.replaceChildren(
      ...featureOptions(entity).map((o) =>
        h("option", { value: o.value, selected: o.value === wanted }, o.text),
      ),
    );
  };
  nameSelect.addEventListener("change", fillWith);
  fillWith();

  const form = h("form", { class: "grid-form" }, [
    h("div", { class: "field wide" }, [h("label", { for: ids.name }, "Embedding"), nameSelect]),
    h("div", { class: "field" }, [
      h("label", { for: ids.id }, "Entity id"),
      h("input", {
        id: ids.id,
        name: "id",
        type: "text",
        required: true,
        value: q.get("id") ?? "1",
        inputmode: "numeric",
        autocomplete: "off",
      }),
    ]),
    h("div", { class: "field" }, [
      h("label", { for: ids.k }, "Neighbours"),
      h("input", {
        id: ids.k,
        name: "k",
        type: "number",
        min: 1,
        max: 100,
        required: true,
        value: q.get("k") ?? "10",
      }),
    ]),
    h("div", { class: "field" }, [h("label", { for: ids.with }, "Show features of"), withSelect]),
    h("button", { type: "submit" }, "Find neighbours"),
  ]);
  const results = h("section", { "aria-labelledby": "results-heading", "aria-live": "polite" });

  /** @param {boolean} focus */
  async function search(focus) {
    const data = new FormData(form);
    const name = String(data.get("name"));
    const embedding = usable.find((e) => e.name === name);
    const raw = String(data.get("id")).trim();
    const id = embedding?.entity === "track" && /^\d+$/.test(raw) ? Number(raw) : raw;
    const k = Number(data.get("k"));
    const [kind, source] = String(data.get("with")).split(":");
    const selection = kind === "service" ? { service: source } : { features: `${source}:*` };
    history.replaceState(
      null,
      "",
      `#/embeddings?${new URLSearchParams({ name, id: raw, k: String(k), with: `${kind}:${source}` })}`,
    );
    results.replaceChildren(loading("Searching…"));
    const picture = h("figure", { class: "projection" }, loading("Placing them on a map…"));
    try {
      const [found, own] = await Promise.all([
        api(`v1/embeddings/${enc(name)}/search`, {
          method: "POST",
          body: {
            id,
            k: Math.min(k + CONTEXT, 100),
            ...(kind === "service" ? { include_service: source } : { include_features: [`${source}:*`] }),
          },
        }),
        api(`v1/features/${enc(embedding?.entity ?? "track")}/${enc(raw)}`, { query: selection }),
      ]);
      /** @type {Record<string, FeatureValue>} */
      const ownValues = own.features ?? {};
      const refs = Object.keys(ownValues);
      /** @type {{id: string | number, distance: number, features?: Record<string, FeatureValue>}[]} */
      const nearest = found.neighbors;
      const neighbors = nearest.slice(0, k);
      const heading = h(
        "h2",
        { id: "results-heading", tabindex: -1 },
        `${neighbors.length} nearest neighbours of ${found.entity} ${raw}`,
      );
      results.replaceChildren(
        heading,
        h(
          "p",
          { class: "hint" },
          `${found.embedding}, ${found.metric} distance, ${found.index === "exact" ? "exact scan" : "HNSW index"}. The first row is the ${found.entity} itself.`,
        ),
        picture,
        table({
          caption: `Neighbours of ${found.entity} ${raw} by ${found.embedding}`,
          captionHidden: true,
          nowrap: true,
          headers: [
            "Rank",
            found.entity,
            "Distance",
            ...refs.map((ref) => h("abbr", { title: ref }, shortName(ref))),
          ],
          rows: [
            ["query", h("strong", {}, raw), "0", ...refs.map((ref) => valueCell(ownValues[ref]))],
            ...neighbors.map((n, i) => [
              String(i + 1),
              exploreButton(n.id),
              n.distance.toFixed(4),
              ...refs.map((ref) => valueCell(n.features?.[ref])),
            ]),
          ],
        }),
      );
      announce(`Found ${plural(neighbors.length, "neighbour")}.`);
      if (focus) heading.focus();
      void drawPicture(picture, { name, id, raw, nearest, k, metric: found.metric, entity: found.entity });
    } catch (error) {
      results.replaceChildren(errorBox(error));
    }
  }

  /**
   * The query, its neighbours and the next nearest, projected to two dimensions (PCA of their
   * vectors, read with one batch call): a picture of how the neighbours cluster around it.
   * @param {HTMLElement} figure
   * @param {{name: string, id: string | number, raw: string, k: number, metric: string, entity: string,
   *   nearest: {id: string | number, distance: number}[]}} found
   */
  async function drawPicture(figure, { name, id, raw, nearest, k, metric, entity }) {
    try {
      const batch = await api(`v1/embeddings/${enc(name)}/batch`, {
        method: "POST",
        body: { ids: [id, ...nearest.map((n) => n.id)] },
      });
      /** @type {{vector: number[] | null}[]} */
      const items = batch.items;
      const placed = items
        .map((item, i) => ({ item, i }))
        .filter(({ item }) => Array.isArray(item.vector) && item.vector.length > 0);
      if (placed.length < 3) {
        figure.replaceChildren(h("p", { class: "hint" }, "Too few vectors to place on a map."));
        return;
      }
      const { points, explained } = project2d(
        placed.map(({ item }) => /** @type {number[]} */ (item.vector)),
        metric,
      );
      const pct = (/** @type {number} */ share) => `${Math.round(share * 100)}% of the variance`;
      const spots = placed.map(({ i }, j) => {
        const [x, y] = points[j] ?? [0, 0];
        if (i === 0)
          return { x, y, kind: /** @type {const} */ ("query"), label: `${entity} ${raw} (the query)` };
        const n = nearest[i - 1];
        const label = `${entity} ${n?.id}: rank ${i}, distance ${n?.distance.toFixed(4)}`;
        return i <= k
          ? { x, y, kind: /** @type {const} */ ("neighbour"), label, rank: i }
          : { x, y, kind: /** @type {const} */ ("context"), label };
      });
      figure.replaceChildren(
        scatterChart({
          title: `${entity} ${raw} and its neighbours by ${name}, projected to two dimensions`,
          description:
            `The query, its ${plural(k, "nearest neighbour")} and the ${nearest.length - k} next nearest, ` +
            `placed by the first two principal components of their vectors (${pct(explained[0] + explained[1])} together).`,
          xLabel: `first principal component (${pct(explained[0])})`,
          yLabel: `second (${pct(explained[1])})`,
          points: spots,
        }),
        h(
          "figcaption",
          { class: "hint" },
          `A projection of ${plural(placed.length, "vector")}: distances on it are approximate; the table's are exact.`,
        ),
      );
    } catch (error) {
      figure.replaceChildren(errorBox(error));
    }
  }

  /** A neighbour's id re-centres the search on it. @param {string | number} id */
  function exploreButton(id) {
    const button = h(
      "button",
      { type: "button", class: "link", "aria-label": `Search neighbours of ${id}` },
      String(id),
    );
    button.addEventListener("click", () => {
      /** @type {HTMLInputElement} */ (form.elements.namedItem("id")).value = String(id);
      void search(true);
    });
    return button;
  }

  form.addEventListener("submit", (event) => {
    event.preventDefault();
    void search(true);
  });
  body.replaceChildren(form, results);
  if (q.get("id")) await search(false);
}
