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
 * About how many bytes of binary COPY output an unpaced range may take, its batches being held
 * until it ends: public's rows (about 700 bytes) are 97,000 a range, a 1,024-dimension
 * embedding's about 8,000.
 */
const RANGE_BYTES = 64 * 1024 * 1024;

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
    {
      paced: options.sliced === true,
      maxRows: Math.min(sizes.copyRows, Math.max(1_024, Math.floor(RANGE_BYTES / rowBytes(wireColumns)))),
    },
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
