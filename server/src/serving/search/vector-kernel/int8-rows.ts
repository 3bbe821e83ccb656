import { DOT_I8_WASM } from "./dot-i8-wasm";

const PAGE = 65_536;
let compiled: WebAssembly.Module | undefined;

type Kernel = {
  memory: WebAssembly.Memory;
  dot_i8: (codes: number, count: number, stride: number, query: number, out: number) => void;
};

/** Rows are padded with zero codes to a multiple of 16 bytes, the kernel's SIMD width. */
export function paddedStride(dimension: number): number {
  return Math.ceil(dimension / 16) * 16;
}

/**
 * The int8 codes of `count` vectors in one WebAssembly memory, and their dot products with a
 * query's codes (int8 values held as int16), computed by the SIMD kernel of dot-i8.wat. Each
 * instance owns its memory, laid out for `capacity` rows, so rows can be added in place.
 */
export class Int8Rows {
  readonly stride: number;
  /** Row r's codes are codes[r·stride, (r+1)·stride), for r below the capacity. */
  readonly codes: Int8Array;
  readonly query: Int16Array;
  /** scores[r] for r below `count` after dotAll(). */
  readonly scores: Int32Array;
  private readonly kernel: Kernel;

  constructor(
    public count: number,
    readonly dimension: number,
    readonly capacity = count,
  ) {
    this.stride = paddedStride(dimension);
    compiled ??= new WebAssembly.Module(Buffer.from(DOT_I8_WASM, "base64"));
    this.kernel = new WebAssembly.Instance(compiled).exports as unknown as Kernel;
    const queryOffset = capacity * this.stride;
    const scoresOffset = queryOffset + this.stride * 2;
    const bytes = scoresOffset + capacity * 4;
    const { memory } = this.kernel;
    memory.grow(Math.max(0, Math.ceil(bytes / PAGE) - memory.buffer.byteLength / PAGE));
    this.codes = new Int8Array(memory.buffer, 0, queryOffset);
    this.query = new Int16Array(memory.buffer, queryOffset, this.stride);
    this.scores = new Int32Array(memory.buffer, scoresOffset, capacity);
  }

  /** scores[r] = codes of row r · query, for every row. */
  dotAll(): Int32Array {
    this.dotRows(0, this.count);
    return this.scores;
  }

  /** scores[r] = codes of row r · query, for rows [from, to). */
  dotRows(from: number, to: number): void {
    const rows = Math.min(to, this.count) - from;
    if (rows <= 0) return;
    const { stride } = this;
    this.kernel.dot_i8(from * stride, rows, stride, this.query.byteOffset, this.scores.byteOffset + from * 4);
  }
}
