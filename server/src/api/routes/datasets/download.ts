import { createRoute } from "@hono/zod-openapi";
import { downloadFileKey, startDownload } from "../../../datasets/download";
import { planDownload } from "../../../datasets/plan";
import { settleAsOf } from "../../../datasets/snapshot";
import { settleBytes, spendQuota } from "../../access/middleware";
import type { App } from "../../env";
import { errorResponses } from "../../errors";
import { fileHeaders, fullResponse, parseRange, partialResponse } from "./respond";
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
    "and a `Range` resume with `If-Range: <ETag>` too). A dataset marked public, downloaded as " +
    "defined (no `features`, `service` or `embeddings`), spends no rows; at its current version it is " +
    "one file shared by everyone and spends only its bytes. A download larger than a whole day of the " +
    "tier's quota is refused with 403 EXCEEDS_QUOTA (no Retry-After: waiting never helps), which says " +
    "what fits. See docs/datasets.md.",
  request: { params: NameParams, query: DownloadQuery },
  responses: {
    200: { description: "The file", headers: DOWNLOAD_HEADERS, content: FILE_CONTENT },
    206: {
      description: "The requested part of a file already prepared for this request",
      content: FILE_CONTENT,
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
    const { sql, bulkSql, serving, datasets } = c.get("services");
    const request = await settleAsOf(sql, planRequest(name, query));
    const identity = { kind: "download", ...request, format: query.format };
    const plan = await planDownload({ sql, catalog: serving.catalog }, request);

    const range = parseRange(c.req.header("range"));
    if (range) {
      const job = datasets.spool.resumable(
        await downloadFileKey(sql, plan, identity),
        c.req.header("if-range"),
      );
      if (job?.etag && job.meta) {
        // A resume pays its bytes like any other read of the file.
        await spendQuota(c, { bytes: 1 });
        const headers = fileHeaders(query.format, { ...job.meta, charged: false, etag: job.etag });
        return partialResponse(c, datasets.spool, job, range, headers, settleBytes(c)) as never;
      }
    }

    const started = await startDownload(
      { sql: bulkSql, datasets, sliced: datasets.sliced },
      {
        plan,
        format: query.format,
        identity,
        subject: c.get("principal")?.accountId ?? "anonymous",
        spend: (cost) => spendQuota(c, cost),
        signal: c.req.raw.signal,
      },
    );
    const headers = fileHeaders(query.format, {
      rows: started.info.rows,
      version: started.info.version,
      filename: started.filename,
      charged: started.charged,
      etag: started.etag,
    });
    return fullResponse(c, datasets.spool, started.job, headers, settleBytes(c)) as never;
  });
}
