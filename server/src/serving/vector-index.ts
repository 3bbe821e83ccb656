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
    ids.forEach((id, i) => this.position.set(id, i));
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
    for (let i = 0; i < n; i++) {
      let s = 0;
      for (let j = i * d; j < (i + 1) * d; j++) s += (data[j] as number) * (data[j] as number);
      norms[i] = Math.sqrt(s);
    }
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
    const d = this.dimension;
    const q = Float64Array.from(query);
    let qNorm = 0;
    for (let j = 0; j < d; j++) qNorm += (q[j] as number) * (q[j] as number);
    qNorm = Math.sqrt(qNorm);
    const bestDistance = new Float64Array(count).fill(Number.POSITIVE_INFINITY);
    const bestRow = new Int32Array(count).fill(-1);
    const data = this.vectors;
    const rows = options.allowed ? this.rowsOf(options.allowed) : undefined;
    const total = rows ? rows.length : this.ids.length;
    for (let r = 0; r < total; r++) {
      const i = rows ? (rows[r] as number) : r;
      if (this.ids[i] === options.exclude) continue;
      const o = i * d;
      let distance: number;
      if (metric === "l2") {
        let s = 0;
        for (let j = 0; j < d; j++) {
          const x = (data[o + j] as number) - (q[j] as number);
          s += x * x;
        }
        distance = s;
      } else {
        let s = 0;
        for (let j = 0; j < d; j++) s += (data[o + j] as number) * (q[j] as number);
        if (metric === "inner_product") distance = -s;
        else {
          const norms = (this.norms[i] as number) * qNorm;
          if (norms === 0) continue;
          distance = 1 - s / norms;
        }
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
