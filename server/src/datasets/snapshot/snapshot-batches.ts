import type { Data, DataType, RecordBatch, Schema } from "apache-arrow";
import type { Sql } from "../../db/database";
import { arrowSchema, batchOf, columnData } from "../encode/arrow";
import { copyBatches } from "../encode/copy-batches";
import type { Batches } from "../encode/encode";
import type { OutputColumn } from "../plan/columns";
import type { DatasetPlan } from "../plan/dataset-plan";
import { copyOut } from "./copy-out";
import { binaryCopy } from "./copy-statement";
import type { RowsSql } from "./query";
import { inRanges } from "./ranges";
import type { SnapshotOptions, SnapshotRead, TrainingInput } from "./snapshot";

const ORD: OutputColumn = { name: "ord", kind: "float", description: "", source: "" };

/**
 * The snapshot's rows as RecordBatches of `schema`, read with binary COPY a key range at a time
 * (see inRanges): PGlite runs a statement in one synchronous call and queues all its output in
 * the process, so a range bounds both the time the database is held and the memory the output
 * takes. Training rows come back as [ord, ...features]; ord (1-based) finds each one's uploaded
 * id, timestamp and label.
 */
export async function* snapshotBatches(
  read: SnapshotRead,
  plan: DatasetPlan,
  rows: RowsSql,
  columns: OutputColumn[],
  schema: Schema,
  sizes: { batchRows: number; copyRows: number },
  options: SnapshotOptions,
): Batches {
  const { training } = options;
  const uploaded = columns.length - plan.features.length;
  const wireColumns = training ? [ORD, ...columns.slice(uploaded)] : columns;
  const wire = training ? arrowSchema(wireColumns) : schema;
  const ranges = inRanges(
    rows,
    plan.limit,
    options.signal,
    async (statement) => {
      const batches = await read(async (tx: Sql) => {
        const all: RecordBatch[] = [];
        const readable = await copyOut(tx, binaryCopy(await statement(tx)));
        for await (const batch of copyBatches(readable, wire, wireColumns, sizes.batchRows)) all.push(batch);
        return all;
      });
      return { parts: batches, rows: batches.reduce((sum, b) => sum + b.numRows, 0) };
    },
    { paced: options.sliced === true, maxRows: sizes.copyRows },
  );
  for await (const batch of ranges) {
    yield training ? withUploaded(batch, schema, columns.slice(0, uploaded), training) : batch;
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
