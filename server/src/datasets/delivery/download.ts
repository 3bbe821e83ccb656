import type { Sql } from "../../db/database";
import { digestOf, entriesJson } from "../../values/canonical-json";
import { formatTimestamp } from "../../values/timestamps";
import type { DatasetServices } from "../dataset-services";
import { type DownloadFormat, FORMAT_INFO } from "../encode/encode";
import type { OutputColumn } from "../plan/columns";
import type { DatasetPlan } from "../plan/dataset-plan";
import { type SnapshotInfo, snapshotVersion, type TrainingInput } from "../snapshot/snapshot";
import { chargeKey, type DownloadCost, type DownloadPayer } from "./charge";
import { exportRows } from "./export";
import type { SpoolJob } from "./spool";

export type DownloadInput = {
  plan: DatasetPlan;
  format: DownloadFormat;
  /** Everything the request asked for, normalized: what makes two requests the same download. */
  identity: Record<string, unknown>;
  /** The request's Payer: the download, its rows and its first byte are spent through it. */
  payer: DownloadPayer;
  training?: TrainingInput;
  /** Aborts when the client goes away: the work stops once no client of the file is left. */
  signal: AbortSignal;
};

export type StartedDownload = {
  job: SpoolJob;
  info: SnapshotInfo;
  columns: OutputColumn[];
  etag: string;
  /** False when this download was already charged today (a retry): it still pays its bytes. */
  charged: boolean;
  filename: string;
};

/** What a file holds: the request without its caller, and the data version it reads. */
export function fileKey(identity: Record<string, unknown>, version: string): string {
  return digestOf(entriesJson(identity), version);
}

/** The key of an already encoded file, for a `Range` request that resumes it. */
export async function downloadFileKey(
  sql: Sql,
  plan: DatasetPlan,
  identity: Record<string, unknown>,
): Promise<string> {
  return fileKey(identity, await snapshotVersion(sql, plan));
}

export function downloadFilename(plan: DatasetPlan, format: DownloadFormat, training = false): string {
  const base = (training ? `training-${plan.entity.name}` : plan.name).replace(/[^A-Za-z0-9_.-]+/g, "-");
  const asOf =
    plan.asOf === undefined ? "" : `-as-of-${formatTimestamp(plan.asOf).slice(0, 19).replace(/[-:]/g, "")}`;
  return `${base}${asOf}.${FORMAT_INFO[format].extension}`;
}

/**
 * A download, charged before any work: the download, the first byte and every row known up
 * front (an upload's rows, a public dataset's none), so a request that cannot fit is refused
 * before the database does anything. A dataset's rows are counted by the work and charged
 * before the first byte. One file per (request, data version) is encoded, whoever asks: a
 * second caller reads the same job (a retry of one's own request is not charged again, but
 * pays its bytes). Resolves before the first byte; the bytes are charged as they are sent.
 */
export async function startDownload(
  deps: { sql: Sql; datasets: DatasetServices; sliced: boolean },
  input: DownloadInput,
): Promise<StartedDownload> {
  const { sql, datasets } = deps;
  const { plan, training } = input;
  const charge = chargeKey(input.payer.principal.accountId, input.identity);
  const upFront = upFrontCost(plan, training);
  const { charged } = await datasets.charger.charge(charge, upFront, input.payer);
  if (!charged) await input.payer.spend({ downloads: 0, rows: 0, bytes: 1 });
  // Charged before any database work, so a request that cannot fit is refused at once; work that
  // is then refused (no slot, a full spool: 503) gives the charge back.
  const uncharge = async () => {
    if (charged) await datasets.charger.release(charge);
    await input.payer.refund(charged ? upFront : { downloads: 0, rows: 0, bytes: 1 });
  };

  const key = fileKey(input.identity, await snapshotVersion(sql, plan, training !== undefined));
  type Meta = { info: SnapshotInfo; columns: OutputColumn[] };
  let opened: { job: SpoolJob; started: Promise<Meta> } | undefined;
  opened = await tryOpen(uncharge, () =>
    datasets.spool.open<Meta>(
      key,
      (write, markStarted, signal) =>
        datasets.files.produce<Meta>(key, {
          write,
          signal,
          started: (meta) => markStarted(etagOf(key), meta),
          encode: async (tee, begin) => {
            const result = await exportRows(sql, plan, tee, {
              ...datasets.config,
              format: input.format,
              sliced: deps.sliced,
              gate: datasets.gate,
              signal,
              // A file shared by everyone charges no rows: it starts its bytes at once and learns
              // its rows from the encoding. Any other says its rows (or charges them) up front.
              countFirst: upFront.downloads > 0,
              ...(training ? { training } : {}),
              onStart: (info, columns) => begin({ info, columns }),
            });
            const meta = opened?.job.meta;
            if (meta) meta.rows = result.rows;
          },
        }),
      { owner: input.payer.principal.accountId, alwaysRoom: sharedPublicFile(plan, training) },
    ),
  );
  const { job, started } = opened;
  datasets.spool.follow(job, input.signal, upFront.downloads === 0);
  const { info, columns } = await started;
  if (charged && countedLater(plan, training) && info.rows !== undefined && info.rows > 0) {
    try {
      await input.payer.spend({ downloads: 0, rows: info.rows });
    } catch (error) {
      // Refused: a retry must be charged (and refused) again, not waved through as a repeat.
      await datasets.charger.release(charge);
      throw error;
    }
  }
  const filename = downloadFilename(plan, input.format, training !== undefined);
  job.meta = { rows: info.rows, version: info.version, filename };
  // The header says whether a download was spent: a shared public file spends only its bytes.
  return {
    job,
    info,
    columns,
    etag: job.etag as string,
    charged: charged && upFront.downloads > 0,
    filename,
  };
}

/** The most rows a public preview (`limit`) holds and is still one of the files everybody shares. */
export const PUBLIC_PREVIEW_ROWS = 100;

/**
 * A public dataset as defined, at its current version, whole or as a preview of at most
 * PUBLIC_PREVIEW_ROWS rows (the quick start's `limit=5`): a few files per format shared by
 * everybody, which the spool always finds room for. Any other `limit` is a file of the caller's
 * choosing that the server keeps for everyone, so it spends a download: a key cannot fill the
 * spool with distinct limits for free.
 */
export function sharedPublicFile(plan: DatasetPlan, training?: TrainingInput): boolean {
  const preview = plan.limit === undefined || plan.limit <= PUBLIC_PREVIEW_ROWS;
  return plan.public && plan.asOf === undefined && !training && preview;
}

/**
 * A public dataset as defined is what a free tier is for: no rows are spent, so a dataset larger
 * than a day's rows still downloads whole, and its shared files (sharedPublicFile) spend only the
 * bytes sent, not a download. What has to be computed for the caller (an instant, an upload,
 * other features, a limit of its own) spends a download, and a row per row (not for a public
 * dataset): an upload's rows are known before the work, a dataset's only once counted.
 */
export function upFrontCost(plan: DatasetPlan, training?: TrainingInput): DownloadCost {
  const shared = sharedPublicFile(plan, training);
  return { downloads: shared ? 0 : 1, rows: training ? training.ids.length : 0, bytes: 1 };
}

const countedLater = (plan: DatasetPlan, training?: TrainingInput) => !training && !plan.public;

/** Strong: the bytes under one ETag are one spooled file, however often they are read. */
function etagOf(fileKey: string): string {
  return `"${fileKey.slice(0, 32)}"`;
}

/** `open`, or the charge given back when the spool refuses the work before it begins. */
async function tryOpen<T>(uncharge: () => Promise<void>, open: () => T): Promise<T> {
  try {
    return open();
  } catch (error) {
    await uncharge().catch(() => {});
    throw error;
  }
}
