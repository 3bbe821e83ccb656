import type { Data, DataType, RecordBatch, Schema } from "apache-arrow";
import type { Sql } from "../db/database";
import { arrowSchema, batchOf, columnData } from "./arrow";
import type { OutputColumn } from "./columns";
import { copyBatches } from "./copy-batches";
import { copyOut } from "./copy-out";
import { binaryCopy } from "./copy-statement";
import type { Batches } from "./encode";
import type { DatasetPlan } from "./plan";
import { type RowsSql, rowsAfter, rowsStatement } from "./query";
import type { TrainingInput } from "./snapshot";

const ORD: OutputColumn = { name: "ord", kind: "float", description: "", source: "" };

/**
 * About how many bytes of binary COPY output a key range may take: ranges of narrow rows stay
 * long (each range is a new statement, and on PGlite a merge over index scans costs more per row
 * than the one hash join a whole read gets), ranges of embeddings shrink.
 */
const RANGE_BYTES = 32 * 1024 * 1024;

/** A rough size of one row in binary COPY: 4 bytes of length per field, then its value. */
function rowBytes(columns: OutputColumn[]): number {
  const array = 20;
  const size: Record<OutputColumn["kind"], (c: OutputColumn) => number> = {
    bool: () => 1,
    int: () => 4,
    float: () => 8,
    timestamp: () => 8,
    string: () => 32,
    json: () => 256,
    "string[]": () => array + 4 * (4 + 16),
    "float[]": () => array + 16 * (4 + 8),
    vector: (c) => array + (c.dimension ?? 0) * (4 + 4),
  };
  return 2 + columns.reduce((sum, c) => sum + 4 + size[c.kind](c), 0);
}

/**
 * The snapshot's rows as RecordBatches of `schema`, read with binary COPY. Keyed rows (current
 * values) are read in key ranges (about RANGE_BYTES, at most `copyRows` rows), one COPY each:
 * PGlite runs a statement in one synchronous call and queues all its output in the process, so
 * a range bounds both the time the embedded server's event loop is held and the memory the
 * output takes. Point-in-time rows (ordered by an unindexed ord in a temp table) are one COPY.
 * Training rows come back as [ord, ...features]; ord (1-based) finds each one's uploaded id,
 * timestamp and label.
 */
export async function* snapshotBatches(
  tx: Sql,
  plan: DatasetPlan,
  rows: RowsSql,
  columns: OutputColumn[],
  schema: Schema,
  sizes: { batchRows: number; copyRows: number },
  training: TrainingInput | undefined,
): Batches {
  if (training) {
    yield* trainingBatches(tx, plan, rows, columns, schema, sizes.batchRows, training);
    return;
  }
  if (rows.rangeKeys.length === 0) {
    const statement = binaryCopy(rowsStatement(rows, plan.limit));
    yield* copyBatches(await copyOut(tx, statement), schema, columns, sizes.batchRows);
    return;
  }
  const rangeRows = Math.min(sizes.copyRows, Math.max(1_024, Math.floor(RANGE_BYTES / rowBytes(columns))));
  let remaining = plan.limit ?? Number.POSITIVE_INFINITY;
  let after: unknown;
  while (remaining > 0) {
    const limit = Math.min(rangeRows, remaining);
    const statement = binaryCopy(rowsStatement(rowsAfter(rows, after), limit));
    let read = 0;
    for await (const batch of copyBatches(await copyOut(tx, statement), schema, columns, sizes.batchRows)) {
      read += batch.numRows;
      if (batch.numRows > 0) after = batch.getChildAt(0)?.get(batch.numRows - 1);
      yield batch;
    }
    remaining -= read;
    if (read < limit) return;
  }
}

async function* trainingBatches(
  tx: Sql,
  plan: DatasetPlan,
  rows: RowsSql,
  columns: OutputColumn[],
  schema: Schema,
  batchRows: number,
  training: TrainingInput,
): Batches {
  const readable = await copyOut(tx, binaryCopy(rowsStatement(rows, plan.limit)));
  const uploaded = columns.length - plan.features.length;
  const features = columns.slice(uploaded);
  const wire = arrowSchema([ORD, ...features]);
  for await (const batch of copyBatches(readable, wire, [ORD, ...features], batchRows)) {
    yield withUploaded(batch, schema, columns.slice(0, uploaded), training);
  }
}

function withUploaded(
  batch: RecordBatch,
  schema: Schema,
  uploaded: OutputColumn[],
  training: TrainingInput,
): RecordBatch {
  const ords = batch.getChildAt(0)?.toArray() as Float64Array;
  const index = Array.from(ords, (ord) => ord - 1);
  const sources = [training.ids, training.asOf, ...(training.label ? [training.label.values] : [])];
  const leading = uploaded.map((column, j) =>
    columnData(
      column,
      schema.fields[j]?.type as DataType,
      index.map((i) => sources[j]?.[i]),
    ),
  );
  const features = batch.data.children.slice(1) as Data[];
  return batchOf(schema, [...leading, ...features], batch.numRows);
}
