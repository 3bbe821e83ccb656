import type { Sql } from "../../db/database";
import { formatTimestamp } from "../../values/timestamps";
import { buildCard, type DatasetCard } from "../cards/card";
import { measureQuality } from "../cards/quality";
import { arrowSchema } from "../encode/arrow";
import { type EncodeOptions, encodeBatches, encodeRows, isRowFormat } from "../encode/encode";
import type { DownloadFormat } from "../encode/formats";
import type { OutputColumn } from "../plan/columns";
import type { DatasetPlan } from "../plan/dataset-plan";
import {
  type Snapshot,
  type SnapshotInfo,
  type SnapshotOptions,
  type TrainingInput,
  withSnapshot,
} from "../snapshot/snapshot";

export type ExportSettings = {
  /** Rows per Arrow RecordBatch, and per statement of a row format's range (CSV, NDJSON). */
  batchRows: number;
  /** Rows per round trip and per encoded page of a row format (see PageSizes). */
  readRows: number;
  /** Most rows per COPY statement when rows are read in key ranges (see snapshotBatches). */
  copyRows: number;
  rowGroupRows: number;
  compression: NonNullable<EncodeOptions["compression"]>;
};

export const DEFAULT_EXPORT_SETTINGS: ExportSettings = {
  batchRows: 8_192,
  readRows: 512,
  copyRows: 131_072,
  // A row group is what a Parquet download sends at once: about a second of encoding on an idle
  // embedded server, so a client timing out between bytes sees them flow.
  rowGroupRows: 16_384,
  compression: "snappy",
};

export type ExportOptions = Partial<ExportSettings> & {
  format: DownloadFormat;
  training?: TrainingInput;
  /** Read in short transactions, a key range each (the embedded database; see SnapshotOptions). */
  sliced?: boolean;
  gate?: SnapshotOptions["gate"];
  /** Aborted when nobody wants the file any more: the work stops within a slice. */
  signal?: AbortSignal | undefined;
  /** Also describe the rows (the dataset card), in the same snapshot. */
  withCard?: boolean;
  /**
   * Count the rows before the first row (default true; a card always does): false leaves
   * `info.rows` unset until the last row is encoded.
   */
  countFirst?: boolean;
  /**
   * Called once the data version is known, before the point-in-time work and the count, and
   * before any byte (throwing aborts): a file's first bytes (Parquet's magic, the CSV header,
   * the Arrow schema) are written meanwhile, while the database works. With a card, once the
   * card is made.
   */
  onStart?: (info: SnapshotInfo, columns: OutputColumn[]) => Promise<void> | void;
  /** Called with the rows once counted (or known), before the first row is read; throwing aborts. */
  onCounted?: (rows: number) => Promise<void> | void;
  onProgress?: (rows: number, total: number) => void;
};

export type ExportResult = { info: SnapshotInfo; rows: number; bytes: number; card?: DatasetCard };

/** The metadata stored in Parquet and Arrow files: enough to know what a file is on its own. */
export function fileMetadata(plan: DatasetPlan, info: SnapshotInfo): Record<string, string> {
  return {
    "rapfs.dataset": plan.name,
    "rapfs.entity": plan.entity.name,
    "rapfs.version": info.version,
    "rapfs.license": plan.license ?? "none declared",
    ...(info.builtAt ? { "rapfs.built_at": info.builtAt } : {}),
    ...(plan.asOf !== undefined ? { "rapfs.as_of": formatTimestamp(plan.asOf) } : {}),
  };
}

/**
 * Streams a plan's rows from one snapshot through the encoder into `write`, a cursor page at a
 * time; `write` is awaited before the next page is fetched, so memory holds a page and a row
 * group whatever the dataset's size.
 */
export async function exportRows(
  sql: Sql,
  plan: DatasetPlan,
  write: (chunk: Uint8Array) => Promise<void>,
  options: ExportOptions,
): Promise<ExportResult> {
  const settings = { ...DEFAULT_EXPORT_SETTINGS, ...options };
  let rows = 0;
  let bytes = 0;
  let total = Number.NaN;
  // The rows arrive once the snapshot is handed over; the file's first bytes go out before.
  const ready = deferred<Snapshot>();
  let encoding: Promise<void> | undefined;
  const begin = async (info: SnapshotInfo, columns: OutputColumn[]) => {
    await options.onStart?.(info, columns);
    const chunks = encoded(plan, info, columns, ready.promise, options.format, settings, (n) => {
      rows += n;
      options.onProgress?.(rows, total);
    });
    encoding = (async () => {
      for await (const chunk of chunks) {
        bytes += chunk.byteLength;
        await write(chunk);
      }
    })();
    encoding.catch(() => {});
  };
  const snapshotOptions: SnapshotOptions = {
    sliced: options.sliced ?? false,
    gate: options.gate,
    signal: options.signal,
    count: options.withCard === true || options.countFirst !== false,
    ...(options.training ? { training: options.training } : {}),
    ...(options.withCard ? {} : { onOpen: (info, columns) => begin({ ...info, rows: undefined }, columns) }),
    ...(options.onCounted ? { onCounted: options.onCounted } : {}),
  };
  try {
    return await withSnapshot(sql, plan, snapshotOptions, async (snapshot) => {
      const card = options.withCard
        ? buildCard(plan, snapshot.info, snapshot.columns, await measureQuality(snapshot, plan))
        : undefined;
      if (options.withCard) await begin(snapshot.info, snapshot.columns);
      total = snapshot.info.rows ?? Number.NaN;
      ready.resolve(snapshot);
      await encoding;
      // Not counted first: the encoding counted them.
      snapshot.info.rows ??= rows;
      return { info: snapshot.info, rows, bytes, ...(card ? { card } : {}) };
    });
  } catch (error) {
    // The encoder waits for rows that will not come: it fails too, and stops writing before this returns.
    ready.reject(error);
    await encoding?.catch(() => {});
    throw error;
  }
}

/**
 * The file's bytes: what needs only its columns and metadata first (Parquet's magic, the CSV
 * header, the Arrow schema), then its rows, once `snapshot` hands them over.
 */
function encoded(
  plan: DatasetPlan,
  info: SnapshotInfo,
  columns: OutputColumn[],
  snapshot: Promise<Snapshot>,
  format: DownloadFormat,
  settings: ExportSettings,
  counted: (rows: number) => void,
): AsyncIterable<Uint8Array> {
  const metadata = fileMetadata(plan, info);
  // In the schema for Arrow files and for Parquet's ARROW:schema, which pyarrow and polars read
  // their schema's metadata from (the footer's key-value pairs alone left it None); in Parquet's
  // key-value metadata too, for readers without Arrow.
  const schema = arrowSchema(columns, metadata);
  const tally = <T extends { length: number } | { numRows: number }>(
    source: (s: Snapshot) => AsyncIterable<T>,
  ) =>
    (async function* () {
      for await (const part of source(await snapshot)) {
        yield part;
        counted("numRows" in part ? part.numRows : part.length);
      }
    })();
  return isRowFormat(format)
    ? encodeRows(
        format,
        columns,
        tally((s) => s.pages(settings)),
      )
    : encodeBatches(
        format,
        schema,
        tally((s) => s.batches(settings, schema)),
        {
          metadata,
          rowGroupRows: settings.rowGroupRows,
          compression: settings.compression,
        },
      );
}

function deferred<T>(): {
  promise: Promise<T>;
  resolve: (value: T) => void;
  reject: (error: unknown) => void;
} {
  let resolve!: (value: T) => void;
  let reject!: (error: unknown) => void;
  const promise = new Promise<T>((res, rej) => {
    resolve = res;
    reject = rej;
  });
  promise.catch(() => {});
  return { promise, resolve, reject };
}
