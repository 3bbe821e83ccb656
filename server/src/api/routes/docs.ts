import { readFileSync } from "node:fs";
import type { Context } from "hono";
import { withExplicitTypes } from "../docs/explicit-types";
import { docsContentSecurityPolicy, docsHtml, outlineOf, problemsCss, problemsHtml } from "../docs/page";
import { preferredEncoding, scalarBundle } from "../docs/scalar-bundle";
import type { App, AppEnv } from "../env";

export const OPENAPI_PATH = "/openapi.json";
export const DOCS_PATH = "/docs";

export const openApiInfo = {
  title: "rapfs",
  version: "0.1.0",
  description:
    "Feature store for machine learning on rap lyrics analyses: online features and embeddings, " +
    "the feature registry, and bulk datasets. Errors are RFC 9457 problem+json: each `type` links " +
    "to its row of the [problem types](/docs/problems).",
  license: { name: "MIT", identifier: "MIT" },
};

const PAGE_HEADERS = {
  "x-content-type-options": "nosniff",
  "x-frame-options": "DENY",
  "referrer-policy": "no-referrer",
};

/** The bundle's URL names its content, so a browser keeps it for good and asks again only after an upgrade. */
async function sendBundle(c: Context<AppEnv>): Promise<Response> {
  const bundle = scalarBundle();
  if (c.req.param("file") !== `${bundle.hash}.js`) return c.notFound();
  const headers: Record<string, string> = {
    "cache-control": "public, max-age=31536000, immutable",
    "content-type": "text/javascript; charset=utf-8",
    "x-content-type-options": "nosniff",
    vary: "Accept-Encoding",
  };
  const encoding = preferredEncoding(c.req.header("accept-encoding"));
  if (!encoding) return c.body(new Uint8Array(bundle.identity), 200, headers);
  const body = await bundle.encoded(encoding);
  return c.body(new Uint8Array(body), 200, { ...headers, "content-encoding": encoding });
}

export const openApiDocumentConfig = {
  openapi: "3.1.0",
  info: openApiInfo,
  // Relative: the document describes whichever server serves it.
  servers: [{ url: "/", description: "The server this document was read from" }],
  tags: [{ name: "operations", description: "Health, readiness and metrics" }],
};

/** The OpenAPI 3.1 document, generated from the registered routes, and the pages that render it. */
export function registerDocs(app: App): void {
  // Built on first use: routes registered after this function are in the document by then.
  let document: ReturnType<typeof app.getOpenAPI31Document> | undefined;
  const openApi = () => {
    document ??= withExplicitTypes(app.getOpenAPI31Document(openApiDocumentConfig));
    return document;
  };
  app.get(OPENAPI_PATH, (c) => c.json(openApi()));
  let docs: string | undefined;
  app.get(DOCS_PATH, (c) => {
    docs ??= docsHtml(outlineOf(openApi()), `docs/scalar/${scalarBundle().hash}.js`);
    return c.html(docs, 200, { ...PAGE_HEADERS, "content-security-policy": docsContentSecurityPolicy() });
  });
  app.get(`${DOCS_PATH}/scalar/:file`, sendBundle);
  const problems = problemsHtml();
  app.get(`${DOCS_PATH}/problems`, (c) =>
    c.html(problems, 200, {
      ...PAGE_HEADERS,
      "content-security-policy":
        "default-src 'none'; style-src 'self'; img-src 'self'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'",
    }),
  );
  app.get(`${DOCS_PATH}/problems.css`, (c) =>
    c.body(problemsCss, 200, {
      "content-type": "text/css; charset=utf-8",
      "x-content-type-options": "nosniff",
    }),
  );
  // Browsers ask for it whatever a page says: the console's icon, as SVG (which they all take).
  const icon = readFileSync(new URL("../../console/assets/icon.svg", import.meta.url));
  app.get("/favicon.ico", (c) =>
    c.body(new Uint8Array(icon), 200, {
      "content-type": "image/svg+xml",
      "cache-control": "public, max-age=86400",
    }),
  );
}
