import type { Context } from "hono";
import {
  type DatasetFile,
  type Download,
  type DownloadFormat,
  type FileInfo,
  FORMAT_INFO,
} from "../../../usecases";
import type { AppEnv } from "../../env";

/** A file is the caller's (its quota paid for it): no shared cache keeps it. A 304 repeats it (RFC 9110 §15.4.5). */
const FILE_CACHE_CONTROL = "private, no-store";

/** The headers of a file response, full or partial. */
export function fileHeaders(format: DownloadFormat, info: FileInfo): Record<string, string> {
  return {
    "Content-Type": FORMAT_INFO[format].contentType,
    "Content-Disposition": `attachment; filename="${info.filename}"`,
    ETag: info.etag,
    "Accept-Ranges": info.resumable === false ? "none" : "bytes",
    "Cache-Control": FILE_CACHE_CONTROL,
    ...(info.rows === undefined ? {} : { "Rapfs-Rows": String(info.rows) }),
    "Rapfs-Dataset-Version": info.version,
    "Rapfs-Download-Charged": String(info.charged),
  };
}

/** A whole file (read from the spool as it is written), the requested part of one, or 416. */
export function fileResponse(c: Context<AppEnv>, format: DownloadFormat, download: Download): Response {
  if (download.kind === "past-end") {
    return c.body(null, 416, { "Content-Range": `bytes */${download.total}`, ETag: download.etag });
  }
  if (download.kind === "not-modified")
    return c.body(null, 304, { ETag: download.etag, "Cache-Control": FILE_CACHE_CONTROL });
  const headers = fileHeaders(format, download.file.info);
  if (download.kind === "whole") return wholeFile(c, download.file, headers);
  const { start, end, total } = download;
  return c.body(download.file.read(start, end), 206, {
    ...headers,
    "Content-Range": `bytes ${start}-${end}/${total}`,
    "Content-Length": String(end - start + 1),
  });
}

/** The whole file; its length is known if it is already written. */
export function wholeFile(c: Context<AppEnv>, file: DatasetFile, headers: Record<string, string>): Response {
  const length: Record<string, string> =
    file.length === undefined ? {} : { "Content-Length": String(file.length) };
  return c.body(file.read(), 200, { ...headers, ...length });
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
