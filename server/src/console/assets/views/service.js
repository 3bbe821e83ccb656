// @ts-check
import { api, apiUrl, enc } from "../api.js";
import { catalogBreadcrumb, copyButton, errorBox, facts, h, loading, plural, table, uid } from "../dom.js";
import { viewHref } from "./catalog.js";

/**
 * @typedef {{name: string, entity: string, description: string, owner: string | null, tags: string[],
 *   feature_refs: string[], features: string[], deprecated_views: string[], resolution_error: string | null}} Service
 */

/**
 * The canonical references grouped by view version, in the service's order.
 * @param {string[]} refs e.g. "track_profile@1:tempo"
 */
function byViewVersion(refs) {
  /** @type {Map<string, {name: string, version: number, features: string[]}>} */
  const groups = new Map();
  for (const ref of refs) {
    const match = /^(.+)@(\d+):(.+)$/.exec(ref);
    if (!match) continue;
    const [, name = "", version = "", feature = ""] = match;
    const key = `${name}@${version}`;
    const group = groups.get(key) ?? { name, version: Number(version), features: [] };
    group.features.push(feature);
    groups.set(key, group);
  }
  return [...groups.values()];
}

/**
 * @param {HTMLElement} root
 * @param {{path: string[], query: URLSearchParams}} route
 */
export async function renderService(root, route) {
  const [, name = ""] = route.path;
  const body = h("div", {}, loading());
  root.append(catalogBreadcrumb(name), h("h1", {}, name), body);
  /** @type {Service} */
  let service;
  try {
    service = await api(`v1/registry/services/${enc(name)}`);
  } catch (error) {
    body.replaceChildren(errorBox(error));
    return;
  }
  const groups = byViewVersion(service.features);
  const example = service.entity === "track" ? "42" : "ID";
  const curl =
    `curl -sS -H "Authorization: Bearer $RAPFS_API_KEY" \\\n` +
    `  "${apiUrl(`v1/features/${enc(service.entity)}/${example}`)}?service=${enc(service.name)}"`;
  const curlId = uid("snippet");
  body.replaceChildren(
    h("p", { class: "lead" }, service.description),
    service.resolution_error
      ? h("p", { class: "notice error" }, `Cannot be served now: ${service.resolution_error}`)
      : "",
    service.deprecated_views.length
      ? h(
          "p",
          { class: "notice warning" },
          `Uses deprecated ${service.deprecated_views.length === 1 ? "view" : "views"}: ${service.deprecated_views.join(", ")}.`,
        )
      : "",
    facts([
      ["Entity", service.entity],
      ["Owner", service.owner ?? "—"],
      ["Tags", service.tags.join(", ") || "—"],
      ["As defined", h("code", {}, service.feature_refs.join(", "))],
    ]),
    h("section", { "aria-labelledby": "service-features-heading" }, [
      h(
        "h2",
        { id: "service-features-heading" },
        `${plural(service.features.length, "feature")} from ${plural(groups.length, "view version")}`,
      ),
      table({
        caption: `Features of ${service.name}, by view version`,
        captionHidden: true,
        headers: ["View version", "Features"],
        rows: groups.map((g) => [
          h("a", { href: viewHref(g.name, g.version) }, `${g.name}@${g.version}`),
          h(
            "ul",
            { class: "inline-list" },
            g.features.map((f) =>
              h(
                "li",
                {},
                h(
                  "a",
                  // The full reference keeps the links apart for a reader listing the page's links.
                  {
                    href: `${viewHref(g.name, g.version)}?feature=${enc(f)}`,
                    "aria-label": `${g.name}@${g.version}:${f}`,
                  },
                  f,
                ),
              ),
            ),
          ),
        ]),
      }),
    ]),
    h("section", { "aria-labelledby": "service-use-heading" }, [
      h("h2", { id: "service-use-heading" }, "Look up one entity"),
      h("figure", { class: "snippet" }, [
        h("figcaption", {}, [
          h("span", { id: curlId }, "curl"),
          copyButton(() => curl, "Copy the curl snippet"),
        ]),
        h("pre", { tabindex: 0, "aria-labelledby": curlId }, h("code", {}, curl)),
      ]),
    ]),
  );
}
