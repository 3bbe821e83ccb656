import { createRoute } from "@hono/zod-openapi";
import type { App } from "../../env";
import { errorResponses } from "../../errors";
import { fileResponse, parseRange } from "./respond";
import { DOWNLOAD_HEADERS, DownloadQuery, FILE_CONTENT, NameParams, planRequest } from "./schemas";

export const route = createRoute({
  operationId: "downloadDataset",
  method: "get",
  path: "/v1/datasets/{name}/download",
  tags: ["datasets"],
  summary: "Download a dataset or feature service as Parquet, CSV, Arrow or NDJSON",
  description:
    "Rows come from one consistent snapshot (a materialization running meanwhile is either wholly " +
    "in or wholly out), streamed as they are encoded. Spends one download and one row per row of the " +
    "key's daily quotas once per request per UTC day (a retry of the same request is not charged " +
    "again), charged before any work where they are known, and the bytes sent, every time (a retry " +
    "and a `Range` resume with `If-Range: <ETag>` too); `If-None-Match: <ETag>` of an unchanged file " +
    "is a 304 that spends nothing but the request. A dataset marked public, downloaded as " +
    "defined (no `features`, `service` or `embeddings`), spends no rows; at its current version, whole or " +
    "with a `limit` of at most 100 rows, it is one file shared by everyone and spends only its bytes; " +
    "in CSV or NDJSON any `limit` is the first rows of that shared file and spends only its bytes too " +
    "(in Parquet or Arrow a larger `limit` is a file of its own and spends a download). A download larger than a whole day of the " +
    "tier's quota is refused with 403 EXCEEDS_QUOTA (no Retry-After: waiting never helps), which says " +
    "what fits. See docs/datasets.md.",
  request: { params: NameParams, query: DownloadQuery },
  responses: {
    200: { description: "The file", headers: DOWNLOAD_HEADERS, content: FILE_CONTENT },
    206: {
      description: "The requested part of a file already prepared for this request",
      content: FILE_CONTENT,
    },
    304: {
      description:
        "`If-None-Match` names this file's ETag: the data has not changed since the caller's copy " +
        "(nothing is spent but the request)",
    },
    416: { description: "The range starts past the end of the prepared file" },
    ...errorResponses(
      "VALIDATION_FAILED",
      "BAD_REQUEST",
      "UNKNOWN_FEATURE",
      "GONE",
      "UNAUTHORIZED",
      "FORBIDDEN",
      "EXCEEDS_QUOTA",
      "NOT_FOUND",
      "CONFLICT",
      "RATE_LIMITED",
      "UNAVAILABLE",
    ),
  },
});

export function registerDownload(app: App): void {
  app.openapi(route, async (c) => {
    const { name } = c.req.valid("param");
    const query = c.req.valid("query");
    const range = parseRange(c.req.header("range"));
    const download = await c
      .get("useCases")
      .datasets.download({ ...planRequest(name, query), format: query.format }, c.get("payer"), {
        resume: range && { range, ifRange: c.req.header("if-range") },
        ifNoneMatch: c.req.header("if-none-match"),
        signal: c.req.raw.signal,
      });
    return fileResponse(c, query.format, download) as never;
  });
}
