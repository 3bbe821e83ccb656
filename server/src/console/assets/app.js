// @ts-check
import { api, session } from "./api.js";
import { announce, h } from "./dom.js";
import { navigate } from "./nav.js";
import { renderSignin, renderSignup } from "./views/account.js";
import { renderCatalog } from "./views/catalog.js";
import { renderDatasets } from "./views/datasets.js";
import { renderEmbeddings } from "./views/embeddings.js";
import { renderKeys } from "./views/keys.js";
import { renderService } from "./views/service.js";
import { renderUsage } from "./views/usage.js";
import { renderView } from "./views/view.js";

/**
 * @typedef {{path: string[], query: URLSearchParams}} Route
 * @typedef {(root: HTMLElement, route: Route) => void | Promise<void>} Render
 */

/** @type {Record<string, {render: Render, open?: boolean, nav?: string}>} */
const pages = {
  signup: { render: renderSignup, open: true },
  signin: { render: renderSignin, open: true },
  catalog: { render: renderCatalog, nav: "catalog" },
  view: { render: renderView, nav: "catalog" },
  service: { render: renderService, nav: "catalog" },
  embeddings: { render: renderEmbeddings, nav: "embeddings" },
  datasets: { render: renderDatasets, nav: "datasets" },
  keys: { render: renderKeys, nav: "keys" },
  usage: { render: renderUsage, nav: "usage" },
};

/** `#/catalog/track_profile/1?feature=x` → path ["catalog", "track_profile", "1"] and its query. */
function parseHash() {
  const [path = "", query = ""] = location.hash.replace(/^#\/?/, "").split("?");
  return { path: path.split("/").filter(Boolean).map(decodeURIComponent), query: new URLSearchParams(query) };
}

let firstRender = true;
let tier = "";

async function show() {
  const route = parseHash();
  let name = route.path[0] ?? (session.key ? "catalog" : "signin");
  // `#/catalog/<view>/<version>` is one view version's page.
  if (name === "catalog" && route.path.length >= 2) name = "view";
  // `#/services/<name>` is one feature service's page.
  if (name === "services" && route.path.length >= 2) name = "service";
  const page = pages[name];
  if (!page) return navigate("#/catalog");
  if (!page.open && !session.key) {
    return navigate(`#/signin?next=${encodeURIComponent(location.hash || "#/catalog")}`);
  }
  for (const link of document.querySelectorAll("#nav-links a")) {
    if (link.getAttribute("data-route") === page.nav) link.setAttribute("aria-current", "page");
    else link.removeAttribute("aria-current");
  }
  const main = /** @type {HTMLElement} */ (document.getElementById("main"));
  const root = h("div", { class: `page page-${name}` });
  main.replaceChildren(root);
  const rendering = page.render(root, route);
  const heading = root.querySelector("h1");
  if (heading) {
    heading.setAttribute("tabindex", "-1");
    document.title = `${heading.textContent} · rapfs console`;
    // On navigation, not on first load: a reader lands on the new page's heading, like a page load.
    if (!firstRender) heading.focus();
  }
  firstRender = false;
  await rendering;
}

function renderSession() {
  const area = /** @type {HTMLElement} */ (document.getElementById("session"));
  if (!session.key) {
    area.replaceChildren(
      h("a", { href: "#/signin" }, "Sign in"),
      h("a", { href: "#/signup", class: "button" }, "Sign up"),
    );
    return;
  }
  const signOut = h("button", { type: "button", class: "secondary" }, "Sign out");
  signOut.addEventListener("click", () => {
    session.clear();
    announce("Signed out. The key was removed from this tab.");
    navigate("#/signin");
  });
  area.replaceChildren(h("span", { class: "who" }, tier ? `Signed in · ${tier} tier` : "Signed in"), signOut);
}

async function refreshTier() {
  tier = "";
  if (session.key) {
    try {
      tier = (await api("v1/usage", { query: { days: 1 } })).tier;
    } catch {
      // The page itself shows what went wrong.
    }
  }
  renderSession();
}

window.addEventListener("hashchange", () => void show());
// The skip link's own "#main" would be taken for a route: it moves focus without touching the hash.
document.querySelector(".skip-link")?.addEventListener("click", (event) => {
  event.preventDefault();
  document.getElementById("main")?.focus();
});
window.addEventListener("rapfs:session", () => void refreshTier());
window.addEventListener("rapfs:unauthorized", () => {
  session.clear();
  announce("Your key is no longer valid: it was revoked, rotated out or has expired. Sign in again.");
  navigate("#/signin?expired=1");
});

renderSession();
void refreshTier();
void show();
