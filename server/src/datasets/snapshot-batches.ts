import type { Data, DataType, RecordBatch, Schema } from "apache-arrow";
import type { Sql } from "../db/database";
import { arrowSchema, batchOf, columnData } from "./arrow";
import type { OutputColumn } from "./columns";
import { copyBatches } from "./copy-batches";
import { copyOut } from "./copy-out";
import { binaryCopy } from "./copy-statement";
import type { Batches } from "./encode";
import type { DatasetPlan } from "./plan";
import { type RowsSql, rowsStatement } from "./query";
import type { TrainingInput } from "./snapshot";

const ORD: OutputColumn = { name: "ord", kind: "float", description: "", source: "" };

/**
 * The snapshot's rows as RecordBatches of `schema`, read with one binary COPY. Training rows
 * come back as [ord, ...features]; ord (1-based) finds each one's uploaded id, timestamp and label.
 */
export async function* snapshotBatches(
  tx: Sql,
  plan: DatasetPlan,
  rows: RowsSql,
  columns: OutputColumn[],
  schema: Schema,
  batchRows: number,
  training: TrainingInput | undefined,
): Batches {
  const statement = binaryCopy(rowsStatement(rows, plan.limit));
  const readable = await copyOut(tx, statement);
  if (!training) {
    yield* copyBatches(readable, schema, columns, batchRows);
    return;
  }
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
