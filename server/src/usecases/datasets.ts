import { createHash } from "node:crypto";
import type { DatasetCard } from "../datasets/cards/card";
import {
  downloadFileKey,
  etagOf,
  limitOfSharedFile,
  type StartedDownload,
  startDownload,
} from "../datasets/delivery/download";
import { firstRecords } from "../datasets/delivery/first-records";
import { paidRead } from "../datasets/delivery/paid-read";
import type { SpoolJob } from "../datasets/delivery/spool";
import { describeDataset } from "../datasets/describe";
import { isRowFormat, type RowFormat } from "../datasets/encode/encode";
import type { DownloadFormat } from "../datasets/encode/formats";
import {
  type DatasetPlan,
  type PlanRequest,
  planDownload,
  planTraining,
} from "../datasets/plan/dataset-plan";
import { settleAsOf } from "../datasets/snapshot/snapshot";
import { parseTrainingUpload, refuseTooManyRows } from "../datasets/upload/upload";
import { type UploadFormat, uploadRowCount } from "../datasets/upload/upload-formats";
import { tapped } from "../values/stream-end";
import type { Services } from "./context";
import type { Payer } from "./payer";

/** What a file response says of its file; its rows when known before the answer (see startDownload). */
export type FileInfo = {
  rows: number | undefined;
  version: string;
  charged: boolean;
  filename: string;
  etag: string;
  /** False for bytes cut from another file as they are read (firstRecordsOf): no `Range` resumes them. */
  resumable?: false;
};

/** A file being (or already) written to the spool, and the way to read it as it is written. */
export type DatasetFile = {
  info: FileInfo;
  /** Its whole length, when it is already written. */
  length: number | undefined;
  /**
   * The bytes as sent: counted as the client takes them, and settled through the Payer when they
   * end, however they end (finished, cancelled, failed): a repeat, a resume or a cached file pays
   * for what it sent. The first byte was spent when the download was admitted.
   */
  read(start?: number, end?: number): ReadableStream<Uint8Array>;
};

export type DownloadRequest = PlanRequest & { format: DownloadFormat };

/** A `Range` resume of a file already prepared for this request. */
export type DownloadResume = { range: { start: number; end?: number }; ifRange: string | undefined };

export type Download =
  | { kind: "not-modified"; etag: string }
  | { kind: "whole"; file: DatasetFile }
  | { kind: "part"; file: DatasetFile; start: number; end: number; total: number }
  | { kind: "past-end"; total: number; etag: string };

/**
 * A dataset or feature service as a file. A resume of a file already prepared pays only its
 * bytes; anything else is charged (once per request a day) before any work, then encoded once
 * per (request, data version) whoever asks. Resolves before the first byte, once the data
 * version is known: the rows are counted and computed while the file's first bytes go out.
 */
export async function downloadDataset(
  services: Services,
  asked: DownloadRequest,
  payer: Payer,
  options: { resume?: DownloadResume | undefined; ifNoneMatch?: string | undefined; signal: AbortSignal },
): Promise<Download> {
  const { sql, bulkSql, serving, datasets } = services;
  const { format, ...planned } = asked;
  const request = await settleAsOf(sql, planned);
  const identity = { kind: "download", ...request, format };
  const plan = await planDownload({ sql, catalog: serving.catalog }, request);
  const served = await servedFrom(services, plan, identity);
  if (options.ifNoneMatch !== undefined) {
    // The tag names the request and the data version: the caller's copy is this file's bytes.
    const whole = etagOf(await downloadFileKey(sql, served.plan, served.identity));
    const etag = served.records === undefined ? whole : recordsEtag(whole, served.records);
    if (etagMatches(options.ifNoneMatch, etag)) return { kind: "not-modified", etag };
  }
  if (options.resume) {
    const key = await downloadFileKey(sql, plan, identity);
    const job = datasets.spool.resumable(key, options.resume.ifRange);
    if (job?.etag && job.meta) {
      await payer.spend({ bytes: 1 });
      const info = { ...job.meta, charged: false, etag: job.etag };
      return part(services, payer, job, info, options.resume.range);
    }
  }
  const started = await startDownload(
    { sql: bulkSql, datasets, sliced: datasets.sliced },
    { plan: served.plan, format, identity: served.identity, payer, signal: options.signal },
  );
  const file =
    served.records === undefined
      ? fileOf(services, payer, started)
      : firstRecordsOf(services, payer, started, format as RowFormat, served.records);
  return { kind: "whole", file };
}

/** The file a download is served from, and for a row format's `limit`, the records cut from it. */
type Served = { plan: DatasetPlan; identity: Record<string, unknown>; records?: number };

/**
 * Which file a download is: its own, or the whole file everybody shares (nothing is encoded or
 * kept for its limit): in CSV or NDJSON its first `limit` records, and in Parquet or Arrow that
 * very file when it is at hand with at most `limit` rows.
 */
async function servedFrom(
  services: Services,
  plan: DatasetPlan,
  identity: Record<string, unknown> & { format: DownloadFormat },
): Promise<Served> {
  const prefix = limitOfSharedFile(plan);
  if (prefix === undefined) return { plan, identity };
  const { limit: _, ...whole } = identity;
  const wholePlan = { ...plan, limit: undefined };
  if (isRowFormat(identity.format)) return { plan: wholePlan, identity: whole, records: prefix };
  if (await wholeFileWithin(services, wholePlan, whole, prefix)) return { plan: wholePlan, identity: whole };
  return { plan, identity };
}

/** The tag of a file's first `records` records: the whole file's bytes and the limit. */
const recordsEtag = (whole: string, records: number) => `"${whole.slice(1, -1)}-${records}"`;

/** RFC 9110 §13.1.2: `*`, or a list of tags compared weakly (a `W/` prefix is ignored). */
function etagMatches(header: string, etag: string): boolean {
  if (header.trim() === "*") return true;
  return header.split(",").some((tag) => tag.trim().replace(/^W\//, "") === etag);
}

/**
 * Whether the whole shared file of a public dataset is at hand, written, with at most `limit`
 * rows: a Parquet or Arrow `limit` at or past the dataset's rows is then that very file, served
 * as it is (no download spent, nothing encoded or kept) instead of a new encoding of the same rows.
 */
async function wholeFileWithin(
  services: Services,
  wholePlan: DatasetPlan,
  identity: Record<string, unknown>,
  limit: number,
): Promise<boolean> {
  const key = await downloadFileKey(services.sql, wholePlan, identity);
  const rows = services.datasets.spool.resumable(key)?.meta?.rows;
  return rows !== undefined && rows <= limit;
}

export type TrainingRequest = {
  entity: string;
  features?: string[] | undefined;
  service?: string | undefined;
  dataset?: string | undefined;
  embeddings?: string[] | undefined;
  format: DownloadFormat;
  /** Everything else the request asked for, as given: part of what makes two requests the same. */
  query: Record<string, unknown>;
};

export type TrainingUpload = { format: UploadFormat; body: unknown; raw: Uint8Array | undefined };

/** Point-in-time training rows for uploaded (id, timestamp) rows, charged like a download. */
export async function trainingDataset(
  services: Services,
  request: TrainingRequest,
  upload: TrainingUpload,
  payer: Payer,
  options: { signal: AbortSignal },
): Promise<DatasetFile> {
  const { sql, bulkSql, serving, datasets } = services;
  const { features, embeddings } = request;
  // Before any parse: the rows an upload holds are cheap to count, and its quota known.
  await refuseOversizeUpload(services, upload.format, upload.raw ?? upload.body, payer);
  const plan = await planTraining(
    { sql, catalog: serving.catalog },
    {
      entity: request.entity,
      ...(features ? { features } : {}),
      ...(request.service ? { service: request.service } : {}),
      ...(request.dataset ? { dataset: request.dataset } : {}),
      ...(embeddings ? { embeddings } : {}),
    },
  );
  const training = await parseTrainingUpload(
    upload.format,
    upload.body,
    plan.entity,
    datasets.config.trainingMaxRows,
  );
  const digest = createHash("sha256")
    .update(upload.raw ?? JSON.stringify(upload.body))
    .digest("hex");
  const identity = { kind: "training", ...request.query, features, embeddings, upload: digest };
  const started = await startDownload(
    { sql: bulkSql, datasets, sliced: datasets.sliced },
    {
      plan,
      format: request.format,
      identity,
      payer,
      signal: options.signal,
      training,
    },
  );
  return fileOf(services, payer, started);
}

/**
 * Refuses an upload holding more rows than one may, or than a whole day of the key's quota,
 * counted without parsing it (a JSON body from its bytes, before the validator parses it).
 */
export async function refuseOversizeUpload(
  services: Services,
  format: UploadFormat,
  body: unknown,
  payer: Payer,
): Promise<void> {
  const rows = await uploadRowCount(format, body);
  if (rows === undefined) return;
  refuseTooManyRows(rows, services.datasets.config.trainingMaxRows);
  payer.refuseOversize({ rows, downloads: 1 });
}

/** A dataset's card as `request` would download it; one at an `as_of` is charged as a download. */
export async function datasetCard(
  services: Services,
  request: PlanRequest,
  payer: Payer,
  signal?: AbortSignal,
): Promise<DatasetCard> {
  const { sql, bulkSql, serving, datasets } = services;
  return describeDataset({ sql, bulkSql, catalog: serving.catalog, datasets }, request, payer, signal);
}

/** The limits a training upload is held to (the route documents and enforces its body size). */
export function trainingLimits(services: Services): { maxBytes: number; maxRows: number } {
  const { trainingMaxBytes, trainingMaxRows } = services.datasets.config;
  return { maxBytes: trainingMaxBytes, maxRows: trainingMaxRows };
}

function fileOf(services: Services, payer: Payer, started: StartedDownload): DatasetFile {
  const { job } = started;
  const info = {
    rows: started.info.rows,
    version: started.info.version,
    filename: started.filename,
    charged: started.charged,
    etag: started.etag,
  };
  const length = job.state === "done" ? job.written : undefined;
  return spooled(services, payer, job, info, length, started);
}

/**
 * The first `records` rows of a shared whole file, read as it is written. Its tag names the
 * whole file's bytes and the limit; a `Range` resume of it is answered whole (a 200 is a valid
 * answer to any `Range`).
 */
function firstRecordsOf(
  services: Services,
  payer: Payer,
  started: StartedDownload,
  format: RowFormat,
  records: number,
): DatasetFile {
  const { rows } = started.info;
  const info = {
    rows: rows === undefined ? undefined : Math.min(rows, records),
    version: started.info.version,
    filename: started.filename,
    charged: false,
    etag: recordsEtag(started.etag, records),
    resumable: false as const,
  };
  const cut = (body: ReadableStream<Uint8Array>) => firstRecords(body, format, records);
  const file = spooled(services, payer, started.job, info, undefined, started, cut);
  // Always from the start: where its bytes end in the whole file is known only once cut.
  return { ...file, read: () => file.read() };
}

/**
 * A spooled file as the HTTP layer reads it, from `start` to `end` as it is written. A new
 * download's rows are read once they are charged, and one that fails before its end (the work
 * failed, its rows were refused) fails its stream, giving back what it was charged.
 */
function spooled(
  services: Services,
  payer: Payer,
  job: SpoolJob,
  info: FileInfo,
  length: number | undefined,
  started?: Pick<StartedDownload, "paid" | "undelivered">,
  cut: (body: ReadableStream<Uint8Array>) => ReadableStream<Uint8Array> = (body) => body,
): DatasetFile {
  const { spool } = services.datasets;
  const settled = (body: ReadableStream<Uint8Array>) =>
    tapped(body, (outcome, sent) => {
      if (sent > 1) void payer.settle({ bytes: sent - 1 }).catch(() => {});
      if (outcome === "failed") void started?.undelivered().catch(() => {});
    });
  const read = (start = 0, end?: number) => {
    const body = spool.read(job, start, end);
    const sent = cut(started ? paidRead(body, job, start, started.paid) : body);
    return settled(services.datasets.pace.paced(sent, payer.principal));
  };
  return { info, length, read };
}

function part(
  services: Services,
  payer: Payer,
  job: SpoolJob,
  info: FileInfo,
  range: { start: number; end?: number },
): Download {
  const total = job.written;
  if (range.start >= total) return { kind: "past-end", total, etag: info.etag };
  const end = Math.min(range.end ?? total - 1, total - 1);
  return { kind: "part", file: spooled(services, payer, job, info, total), start: range.start, end, total };
}
