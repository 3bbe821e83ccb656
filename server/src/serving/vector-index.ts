import type { Sql } from "../db/database";
import type { EmbeddingInfo } from "../registry";

export type Metric = EmbeddingInfo["metric"];

/**
 * An embedding's vectors in one Float32Array, for exact nearest-neighbour candidates in the
 * embedded mode. PGlite's exact scan costs ~70 ms per 57K × 384 vectors on a narrow table and
 * ~600 ms on `tracks` (the vectors are TOASTed there); a scan here costs ~14 ms. Distances are
 * float64 over float32 components, so the caller re-ranks the candidates with pgvector itself.
 */
export class VectorIndex {
  private readonly position = new Map<number, number>();

  private constructor(
    readonly ids: Int32Array,
    private readonly vectors: Float32Array,
    private readonly norms: Float64Array,
    readonly dimension: number,
  ) {
    for (let i = 0; i < ids.length; i++) this.position.set(ids[i] as number, i);
  }

  get size(): number {
    return this.ids.length;
  }

  /** Reads every non-null vector of the embedding through a cursor (int keys: tracks only). */
  static async load(sql: Sql, embedding: EmbeddingInfo, chunk = 2_000): Promise<VectorIndex> {
    const d = embedding.dimension;
    const ids: number[] = [];
    let vectors = new Float32Array(d * 1_024);
    const rows = sql<{ id: number; v: string }[]>`
      select ${sql(embedding.keyColumn)}::int as id, ${sql(embedding.vectorColumn)}::text as v
      from ${sql(embedding.relation)} where ${sql(embedding.vectorColumn)} is not null order by 1`;
    for await (const batch of rows.cursor(chunk)) {
      for (const row of batch) {
        if ((ids.length + 1) * d > vectors.length) {
          const grown = new Float32Array(vectors.length * 2);
          grown.set(vectors);
          vectors = grown;
        }
        const offset = ids.length * d;
        const parts = row.v.slice(1, -1).split(",");
        for (let j = 0; j < d; j++) vectors[offset + j] = Number(parts[j]);
        ids.push(row.id);
      }
    }
    const n = ids.length;
    const data = vectors.slice(0, n * d);
    const norms = new Float64Array(n);
    for (let i = 0; i < n; i++) norms[i] = Math.sqrt(dot(data, i * d, data.subarray(i * d, (i + 1) * d), d));
    return new VectorIndex(Int32Array.from(ids), data, norms, d);
  }

  /**
   * The ids of the `count` nearest vectors by `metric` (smaller is nearer, as pgvector's
   * operators), optionally only among `allowed` ids and never `exclude`. Zero vectors have no
   * cosine distance and are skipped, as pgvector's NaN sorts after every number.
   */
  nearest(
    query: readonly number[],
    metric: Metric,
    count: number,
    options: { exclude?: number; allowed?: Set<number> } = {},
  ): number[] {
    // Float32 like the stored vectors: one typed-array kind keeps the loops monomorphic in V8.
    const q = Float32Array.from(query);
    const qNorm = Math.sqrt(dot(q, 0, q, q.length));
    const bestDistance = new Float64Array(count).fill(Number.POSITIVE_INFINITY);
    const bestRow = new Int32Array(count).fill(-1);
    const rows = options.allowed ? this.rowsOf(options.allowed) : undefined;
    const total = rows ? rows.length : this.ids.length;
    const excluded = options.exclude === undefined ? -1 : (this.position.get(options.exclude) ?? -1);
    const { vectors, norms, dimension: d } = this;
    for (let r = 0; r < total; r++) {
      const i = rows ? (rows[r] as number) : r;
      if (i === excluded) continue;
      let distance: number;
      if (metric === "l2") distance = squaredL2(vectors, i * d, q, d);
      else if (metric === "inner_product") distance = -dot(vectors, i * d, q, d);
      else {
        const scale = (norms[i] as number) * qNorm;
        if (scale === 0) continue;
        distance = 1 - dot(vectors, i * d, q, d) / scale;
      }
      if (distance >= (bestDistance[count - 1] as number)) continue;
      let p = count - 1;
      while (p > 0 && (bestDistance[p - 1] as number) > distance) {
        bestDistance[p] = bestDistance[p - 1] as number;
        bestRow[p] = bestRow[p - 1] as number;
        p--;
      }
      bestDistance[p] = distance;
      bestRow[p] = i;
    }
    return [...bestRow].filter((i) => i >= 0).map((i) => this.ids[i] as number);
  }

  private rowsOf(allowed: Set<number>): Int32Array {
    const rows: number[] = [];
    for (const id of allowed) {
      const i = this.position.get(id);
      if (i !== undefined) rows.push(i);
    }
    return Int32Array.from(rows);
  }
}

// Four accumulators: the loop runs about twice as fast as a single running sum in V8.
function dot(
  a: Float32Array | Float64Array,
  offset: number,
  q: Float32Array | Float64Array,
  d: number,
): number {
  let s0 = 0;
  let s1 = 0;
  let s2 = 0;
  let s3 = 0;
  let j = 0;
  for (; j + 3 < d; j += 4) {
    s0 += (a[offset + j] as number) * (q[j] as number);
    s1 += (a[offset + j + 1] as number) * (q[j + 1] as number);
    s2 += (a[offset + j + 2] as number) * (q[j + 2] as number);
    s3 += (a[offset + j + 3] as number) * (q[j + 3] as number);
  }
  for (; j < d; j++) s0 += (a[offset + j] as number) * (q[j] as number);
  return s0 + s1 + s2 + s3;
}

function squaredL2(a: Float32Array, offset: number, q: Float32Array, d: number): number {
  let s0 = 0;
  let s1 = 0;
  let j = 0;
  for (; j + 1 < d; j += 2) {
    const x = (a[offset + j] as number) - (q[j] as number);
    const y = (a[offset + j + 1] as number) - (q[j + 1] as number);
    s0 += x * x;
    s1 += y * y;
  }
  if (j < d) {
    const x = (a[offset + j] as number) - (q[j] as number);
    s0 += x * x;
  }
  return s0 + s1;
}
