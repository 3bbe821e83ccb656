import { mkdir, readFile, rename, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { type IndexParts, VectorIndex } from "./vector-index";
import { paddedStride } from "./vector-kernel/int8-rows";

/** Bumped whenever the layout below or the quantization changes: older files are then rebuilt. */
const FORMAT = 2;

/**
 * What a file must match to be used: the embedding version and the table's storage its rows
 * came from (a full run or a new corpus replaces it).
 */
export type VectorFileStamp = { embedding: string; source: string };

/** A mapped index and the snapshot its rows were read after: writes since are caught up from there. */
export type MappedIndex = { index: VectorIndex; snapshot: string };

type Header = {
  format: number;
  embedding: string;
  source: string;
  snapshot: string;
  dimension: number;
  count: number;
};

/**
 * In-memory search indexes persisted in the data directory, so a restart maps them back in
 * milliseconds instead of reading and quantizing every vector again. A file is a JSON header
 * and the index's arrays (ids, float32 vectors, int8 codes, per-row stats), 8-byte aligned.
 */
export class VectorFiles {
  constructor(private readonly directory: string) {}

  async read(stamp: VectorFileStamp): Promise<MappedIndex | undefined> {
    let bytes: Buffer;
    try {
      bytes = await readFile(this.path(stamp.embedding));
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === "ENOENT") return undefined;
      throw error;
    }
    const headerLength = bytes.readUInt32LE(0);
    const header = JSON.parse(bytes.toString("utf8", 4, 4 + headerLength)) as Header;
    if (header.format !== FORMAT || header.embedding !== stamp.embedding || header.source !== stamp.source) {
      return undefined;
    }
    const { count: n, dimension: d } = header;
    const arrays = align(n * 4) + align(n * d * 4) + align(n * paddedStride(d)) + 5 * n * 8;
    // A file cut short (a full disk) is read again from the database, never mapped in part.
    if (bytes.length !== align(4 + headerLength) + arrays) return undefined;
    // A private, aligned copy: typed arrays of 8-byte elements need aligned offsets.
    const buffer = new ArrayBuffer(bytes.length);
    new Uint8Array(buffer).set(bytes);
    let offset = align(4 + headerLength);
    const take = <T>(make: (b: ArrayBuffer, o: number, n: number) => T, n: number, size: number): T => {
      const array = make(buffer, offset, n);
      offset = align(offset + n * size);
      return array;
    };
    const parts: IndexParts = {
      dimension: d,
      ids: take((b, o, k) => new Int32Array(b, o, k), n, 4),
      vectors: take((b, o, k) => new Float32Array(b, o, k), n * d, 4),
      codes: take((b, o, k) => new Int8Array(b, o, k), n * paddedStride(d), 1),
      stats: {
        norms: take((b, o, k) => new Float64Array(b, o, k), n, 8),
        inverseNorms: take((b, o, k) => new Float64Array(b, o, k), n, 8),
        scales: take((b, o, k) => new Float64Array(b, o, k), n, 8),
        errors: take((b, o, k) => new Float64Array(b, o, k), n, 8),
        codedNorms: take((b, o, k) => new Float64Array(b, o, k), n, 8),
      },
    };
    return { index: VectorIndex.fromParts(parts), snapshot: header.snapshot };
  }

  /** Writes the file whole, then renames it over the previous one: a crash never leaves half a file. */
  async write(stamp: VectorFileStamp, { index, snapshot }: MappedIndex): Promise<void> {
    const parts = index.parts();
    const header: Header = {
      format: FORMAT,
      ...stamp,
      snapshot,
      dimension: parts.dimension,
      count: parts.ids.length,
    };
    const headerBytes = Buffer.from(JSON.stringify(header));
    const { stats } = parts;
    const arrays = [
      parts.ids,
      parts.vectors,
      parts.codes.subarray(0, parts.ids.length * paddedStride(parts.dimension)),
      stats.norms,
      stats.inverseNorms,
      stats.scales,
      stats.errors,
      stats.codedNorms,
    ];
    const chunks: Uint8Array[] = [];
    const length = Buffer.alloc(4);
    length.writeUInt32LE(headerBytes.length);
    let size = 0;
    const push = (bytes: Uint8Array) => {
      chunks.push(bytes);
      size += bytes.length;
      const pad = align(size) - size;
      if (pad > 0) {
        chunks.push(new Uint8Array(pad));
        size += pad;
      }
    };
    chunks.push(length);
    size += 4;
    push(headerBytes);
    for (const array of arrays) push(new Uint8Array(array.buffer, array.byteOffset, array.byteLength));
    await mkdir(this.directory, { recursive: true });
    const target = this.path(stamp.embedding);
    const partial = `${target}.${process.pid}.partial`;
    await writeFile(partial, chunks);
    await rename(partial, target);
  }

  private path(embedding: string): string {
    return join(this.directory, fileName(embedding));
  }
}

const align = (n: number) => Math.ceil(n / 8) * 8;
const fileName = (embedding: string) => `${embedding.replace(/[^A-Za-z0-9_@.-]/g, "_")}.vectors`;
