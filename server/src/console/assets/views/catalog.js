// @ts-check
import { api, enc } from "../api.js";
import { badge, errorBox, fmtAge, fmtInt, freshnessBadge, h, loading, plural, table, uid } from "../dom.js";

/**
 * @typedef {{name: string, type: string, pg_type: string, description: string, expr: string, tags: string[]}} Feature
 * @typedef {{name: string, version: number, ref: string, entity: string, status: string, sunset_date: string | null,
 *   is_latest: boolean, description: string, owner: string | null, tags: string[], table: string, features: Feature[],
 *   last_materialized_at: string | null, freshness_seconds: number | null, row_count: number | null,
 *   freshness: import("../dom.js").Freshness}} ViewVersion
 */

/** @param {string} name @param {number} version */
export const viewHref = (name, version) => `#/catalog/${enc(name)}/${version}`;

/** @param {string} name */
export const serviceHref = (name) => `#/services/${enc(name)}`;

/**
 * @param {HTMLElement} root
 */
export async function renderCatalog(root) {
  const body = h("div", {}, loading());
  root.append(
    h("h1", {}, "Feature catalog"),
    h(
      "p",
      { class: "lead" },
      "Entities, feature views with their versions, and feature services. Open a view version for its features, statistics and freshness.",
    ),
    body,
  );
  /** @type {[{entities: {name: string, key_type: string, description: string}[]}, {views: ViewVersion[]}, {services: {name: string, entity: string, description: string, features: string[]}[]}]} */
  let data;
  try {
    data = await Promise.all([
      api("v1/registry/entities"),
      api("v1/registry/views"),
      api("v1/registry/services"),
    ]);
  } catch (error) {
    body.replaceChildren(errorBox(error));
    return;
  }
  const [{ entities }, { views }, { services }] = data;

  /** @type {Map<string, ViewVersion[]>} */
  const byName = new Map();
  for (const view of views) byName.set(view.name, [...(byName.get(view.name) ?? []), view]);
  const groups = [...byName.values()].map((versions) => versions.sort((a, b) => a.version - b.version));

  const filterId = uid("filter");
  const filter = h("input", {
    id: filterId,
    type: "search",
    autocomplete: "off",
    placeholder: "name, tag or feature",
  });
  const viewsArea = h("div");
  const count = h("p", { class: "hint", role: "status" });
  const draw = () => {
    const needle = filter.value.trim().toLowerCase();
    const shown = groups.filter((versions) =>
      versions.some((v) =>
        [v.name, v.description, ...v.tags, ...v.features.map((f) => f.name)].some((text) =>
          text.toLowerCase().includes(needle),
        ),
      ),
    );
    count.textContent = `${shown.length} of ${plural(groups.length, "feature view")}`;
    viewsArea.replaceChildren(
      table({
        caption: "Feature views and their versions",
        captionHidden: true,
        headers: ["View", "Entity", "Versions", "Features", "Materialized", "Freshness", "Rows"],
        rows: shown.map((versions) => {
          const latest = versions.find((v) => v.is_latest) ?? /** @type {ViewVersion} */ (versions.at(-1));
          return [
            h("div", {}, [
              h("a", { href: viewHref(latest.name, latest.version) }, latest.name),
              h("p", { class: "hint" }, latest.description),
            ]),
            latest.entity,
            h(
              "ul",
              { class: "versions" },
              versions.map((v) =>
                h("li", {}, [
                  // The hidden name keeps "v1" links apart for a reader listing the page's links.
                  h("a", { href: viewHref(v.name, v.version) }, [
                    h("span", { class: "visually-hidden" }, `${v.name} `),
                    `v${v.version}`,
                  ]),
                  " ",
                  badge(v.status),
                  v.sunset_date ? h("span", { class: "hint" }, ` until ${v.sunset_date}`) : null,
                  v.is_latest ? h("span", { class: "tag" }, "latest") : null,
                ]),
              ),
            ),
            fmtInt(latest.features.length),
            fmtAge(latest.freshness_seconds),
            freshnessBadge(latest.freshness),
            latest.row_count === null ? "—" : fmtInt(latest.row_count),
          ];
        }),
      }),
    );
  };
  filter.addEventListener("input", draw);
  draw();

  body.replaceChildren(
    h("section", { "aria-labelledby": "entities-heading" }, [
      h("h2", { id: "entities-heading" }, "Entities"),
      h(
        "dl",
        { class: "entities" },
        entities.flatMap((e) => [
          h("dt", {}, [h("code", {}, e.name), ` · key ${e.key_type}`]),
          h("dd", {}, e.description),
        ]),
      ),
    ]),
    h("section", { "aria-labelledby": "views-heading" }, [
      h("h2", { id: "views-heading" }, "Feature views"),
      h("div", { class: "field inline" }, [h("label", { for: filterId }, "Filter views"), filter]),
      count,
      viewsArea,
    ]),
    h("section", { "aria-labelledby": "services-heading" }, [
      h("h2", { id: "services-heading" }, "Feature services"),
      table({
        caption: "Feature services: named feature sets for one model each",
        captionHidden: true,
        headers: ["Service", "Entity", "Features", "Description"],
        rows: services.map((s) => [
          h("a", { href: serviceHref(s.name) }, h("code", {}, s.name)),
          s.entity,
          fmtInt(s.features.length),
          s.description,
        ]),
      }),
    ]),
  );
}
