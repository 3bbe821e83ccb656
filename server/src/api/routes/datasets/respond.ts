import type { Context } from "hono";
import { type DownloadFormat, FORMAT_INFO } from "../../../datasets/encode";
import type { DatasetServices } from "../../../datasets/services";
import type { SpoolJob } from "../../../datasets/spool";
import type { AppEnv } from "../../env";
import { tapped } from "../../stream-end";

type Meta = { rows: number; version: string; charged: boolean; filename: string; etag: string };

/** The headers of a file response, full or partial. */
export function fileHeaders(format: DownloadFormat, meta: Meta): Record<string, string> {
  return {
    "Content-Type": FORMAT_INFO[format].contentType,
    "Content-Disposition": `attachment; filename="${meta.filename}"`,
    ETag: meta.etag,
    "Accept-Ranges": "bytes",
    "Cache-Control": "private, no-store",
    "Rapfs-Rows": String(meta.rows),
    "Rapfs-Dataset-Version": meta.version,
    "Rapfs-Download-Charged": String(meta.charged),
  };
}

/** Spends what was spent on the bytes sent beyond the first (charged at admission), once the body ends. */
export type SettleBytes = (bytes: number) => Promise<void>;

/**
 * The body as sent: its bytes are counted as the client takes them, and charged when it ends,
 * however it ends (finished, cancelled, failed): a repeat, a resume or a cached file pays for
 * what it sent.
 */
function charged(body: ReadableStream<Uint8Array>, settle: SettleBytes): ReadableStream<Uint8Array> {
  return tapped(body, (_, sent) => {
    if (sent > 1) void settle(sent - 1).catch(() => {});
  });
}

/** The whole file, read from the spool as it is written; its length is known if it is already done. */
export function fullResponse(
  c: Context<AppEnv>,
  spool: DatasetServices["spool"],
  job: SpoolJob,
  headers: Record<string, string>,
  settle: SettleBytes,
) {
  const length: Record<string, string> =
    job.state === "done" ? { "Content-Length": String(job.written) } : {};
  return c.body(charged(spool.read(job), settle), 200, { ...headers, ...length });
}

/** `bytes=START-` or `bytes=START-END` (one range); anything else is served whole. */
export function parseRange(header: string | undefined): { start: number; end?: number } | undefined {
  const match = header ? /^bytes=(\d+)-(\d*)$/.exec(header.trim()) : null;
  if (!match) return undefined;
  const start = Number(match[1]);
  const end = match[2] ? Number(match[2]) : undefined;
  if (end !== undefined && end < start) return undefined;
  return { start, ...(end !== undefined ? { end } : {}) };
}

/** A resume: the requested bytes of a file already spooled for this caller and request. */
export function partialResponse(
  c: Context<AppEnv>,
  spool: DatasetServices["spool"],
  job: SpoolJob,
  range: { start: number; end?: number },
  headers: Record<string, string>,
  settle: SettleBytes,
): Response {
  const total = job.written;
  if (range.start >= total) {
    return c.body(null, 416, { "Content-Range": `bytes */${total}`, ETag: headers.ETag ?? "" });
  }
  const end = Math.min(range.end ?? total - 1, total - 1);
  return c.body(charged(spool.read(job, range.start, end), settle), 206, {
    ...headers,
    "Content-Range": `bytes ${range.start}-${end}/${total}`,
    "Content-Length": String(end - range.start + 1),
  });
}
