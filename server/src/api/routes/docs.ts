import { docsContentSecurityPolicy, docsHtml } from "../docs/page";
import type { App } from "../env";

export const OPENAPI_PATH = "/openapi.json";
export const DOCS_PATH = "/docs";

export const openApiInfo = {
  title: "rapfs",
  version: "0.1.0",
  description:
    "Feature store for machine learning on rap lyrics analyses: online features and embeddings, " +
    "the feature registry, and bulk datasets. Errors are RFC 9457 problem+json.",
  license: { name: "MIT", identifier: "MIT" },
};

/** The OpenAPI 3.1 document, generated from the registered routes, and the page that renders it. */
export function registerDocs(app: App): void {
  app.doc31(OPENAPI_PATH, {
    openapi: "3.1.0",
    info: openApiInfo,
    // Relative: the document describes whichever server serves it.
    servers: [{ url: "/", description: "The server this document was read from" }],
    tags: [{ name: "operations", description: "Health, readiness and metrics" }],
  });
  app.get(DOCS_PATH, (c) =>
    c.html(docsHtml, 200, {
      "content-security-policy": docsContentSecurityPolicy,
      "x-content-type-options": "nosniff",
      "x-frame-options": "DENY",
    }),
  );
}
