import type { Sql } from "../../db/database";
import { formatTimestamp } from "../../values/timestamps";
import { buildCard, type DatasetCard } from "../cards/card";
import { measureQuality } from "../cards/quality";
import { arrowSchema } from "../encode/arrow";
import {
  type DownloadFormat,
  type EncodeOptions,
  encodeBatches,
  encodeRows,
  isRowFormat,
} from "../encode/encode";
import type { OutputColumn } from "../plan/columns";
import type { DatasetPlan } from "../plan/dataset-plan";
import {
  type SnapshotInfo,
  type SnapshotOptions,
  type TrainingInput,
  withSnapshot,
} from "../snapshot/snapshot";

export type ExportSettings = {
  /** Rows per Arrow RecordBatch (and per cursor round trip, for CSV). */
  batchRows: number;
  /** Most rows per COPY statement when rows are read in key ranges (see snapshotBatches). */
  copyRows: number;
  rowGroupRows: number;
  compression: NonNullable<EncodeOptions["compression"]>;
};

export const DEFAULT_EXPORT_SETTINGS: ExportSettings = {
  batchRows: 8_192,
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
   * Count the rows before the first byte (default true; a card always does): false starts the
   * bytes sooner, and `info.rows` is set once the last row is encoded.
   */
  countFirst?: boolean;
  /** Called once the snapshot is open and its rows counted, before any byte; throwing aborts. */
  onStart?: (info: SnapshotInfo, columns: OutputColumn[]) => Promise<void> | void;
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
  const snapshotOptions: SnapshotOptions = {
    sliced: options.sliced ?? false,
    gate: options.gate,
    signal: options.signal,
    count: options.withCard === true || options.countFirst !== false,
    ...(options.training ? { training: options.training } : {}),
  };
  return withSnapshot(sql, plan, snapshotOptions, async (snapshot) => {
    const card = options.withCard
      ? buildCard(plan, snapshot.info, snapshot.columns, await measureQuality(snapshot, plan))
      : undefined;
    await options.onStart?.(snapshot.info, snapshot.columns);
    let rows = 0;
    let bytes = 0;
    const total = snapshot.info.rows ?? Number.NaN;
    const counted = <T extends { length: number } | { numRows: number }>(source: AsyncIterable<T>) =>
      (async function* () {
        for await (const part of source) {
          rows += "numRows" in part ? part.numRows : part.length;
          yield part;
          options.onProgress?.(rows, total);
        }
      })();
    const metadata = fileMetadata(plan, snapshot.info);
    // In the schema for Arrow files and for Parquet's ARROW:schema, which pyarrow and polars read
    // their schema's metadata from (the footer's key-value pairs alone left it None); in Parquet's
    // key-value metadata too, for readers without Arrow.
    const schema = arrowSchema(snapshot.columns, metadata);
    const encoded = isRowFormat(options.format)
      ? encodeRows(options.format, snapshot.columns, counted(snapshot.pages(settings.batchRows)))
      : encodeBatches(options.format, schema, counted(snapshot.batches(settings, schema)), {
          metadata,
          rowGroupRows: settings.rowGroupRows,
          compression: settings.compression,
        });
    for await (const chunk of encoded) {
      bytes += chunk.byteLength;
      await write(chunk);
    }
    // Not counted first: the encoding counted them (the same object the caller was handed).
    snapshot.info.rows ??= rows;
    return { info: snapshot.info, rows, bytes, ...(card ? { card } : {}) };
  });
}
