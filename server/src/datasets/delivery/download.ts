import type { Sql } from "../../db/database";
import { ident } from "../../definitions/compile/params";
import { digestOf, entriesJson } from "../../values/canonical-json";
import { formatTimestamp } from "../../values/timestamps";
import type { DatasetServices } from "../dataset-services";
import { type DownloadFormat, FORMAT_INFO } from "../encode/formats";
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
  /**
   * Settles once this caller's rows are charged (at once when there are none to charge); rejects
   * with the refusal. The file's head (bytes written before its rows were counted) may be read
   * before; its rows only after (see paidRead).
   */
  paid: Promise<void>;
  /** Gives back what this caller was charged, for a download that failed before it was delivered. */
  undelivered(): Promise<void>;
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
 * before the database does anything. One file per (request, data version) is encoded, whoever
 * asks: a second caller reads the same job (a retry of one's own request is not charged again,
 * but pays its bytes). Resolves once the data version is known, before the point-in-time work
 * and the count, so the answer and the file's first bytes go out while the database works. A
 * dataset's rows are counted before its first row and charged then; a download whose rows may
 * not fit what is left of the key's day is counted before it resolves instead, so a refusal is
 * still a 429 or 403 rather than a cut transfer.
 */
export async function startDownload(
  deps: { sql: Sql; datasets: DatasetServices; sliced: boolean },
  input: DownloadInput,
): Promise<StartedDownload> {
  const { sql, datasets } = deps;
  const { plan, training, payer } = input;
  const charge = chargeKey(payer.principal.accountId, input.identity);
  const upFront = upFrontCost(plan, training);
  const { charged } = await datasets.charger.charge(charge, upFront, payer);
  if (!charged) await payer.spend({ downloads: 0, rows: 0, bytes: 1 });
  let rowsSpent = 0;
  let givenBack = false;
  // Charged before any database work, so a request that cannot fit is refused at once; work that
  // is then refused or fails before it is delivered gives the charge back (a 503 for want of a
  // slot, a download cut by an error). The first byte stays spent once the answer has begun.
  const giveBack = async (answered: boolean) => {
    if (givenBack) return;
    givenBack = true;
    if (charged) await datasets.charger.release(charge);
    const spent = charged ? upFront : { downloads: 0, rows: 0, bytes: 1 };
    await payer.refund({
      downloads: spent.downloads,
      rows: spent.rows + rowsSpent,
      bytes: answered ? 0 : (spent.bytes ?? 0),
    });
  };
  const refusedBeforeAnswer = async <T>(work: () => Promise<T>): Promise<T> => {
    try {
      return await work();
    } catch (error) {
      await giveBack(false).catch(() => {});
      throw error;
    }
  };

  const key = fileKey(input.identity, await snapshotVersion(sql, plan, training !== undefined));
  const rowsCharged = charged && rowsCountedFirst(plan, training);
  const countFirst = rowsCharged && !(await refusedBeforeAnswer(() => fitsAtOnce(sql, plan, payer)));
  type Meta = { info: SnapshotInfo; columns: OutputColumn[] };
  let opened: { job: SpoolJob; started: Promise<Meta> } | undefined;
  let counted!: (rows: number | undefined) => void;
  let failed!: (error: unknown) => void;
  const counting = new Promise<number | undefined>((resolve, reject) => {
    counted = resolve;
    failed = reject;
  });
  counting.catch(() => {});
  opened = await refusedBeforeAnswer(async () =>
    datasets.spool.openInTurn<Meta>(
      key,
      (write, markStarted, signal) =>
        datasets.files
          .produce<Meta>(key, {
            write,
            signal,
            started: (meta) => {
              // Replayed from another process: written whole, its rows known (and all of it rows).
              if (meta.info.rows !== undefined) {
                if (opened) opened.job.headBytes = 0;
                counted(meta.info.rows);
              }
              markStarted(etagOf(key), meta);
            },
            encode: async (tee, begin) => {
              let begun: Meta | undefined;
              const result = await exportRows(sql, plan, tee, {
                ...datasets.config,
                format: input.format,
                sliced: deps.sliced,
                gate: datasets.gate,
                signal,
                // Rows to charge are counted before the first row; a file without any (a shared
                // public one, an as_of of a public dataset) learns its rows from the encoding,
                // and a training set has as many as were uploaded.
                countFirst: rowsCountedFirst(plan, training),
                ...(training ? { training } : {}),
                onStart: (info, columns) => {
                  begun = { info, columns };
                  begin(begun);
                },
                onCounted: (rows) => {
                  const job = opened?.job;
                  if (job) job.headBytes = job.written;
                  counted(rows);
                },
              });
              if (begun) begun.info.rows = result.rows;
              const meta = opened?.job.meta;
              if (meta) meta.rows = result.rows;
              counted(result.rows);
            },
          })
          .catch((error: unknown) => {
            failed(error);
            throw error;
          }),
      // A shared file is everybody's: its encoding counts toward shared files' share of the slots,
      // not the caller's, since it goes on after the caller that started it has left (a CSV
      // `limit` reads its rows from the whole file), for whoever asks next.
      sharedPublicFile(plan, training)
        ? { sharedAs: entriesJson(input.identity) }
        : { owner: payer.principal.accountId },
      input.signal,
    ),
  );
  const { job, started } = opened;
  job.counted ??= counting;
  datasets.spool.follow(job, input.signal, upFront.downloads === 0);
  const rowsOf = job.counted;
  const paid = rowsCharged
    ? rowsOf.then(async (rows) => {
        if (rows === undefined || rows <= 0) return;
        try {
          await payer.spend({ downloads: 0, rows });
          rowsSpent = rows;
        } catch (error) {
          // Refused: a retry must be charged (and refused) again, not waved through as a repeat.
          await datasets.charger.release(charge);
          throw error;
        }
      })
    : Promise.resolve();
  paid.catch(() => {});
  const { info, columns } = await refusedBeforeAnswer(async () => {
    if (countFirst) await paid;
    return started;
  });
  const rows = training ? training.ids.length : countFirst ? await rowsOf : info.rows;
  const filename = downloadFilename(plan, input.format, training !== undefined);
  job.meta = { rows: info.rows, version: info.version, filename };
  // The header says whether a download was spent: a shared public file spends only its bytes.
  return {
    job,
    info: { ...info, rows },
    columns,
    etag: job.etag as string,
    charged: charged && upFront.downloads > 0,
    filename,
    paid,
    undelivered: () => giveBack(true),
  };
}

/**
 * Whether a download's rows surely fit what is left of the key's day, so it may answer before
 * they are counted: the tier has no row quota, or what it may hold (its `limit`, and the rows of
 * the first view it joins, which inner joins and filters only remove) is within what is left.
 */
async function fitsAtOnce(sql: Sql, plan: DatasetPlan, payer: DownloadPayer): Promise<boolean> {
  const left = await payer.rowsLeft();
  if (left === Number.POSITIVE_INFINITY || (plan.limit ?? Number.POSITIVE_INFINITY) <= left) return true;
  const [base] = plan.sources;
  if (!base) return false;
  const [row] = await sql.unsafe<{ n: number }[]>(`select count(*)::float8 as n from ${ident(base.table)}`);
  return (row?.n ?? Number.POSITIVE_INFINITY) <= left;
}

/** The most rows a public preview (`limit`) holds and is still one of the files everybody shares. */
export const PUBLIC_PREVIEW_ROWS = 100;

/**
 * A public dataset as defined, at its current version, whole or as a preview of at most
 * PUBLIC_PREVIEW_ROWS rows (the quick start's `limit=5`): a few files per format shared by
 * everybody, which the spool always finds room for. Any other `limit` in Parquet or Arrow is a
 * file of the caller's choosing that the server keeps for everyone, so it spends a download: a
 * key cannot fill the spool with distinct limits for free (CSV and NDJSON read theirs from the
 * whole shared file, limitOfSharedFile, and so does a Parquet or Arrow limit at or past the rows
 * of a whole file already at hand).
 */
export function sharedPublicFile(plan: DatasetPlan, training?: TrainingInput): boolean {
  const preview = plan.limit === undefined || plan.limit <= PUBLIC_PREVIEW_ROWS;
  return plan.public && plan.asOf === undefined && !training && preview;
}

/**
 * The `limit` of a public dataset as defined, at its current version, past the shared previews:
 * its rows are the first of the whole shared file, in the same key order, so a row format (CSV,
 * NDJSON) reads them from that file and spends only its bytes. A free key's distinct limits were
 * each a new encoding of up to the whole dataset, kept in the spool (issue #38).
 */
export function limitOfSharedFile(plan: DatasetPlan): number | undefined {
  const { limit } = plan;
  if (limit === undefined || limit <= PUBLIC_PREVIEW_ROWS) return undefined;
  return sharedPublicFile({ ...plan, limit: undefined }) ? limit : undefined;
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

/**
 * Whether a download's rows are counted before its first row, to be charged: a dataset's that is
 * not public. A public one spends no rows, and a training set's were charged as uploaded.
 */
export const rowsCountedFirst = (plan: DatasetPlan, training?: TrainingInput) => !training && !plan.public;

/**
 * A file's ETag: its key names the request and the data version it was encoded from. Strong: the
 * bytes under one ETag are one spooled file, however often they are read.
 */
export function etagOf(fileKey: string): string {
  return `"${fileKey.slice(0, 32)}"`;
}
