import {
  Bool,
  type Data,
  type DataType,
  Field,
  FixedSizeList,
  Float32,
  Float64,
  Int32,
  List,
  makeData,
  RecordBatch,
  Schema,
  Struct,
  TimestampMicrosecond,
  Utf8,
} from "apache-arrow";
import { utf8Body } from "../../values/utf8-pieces";
import type { ColumnKind, OutputColumn } from "../plan/columns";

export function arrowType(kind: ColumnKind, dimension = 0): DataType {
  switch (kind) {
    case "bool":
      return new Bool();
    case "int":
      return new Int32();
    case "float":
      return new Float64();
    case "timestamp":
      // Instants, stored as UTC: readers show timestamp[us, tz=UTC], not a wall time of nowhere.
      return new TimestampMicrosecond("UTC");
    case "string[]":
      return new List(new Field("item", new Utf8(), true));
    case "float[]":
      return new List(new Field("item", new Float64(), true));
    case "vector":
      return new FixedSizeList(dimension, new Field("item", new Float32(), false));
    default:
      return new Utf8();
  }
}

/** The Arrow schema of a download; descriptions ride along as field metadata. */
export function arrowSchema(columns: OutputColumn[], metadata: Record<string, string> = {}): Schema {
  const fields = columns.map(
    (c) =>
      new Field(
        c.name,
        arrowType(c.kind, c.dimension),
        true,
        new Map([
          ["description", c.description],
          ["source", c.source],
        ]),
      ),
  );
  return new Schema(fields, new Map(Object.entries(metadata)));
}

/** A RecordBatch of `length` rows from its columns' data, in schema order. */
export function batchOf(schema: Schema, children: Data[], length: number): RecordBatch {
  const struct = makeData({ type: new Struct(schema.fields), length, nullCount: 0, children });
  return new RecordBatch(schema, struct);
}

function validity(values: unknown[]): { nullBitmap: Uint8Array; nullCount: number } {
  const nullBitmap = new Uint8Array((values.length + 7) >> 3);
  let nullCount = 0;
  values.forEach((v, i) => {
    if (v === null || v === undefined) nullCount++;
    else nullBitmap[i >> 3] = (nullBitmap[i >> 3] as number) | (1 << (i & 7));
  });
  return { nullBitmap, nullCount };
}

/** One column from JS values (the shapes `valueSql` selects). */
export function columnData(column: OutputColumn, type: DataType, values: unknown[]): Data {
  const length = values.length;
  const { nullBitmap, nullCount } = validity(values);
  switch (column.kind) {
    case "int":
      return makeData({
        type: type as Int32,
        length,
        nullCount,
        nullBitmap,
        data: numbers(Int32Array, values),
      });
    case "float":
      return makeData({
        type: type as Float64,
        length,
        nullCount,
        nullBitmap,
        data: numbers(Float64Array, values),
      });
    case "bool": {
      const data = new Uint8Array((length + 7) >> 3);
      values.forEach((v, i) => {
        if (v === true) data[i >> 3] = (data[i >> 3] as number) | (1 << (i & 7));
      });
      return makeData({ type: type as Bool, length, nullCount, nullBitmap, data });
    }
    case "timestamp": {
      const data = new BigInt64Array(length);
      values.forEach((v, i) => {
        if (typeof v === "number") data[i] = BigInt(Math.round(v));
      });
      return makeData({ type: type as TimestampMicrosecond, length, nullCount, nullBitmap, data });
    }
    case "string[]":
    case "float[]":
      return listData(column.kind, type as List, values, nullBitmap, nullCount);
    case "vector":
      return vectorData(column, type as FixedSizeList, values, nullBitmap, nullCount);
    default:
      return utf8Data(values.map((v) => (v === null || v === undefined ? null : String(v))));
  }
}

function numbers<T extends Int32Array | Float64Array>(
  Type: { new (length: number): T },
  values: unknown[],
): T {
  const data = new Type(values.length);
  values.forEach((v, i) => {
    if (v !== null && v !== undefined) data[i] = Number(v);
  });
  return data;
}

function utf8Data(values: (string | null)[]): Data<Utf8> {
  const { nullBitmap, nullCount } = validity(values);
  const valueOffsets = new Int32Array(values.length + 1);
  let offset = 0;
  values.forEach((v, i) => {
    if (v) offset += Buffer.byteLength(v, "utf8");
    valueOffsets[i + 1] = offset;
  });
  // Encoded in pieces of many values, not one per value nor the column's whole text at once.
  const data = new Uint8Array(utf8Body(values.map((v) => v ?? "")));
  return makeData({ type: new Utf8(), length: values.length, nullCount, nullBitmap, valueOffsets, data });
}

function listData(
  kind: "string[]" | "float[]",
  type: List,
  values: unknown[],
  nullBitmap: Uint8Array,
  nullCount: number,
): Data {
  const valueOffsets = new Int32Array(values.length + 1);
  const items: unknown[] = [];
  values.forEach((v, i) => {
    if (Array.isArray(v)) for (const item of v) items.push(item);
    valueOffsets[i + 1] = items.length;
  });
  const child =
    kind === "string[]"
      ? utf8Data(items.map((v) => (v === null || v === undefined ? null : String(v))))
      : makeData({
          type: new Float64(),
          length: items.length,
          ...validity(items),
          data: numbers(Float64Array, items),
        });
  return makeData({ type, length: values.length, nullCount, nullBitmap, valueOffsets, child });
}

function vectorData(
  column: OutputColumn,
  type: FixedSizeList,
  values: unknown[],
  nullBitmap: Uint8Array,
  nullCount: number,
): Data {
  const dimension = column.dimension ?? 0;
  const flat = new Float32Array(values.length * dimension);
  values.forEach((v, i) => {
    if (!Array.isArray(v)) return;
    if (v.length !== dimension) {
      throw new Error(`${column.name}: a vector of ${v.length} values, expected ${dimension}`);
    }
    flat.set(v as number[], i * dimension);
  });
  const child = makeData({ type: new Float32(), length: flat.length, nullCount: 0, data: flat });
  return makeData({ type, length: values.length, nullCount, nullBitmap, child });
}
