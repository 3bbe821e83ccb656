import {
  type Bool,
  type Data,
  type DataType,
  type FixedSizeList,
  Float32,
  Float64,
  type Int32,
  type List,
  makeData,
  type TimestampMicrosecond,
  Utf8,
} from "apache-arrow";
import type { FieldSink } from "../../db/copy-binary";
import type { OutputColumn } from "../plan/columns";

/**
 * Builds one Arrow column from PostgreSQL binary-format field values (big-endian), straight into
 * typed arrays: no JS value per field. `add` takes the field's bytes at `start` (length −1: NULL);
 * `finish` hands over the column and starts a new one.
 */
export interface ColumnBuilder extends FieldSink {
  finish(): Data;
}

/** A growable validity bitmap (bit set: value present). */
class Validity {
  bits = new Uint8Array(1024);
  length = 0;
  nullCount = 0;

  push(present: boolean): void {
    const i = this.length++;
    if (i >> 3 >= this.bits.length) this.bits = grow(this.bits, (i >> 3) + 1);
    if (present) this.bits[i >> 3] = (this.bits[i >> 3] as number) | (1 << (i & 7));
    else this.nullCount++;
  }

  take(): { nullBitmap: Uint8Array; nullCount: number; length: number } {
    const taken = {
      nullBitmap: this.bits.subarray(0, (this.length + 7) >> 3),
      nullCount: this.nullCount,
      length: this.length,
    };
    this.bits = new Uint8Array(this.bits.length);
    this.length = 0;
    this.nullCount = 0;
    return taken;
  }
}

function grow<T extends Uint8Array | Int32Array | Float64Array | Float32Array>(array: T, atLeast: number): T {
  const next = new (array.constructor as { new (n: number): T })(Math.max(atLeast, array.length * 2));
  next.set(array);
  return next;
}

abstract class FixedWidth<T extends Int32Array | Float64Array | Uint8Array> implements ColumnBuilder {
  protected validity = new Validity();
  protected values: T;

  constructor(
    protected readonly type: DataType,
    protected readonly width: number,
    private readonly make: (n: number) => T,
  ) {
    this.values = make(1024);
  }

  add(view: DataView, _bytes: Uint8Array, start: number, length: number): void {
    const i = this.validity.length;
    if (i >= this.values.length) this.values = grow(this.values, i + 1);
    if (length < 0) {
      this.validity.push(false);
      return;
    }
    if (length !== this.width)
      throw new Error(`a ${this.width}-byte value was expected, got ${length} bytes`);
    this.set(view, start, i);
    this.validity.push(true);
  }

  protected abstract set(view: DataView, start: number, i: number): void;

  finish(): Data {
    const { nullBitmap, nullCount, length } = this.validity.take();
    const data = this.values.subarray(0, length);
    this.values = this.make(this.values.length);
    return makeData({ type: this.type as Int32, length, nullCount, nullBitmap, data: data as Int32Array });
  }
}

class Int32Builder extends FixedWidth<Int32Array> {
  constructor(type: DataType) {
    super(type, 4, (n) => new Int32Array(n));
  }
  protected set(view: DataView, start: number, i: number): void {
    this.values[i] = view.getInt32(start);
  }
}

class Float64Builder extends FixedWidth<Float64Array> {
  constructor(type: DataType) {
    super(type, 8, (n) => new Float64Array(n));
  }
  protected set(view: DataView, start: number, i: number): void {
    this.values[i] = view.getFloat64(start);
  }
}

/** Epoch microseconds sent as float8 (see valueSql), stored as int64 without a BigInt per value. */
class TimestampBuilder extends FixedWidth<Float64Array> {
  constructor(type: DataType) {
    super(type, 8, (n) => new Float64Array(n));
  }
  protected set(view: DataView, start: number, i: number): void {
    const micros = view.getFloat64(start);
    if (!Number.isSafeInteger(Math.round(micros))) throw new Error(`timestamp out of range: ${micros} µs`);
    this.values[i] = Math.round(micros);
  }
  override finish(): Data {
    const { nullBitmap, nullCount, length } = this.validity.take();
    const words = new Int32Array(length * 2);
    for (let i = 0; i < length; i++) {
      const v = this.values[i] as number;
      const high = Math.floor(v / 4294967296);
      words[2 * i] = v - high * 4294967296; // low word, little-endian first; wraps to int32 bits
      words[2 * i + 1] = high;
    }
    this.values = new Float64Array(this.values.length);
    const data = new BigInt64Array(words.buffer);
    return makeData({ type: this.type as TimestampMicrosecond, length, nullCount, nullBitmap, data });
  }
}

class BoolBuilder extends FixedWidth<Uint8Array> {
  constructor(type: DataType) {
    super(type, 1, (n) => new Uint8Array(n));
  }
  protected set(view: DataView, start: number, i: number): void {
    this.values[i] = view.getUint8(start);
  }
  override finish(): Data {
    const { nullBitmap, nullCount, length } = this.validity.take();
    const data = new Uint8Array((length + 7) >> 3);
    for (let i = 0; i < length; i++)
      if (this.values[i]) data[i >> 3] = (data[i >> 3] as number) | (1 << (i & 7));
    this.values = new Uint8Array(this.values.length);
    return makeData({ type: this.type as Bool, length, nullCount, nullBitmap, data });
  }
}

/** text (and anything sent as text): the UTF-8 bytes are copied as they are, never decoded. */
export class Utf8Builder implements ColumnBuilder {
  private validity = new Validity();
  private offsets = new Int32Array(1025);
  private data = new Uint8Array(16 * 1024);
  private used = 0;

  add(_view: DataView, bytes: Uint8Array, start: number, length: number): void {
    const i = this.validity.length;
    if (i + 1 >= this.offsets.length) this.offsets = grow(this.offsets, i + 2);
    if (length > 0) {
      if (this.used + length > this.data.length) this.data = grow(this.data, this.used + length);
      if (length < 24) for (let k = 0; k < length; k++) this.data[this.used + k] = bytes[start + k] as number;
      else this.data.set(bytes.subarray(start, start + length), this.used);
      this.used += length;
    }
    this.offsets[i + 1] = this.used;
    this.validity.push(length >= 0);
  }

  finish(): Data<Utf8> {
    const { nullBitmap, nullCount, length } = this.validity.take();
    const valueOffsets = this.offsets.slice(0, length + 1);
    const data = this.data.slice(0, this.used);
    this.used = 0;
    return makeData({ type: new Utf8(), length, nullCount, nullBitmap, valueOffsets, data });
  }
}

/**
 * One-dimensional arrays (text[], float8[]; several dimensions are flattened in order): the
 * array header, then each element with its length, into a child column.
 */
class ListBuilder implements ColumnBuilder {
  private validity = new Validity();
  private offsets = new Int32Array(1025);
  private items = 0;

  constructor(
    private readonly type: List,
    private readonly child: ColumnBuilder,
  ) {}

  add(view: DataView, bytes: Uint8Array, start: number, length: number): void {
    const i = this.validity.length;
    if (i + 1 >= this.offsets.length) this.offsets = grow(this.offsets, i + 2);
    if (length >= 0) this.items += arrayElements(view, bytes, start, this.child);
    this.offsets[i + 1] = this.items;
    this.validity.push(length >= 0);
  }

  finish(): Data {
    const { nullBitmap, nullCount, length } = this.validity.take();
    const valueOffsets = this.offsets.slice(0, length + 1);
    this.items = 0;
    const child = this.child.finish();
    return makeData({ type: this.type, length, nullCount, nullBitmap, valueOffsets, child });
  }
}

/** Adds a binary array's elements to `child`; returns how many. */
function arrayElements(view: DataView, bytes: Uint8Array, start: number, child: ColumnBuilder): number {
  const dimensions = view.getInt32(start);
  let count = dimensions === 0 ? 0 : 1;
  for (let d = 0; d < dimensions; d++) count *= view.getInt32(start + 12 + d * 8);
  let at = start + 12 + dimensions * 8;
  for (let k = 0; k < count; k++) {
    const length = view.getInt32(at);
    child.add(view, bytes, at + 4, length);
    at += 4 + Math.max(length, 0);
  }
  return count;
}

/** Embeddings (as real[]) into a FixedSizeList<float32>, every value checked for its dimension. */
class VectorBuilder implements ColumnBuilder {
  private validity = new Validity();
  private values: Float32Array;

  constructor(
    private readonly column: OutputColumn,
    private readonly type: FixedSizeList,
    private readonly dimension: number,
  ) {
    this.values = new Float32Array(64 * dimension);
  }

  add(view: DataView, _bytes: Uint8Array, start: number, length: number): void {
    const i = this.validity.length;
    if ((i + 1) * this.dimension > this.values.length)
      this.values = grow(this.values, (i + 1) * this.dimension);
    this.validity.push(length >= 0);
    if (length < 0) return;
    const dimensions = view.getInt32(start);
    const count = dimensions === 0 ? 0 : view.getInt32(start + 12);
    if (dimensions > 1 || count !== this.dimension) {
      throw new Error(`${this.column.name}: a vector of ${count} values, expected ${this.dimension}`);
    }
    let at = start + 20;
    const base = i * this.dimension;
    for (let k = 0; k < count; k++) {
      if (view.getInt32(at) !== 4)
        throw new Error(`${this.column.name}: a NULL or non-float4 vector element`);
      this.values[base + k] = view.getFloat32(at + 4);
      at += 8;
    }
  }

  finish(): Data {
    const { nullBitmap, nullCount, length } = this.validity.take();
    const flat = this.values.slice(0, length * this.dimension);
    this.values.fill(0, 0, length * this.dimension);
    const child = makeData({ type: new Float32(), length: flat.length, nullCount: 0, data: flat });
    return makeData({ type: this.type, length, nullCount, nullBitmap, child });
  }
}

/** The builder for a column of `kind`, matching the wire types `valueSql` selects. */
export function columnBuilder(column: OutputColumn, type: DataType): ColumnBuilder {
  switch (column.kind) {
    case "int":
      return new Int32Builder(type);
    case "float":
      return new Float64Builder(type);
    case "bool":
      return new BoolBuilder(type);
    case "timestamp":
      return new TimestampBuilder(type);
    case "string[]":
      return new ListBuilder(type as List, new Utf8Builder());
    case "float[]":
      return new ListBuilder(type as List, new Float64Builder(new Float64()));
    case "vector":
      return new VectorBuilder(column, type as FixedSizeList, column.dimension ?? 0);
    default:
      return new Utf8Builder();
  }
}
