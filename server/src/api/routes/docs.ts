import { createHash } from "node:crypto";
import { readFileSync } from "node:fs";
import { createRequire } from "node:module";
import { gzipSync } from "node:zlib";
import type { Context } from "hono";
import { docsContentSecurityPolicy, docsHtml, outlineOf, problemsCss, problemsHtml } from "../docs/page";
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

type Bundle = { body: Buffer; gzipped: Buffer; etag: string };

/** Scalar's browser bundle from the installed package, read and compressed once, on first use. */
let scalar: Bundle | undefined;
function scalarBundle(): Bundle {
  if (!scalar) {
    const path = createRequire(import.meta.url).resolve("@scalar/api-reference/browser/standalone.js");
    const body = readFileSync(path);
    const etag = `"${createHash("sha256").update(body).digest("base64url").slice(0, 22)}"`;
    scalar = { body, gzipped: gzipSync(body), etag };
  }
  return scalar;
}

function sendBundle(c: Context<AppEnv>): Response {
  const bundle = scalarBundle();
  const headers = {
    etag: bundle.etag,
    "cache-control": "public, max-age=86400",
    "content-type": "text/javascript; charset=utf-8",
    "x-content-type-options": "nosniff",
    vary: "Accept-Encoding",
  };
  if (c.req.header("if-none-match") === bundle.etag) return c.body(null, 304, headers);
  if (/\bgzip\b/.test(c.req.header("accept-encoding") ?? "")) {
    return c.body(new Uint8Array(bundle.gzipped), 200, { ...headers, "content-encoding": "gzip" });
  }
  return c.body(new Uint8Array(bundle.body), 200, headers);
}

/** The OpenAPI 3.1 document, generated from the registered routes, and the pages that render it. */
export function registerDocs(app: App): void {
  const documentConfig = {
    openapi: "3.1.0",
    info: openApiInfo,
    // Relative: the document describes whichever server serves it.
    servers: [{ url: "/", description: "The server this document was read from" }],
    tags: [{ name: "operations", description: "Health, readiness and metrics" }],
  };
  app.doc31(OPENAPI_PATH, documentConfig);
  // Built on first use: routes registered after this function are in the document by then.
  let docs: string | undefined;
  app.get(DOCS_PATH, (c) => {
    docs ??= docsHtml(outlineOf(app.getOpenAPI31Document(documentConfig)));
    return c.html(docs, 200, { ...PAGE_HEADERS, "content-security-policy": docsContentSecurityPolicy() });
  });
  app.get(`${DOCS_PATH}/scalar.js`, sendBundle);
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
