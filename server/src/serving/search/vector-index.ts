import type { Sql } from "../../db/database";
import type { EmbeddingInfo } from "../../registry";
import { nextTurn, turnsEvery } from "../../values/turns";
import { candidateRows, type Metric, type RowStats, rowStats } from "./vector-kernel/bounds";
import { exactFloat32 } from "./vector-kernel/exact-float32";
import { Int8Rows, paddedStride } from "./vector-kernel/int8-rows";
import { pgvectorDistance } from "./vector-kernel/pgvector-distance";
import { quantize } from "./vector-kernel/quantize";

export type { Metric };

export type IndexNeighbor = { id: number; distance: number };

export type NearestOptions = { exclude?: number; allowed?: Set<number> };

/** Everything an index is made of, as flat arrays: what vector-file.ts writes and maps back. */
export type IndexParts = {
  dimension: number;
  ids: Int32Array;
  vectors: Float32Array;
  /** int8 codes, `paddedStride(dimension)` bytes a row. */
  codes: Int8Array;
  stats: Omit<RowStats, "cosineScales" | "largest">;
};

/**
 * An embedding's vectors in memory, for exact nearest-neighbour search in the embedded mode
 * (PGlite's exact scan costs ~600 ms over `tracks`, whose vectors are TOASTed). A WebAssembly
 * SIMD kernel scores every vector in int8; bounds on the int8 error keep every vector that could
 * still be among the nearest, and only those are ranked with pgvector's own float32 arithmetic.
 * The answer is the SQL scan's, distances and ties included.
 */
export class VectorIndex {
  private readonly position = new Map<number, number>();
  /** Rows with a cosine distance (not zero vectors), the first `nonZero`, and every row, in id order. */
  private readonly nonZeroRows: Int32Array;
  private readonly everyRow: Int32Array;
  private nonZero = 0;
  /** How many times rows were changed in place: a search that took turns sees whether it was. */
  private changes = 0;
  /** How many searches began scoring: one that took turns sees whether its buffers were used meanwhile. */
  private scorings = 0;
  /** Searches in turns score one after another: the kernel's query and score buffers are shared. */
  private scoringQueue: Promise<void> = Promise.resolve();

  /**
   * The arrays hold room for `codes.capacity` rows, of which the first `codes.count` are the
   * index's: rows added in place (changeInPlace) go after them.
   */
  private constructor(
    private readonly idStore: Int32Array,
    private readonly vectors: Float32Array,
    private readonly stats: RowStats,
    private readonly codes: Int8Rows,
    readonly dimension: number,
  ) {
    this.everyRow = new Int32Array(codes.capacity);
    this.nonZeroRows = new Int32Array(codes.capacity);
    for (let i = 0; i < codes.capacity; i++) this.everyRow[i] = i;
    for (let i = 0; i < codes.count; i++) {
      this.position.set(idStore[i] as number, i);
      if (stats.norms[i] !== 0) this.nonZeroRows[this.nonZero++] = i;
    }
  }

  get size(): number {
    return this.codes.count;
  }

  /** The ids of the rows, ascending. */
  get ids(): Int32Array {
    return this.idStore.subarray(0, this.size);
  }

  /** The vector held for `id`, as the SQL `::real[]` reads it; undefined when it has none. */
  vectorOf(id: number): number[] | undefined {
    const i = this.position.get(id);
    if (i === undefined) return undefined;
    return Array.from(this.vectors.subarray(i * this.dimension, (i + 1) * this.dimension));
  }

  /**
   * Reads every non-null vector of the embedding (int keys: tracks only) a page at a time, each
   * page its own short query: the embedded database has one connection, and a cursor would hold
   * it (and every request, /ready included) until the last page. Parsing and quantizing yield to
   * the event loop every `rowsPerSlice` rows: a page of 2,000 vectors parsed at once, and the
   * whole table quantized at once, held lookups for up to 970 ms after a first start at scale 1.
   */
  static async load(
    sql: Sql,
    embedding: EmbeddingInfo,
    {
      page = 2_000,
      signal,
      rowsPerSlice = 256,
    }: { page?: number; signal?: AbortSignal; rowsPerSlice?: number } = {},
  ): Promise<VectorIndex> {
    const d = embedding.dimension;
    const ids: number[] = [];
    let vectors = new Float32Array(d * 1_024);
    const key = sql(embedding.keyColumn);
    for (let after: number | undefined, full = true; full; ) {
      signal?.throwIfAborted();
      const batch = await sql<{ id: number; v: string }[]>`
        select ${key}::int as id, ${sql(embedding.vectorColumn)}::text as v
        from ${sql(embedding.relation)}
        where ${sql(embedding.vectorColumn)} is not null ${after === undefined ? sql`` : sql`and ${key} > ${after}`}
        order by ${key} limit ${page}`;
      full = batch.length === page;
      for (const row of batch) {
        after = row.id;
        if ((ids.length + 1) * d > vectors.length) {
          const grown = new Float32Array(vectors.length * 2);
          grown.set(vectors);
          vectors = grown;
        }
        parseVector(row.v, vectors, ids.length * d, d);
        ids.push(row.id);
        if (ids.length % rowsPerSlice === 0) await nextTurn();
      }
    }
    const n = ids.length;
    const parts = emptyParts(Int32Array.from(ids), vectors.slice(0, n * d), d);
    const codes = new Int8Rows(n, d);
    for (let from = 0; from < n; from += rowsPerSlice) {
      signal?.throwIfAborted();
      writeRowsStats(parts, codes, from, Math.min(n, from + rowsPerSlice));
      await nextTurn();
    }
    return new VectorIndex(parts.ids, parts.vectors, rowStats(parts.stats), codes, d);
  }

  /** The index as flat arrays (to persist it), without the room left for rows added later. */
  parts(): IndexParts {
    const n = this.size;
    const { norms, inverseNorms, scales, errors, codedNorms } = this.stats;
    const rows = (a: Float64Array) => a.subarray(0, n);
    return {
      dimension: this.dimension,
      ids: this.ids,
      vectors: this.vectors.subarray(0, n * this.dimension),
      codes: this.codes.codes.subarray(0, n * this.codes.stride),
      stats: {
        norms: rows(norms),
        inverseNorms: rows(inverseNorms),
        scales: rows(scales),
        errors: rows(errors),
        codedNorms: rows(codedNorms),
      },
    };
  }

  /**
   * Applies `changed` to this index itself when each change either replaces a row's vector with
   * one as zero or non-zero as the old (the rows a cosine search skips stay the same), or adds a
   * row after the last id within the room a copy left (new tracks get higher ids), or removes an
   * id the index never had. A re-run rewriting some rows, or a few new tracks, then cost those
   * rows, not a copy of every vector. False, with nothing changed, otherwise. Searches are
   * synchronous, so none sees a row half-written.
   */
  changeInPlace(changed: ReadonlyMap<number, Float32Array | null>): boolean {
    const added: number[] = [];
    for (const [id, vector] of changed) {
      const i = this.position.get(id);
      if (i === undefined) {
        if (vector) added.push(id);
      } else if (!vector || (norm(vector) === 0) !== (this.stats.norms[i] === 0)) return false;
    }
    const last = this.size > 0 ? (this.idStore[this.size - 1] as number) : Number.NEGATIVE_INFINITY;
    if (added.length > this.codes.capacity - this.size || added.some((id) => id <= last)) return false;
    for (const [id, vector] of changed) {
      const i = this.position.get(id);
      if (i !== undefined) this.writeRow(i, vector as Float32Array);
    }
    for (const id of added.sort((a, b) => a - b)) {
      const i = this.size;
      this.idStore[i] = id;
      this.writeRow(i, changed.get(id) as Float32Array);
      this.position.set(id, i);
      if (this.stats.norms[i] !== 0) this.nonZeroRows[this.nonZero++] = i;
      this.codes.count++;
    }
    this.changes++;
    return true;
  }

  private writeRow(i: number, vector: Float32Array): void {
    const { stats } = this;
    this.vectors.set(vector, i * this.dimension);
    writeRowStats(stats, i, vector, this.codes.codes.subarray(i * this.codes.stride));
    const inverse = stats.inverseNorms[i] as number;
    stats.cosineScales[i] = (stats.scales[i] as number) * inverse;
    // Maxima only grow here: a bound over them stays a bound, if a looser one until the next copy.
    const { largest } = stats;
    largest.norm = Math.max(largest.norm, stats.norms[i] as number);
    largest.error = Math.max(largest.error, stats.errors[i] as number);
    largest.codedNorm = Math.max(largest.codedNorm, stats.codedNorms[i] as number);
    largest.relativeError = Math.max(largest.relativeError, (stats.errors[i] as number) * inverse);
    largest.relativeCoded = Math.max(largest.relativeCoded, (stats.codedNorms[i] as number) * inverse);
  }

  /**
   * This index with `changed` applied: a vector adds or replaces its id's row, null removes it.
   * Only the changed rows are quantized; every other row is copied as it is, in id order. The
   * copy leaves room for a sixteenth more rows (at least 64), for changeInPlace to add to.
   */
  withRows(changed: ReadonlyMap<number, Float32Array | null>): VectorIndex {
    const d = this.dimension;
    const addedIds = [...changed].flatMap(([id, v]) => (v ? [id] : [])).sort((a, b) => a - b);
    const addedVectors = new Float32Array(addedIds.length * d);
    for (const [i, id] of addedIds.entries()) addedVectors.set(changed.get(id) as Float32Array, i * d);
    const added = VectorIndex.of(Int32Array.from(addedIds), addedVectors, d).parts();
    const mine = this.parts();
    // The result as runs of consecutive rows of either parts, merged by id: a few changed rows
    // among many leave long runs, each copied at once.
    const runs: RowRun[] = [];
    const take = (from: IndexParts, row: number) => {
      const last = runs.at(-1);
      if (last?.from === from && last.start + last.count === row) last.count++;
      else runs.push({ from, start: row, count: 1 });
    };
    for (let i = 0, j = 0; i < mine.ids.length || j < addedIds.length; ) {
      const id = i < mine.ids.length ? (mine.ids[i] as number) : Number.POSITIVE_INFINITY;
      if (changed.has(id)) i++;
      else if (j < addedIds.length && (addedIds[j] as number) < id) take(added, j++);
      else take(mine, i++);
    }
    const n = runs.reduce((sum, run) => sum + run.count, 0);
    const codes = new Int8Rows(n, d, n + Math.max(64, n >> 4));
    const parts = gatherRows(runs, d, codes);
    return new VectorIndex(parts.ids, parts.vectors, rowStats(parts.stats), codes, d);
  }

  /** An index from the arrays `parts()` gave, without quantizing again. */
  static fromParts(parts: IndexParts): VectorIndex {
    const codes = new Int8Rows(parts.ids.length, parts.dimension);
    codes.codes.set(parts.codes);
    return new VectorIndex(parts.ids, parts.vectors, rowStats(parts.stats), codes, parts.dimension);
  }

  /** An index over `ids` with their vectors one after another in `vectors`. */
  static of(ids: Int32Array, vectors: Float32Array, dimension: number): VectorIndex {
    const parts = emptyParts(ids, vectors, dimension);
    const codes = new Int8Rows(ids.length, dimension);
    writeRowsStats(parts, codes, 0, ids.length);
    return new VectorIndex(ids, vectors, rowStats(parts.stats), codes, dimension);
  }

  /**
   * The `count` nearest vectors by `metric` with pgvector's distances (smaller is nearer, ties by
   * id), optionally only among `allowed` ids and never `exclude`. Zero vectors have no cosine
   * distance and are skipped. Undefined when the query's float32 form is not certain (see
   * exactFloat32) or its norm is outside the rounding model: the caller then asks SQL.
   */
  nearest(
    query: readonly number[],
    metric: Metric,
    count: number,
    options: NearestOptions = {},
  ): IndexNeighbor[] | undefined {
    const search = this.candidates(query, metric, count, options);
    if (!search) return search;
    return nearestOf(this.ranked(search, metric, 0, search.kept.length), count);
  }

  /**
   * `nearest` in slices with turns of the event loop between them: its int8 scores (every row's,
   * ~4 ms at 57,718 × 384 in one go, ten times that at scale 10), then its ranking (a search of
   * many candidates, k 100 with filters, asks for 3,200: 15–25 ms in one go), while every lookup
   * arriving meanwhile waited (issue #38). Searches in turns score one at a time (the kernel's
   * query and score buffers are shared); one whose buffers another search used meanwhile, or
   * whose index changed in place during a turn, is answered again in one go, so its answer is the
   * exact one of a single state of the index.
   */
  async nearestInTurns(
    query: readonly number[],
    metric: Metric,
    count: number,
    options: NearestOptions = {},
  ): Promise<IndexNeighbor[] | undefined> {
    const changes = this.changes;
    const search = await this.candidatesInTurns(query, metric, count, options);
    if (search === INTERRUPTED) return this.nearest(query, metric, count, options);
    if (!search) return search;
    const turn = turnsEvery();
    const found: IndexNeighbor[] = [];
    for (let from = 0; from < search.kept.length; from += RANKED_PER_LOOK) {
      await turn();
      if (this.changes !== changes) return this.nearest(query, metric, count, options);
      found.push(...this.ranked(search, metric, from, from + RANKED_PER_LOOK));
    }
    return nearestOf(found, count);
  }

  /**
   * Every row that could be among the `count` nearest (by int8 scores and their error bounds),
   * or undefined when the query's float32 form is not certain.
   */
  private candidates(
    query: readonly number[],
    metric: Metric,
    count: number,
    options: NearestOptions,
  ): Candidates | undefined {
    const prepared = this.prepared(query, metric);
    if (!prepared || "kept" in prepared) return prepared;
    this.scorings++;
    const quantized = quantize(prepared.q, this.codes.query);
    this.codes.dotAll();
    return this.bounded(prepared, quantized, metric, count, options);
  }

  /** `candidates`, scoring SCORED_PER_LOOK rows between looks at the clock. */
  private async candidatesInTurns(
    query: readonly number[],
    metric: Metric,
    count: number,
    options: NearestOptions,
  ): Promise<Candidates | undefined | typeof INTERRUPTED> {
    const prepared = this.prepared(query, metric);
    if (!prepared || "kept" in prepared) return prepared;
    const changes = this.changes;
    const scored = await this.scoringTurn();
    try {
      const scoring = ++this.scorings;
      const quantized = quantize(prepared.q, this.codes.query);
      const turn = turnsEvery();
      for (let from = 0; from < this.codes.count; from += SCORED_PER_LOOK) {
        this.codes.dotRows(from, from + SCORED_PER_LOOK);
        const waiting = turn();
        if (!waiting) continue;
        await waiting;
        if (this.scorings !== scoring || this.changes !== changes) return INTERRUPTED;
      }
      return this.bounded(prepared, quantized, metric, count, options);
    } finally {
      scored();
    }
  }

  /** The query in float32 with its norm; candidates already (none) for a zero cosine query; undefined if uncertain. */
  private prepared(
    query: readonly number[],
    metric: Metric,
  ): { q: Float32Array; norm: number } | Candidates | undefined {
    const q = exactFloat32(query);
    if (!q) return undefined;
    const queryNorm = norm(q);
    if (metric === "cosine" && queryNorm === 0) return { q, kept: [] };
    if (queryNorm !== 0 && !withinRoundingModel(queryNorm)) return undefined;
    return { q, norm: queryNorm };
  }

  /** The rows whose bounds from this query's scores (all computed) may put them among the `count` nearest. */
  private bounded(
    prepared: { q: Float32Array; norm: number },
    quantized: ReturnType<typeof quantize>,
    metric: Metric,
    count: number,
    options: NearestOptions,
  ): Candidates {
    const rows = this.rowsToSearch(metric, options.allowed);
    const excluded = options.exclude === undefined ? -1 : (this.position.get(options.exclude) ?? -1);
    const queryStats = { ...quantized, norm: prepared.norm };
    const { scores } = this.codes;
    const kept = candidateRows(metric, this.dimension, this.stats, queryStats, scores, rows, excluded, count);
    return { q: prepared.q, kept };
  }

  /** Resolves when no other search in turns is scoring, with what to call once this one is done. */
  private scoringTurn(): Promise<() => void> {
    let done!: () => void;
    const finished = new Promise<void>((resolve) => {
      done = resolve;
    });
    const ready = this.scoringQueue.then(() => done);
    this.scoringQueue = finished;
    return ready;
  }

  /** Candidates [from, to) with pgvector's float32 distance to the query. */
  private ranked({ q, kept }: Candidates, metric: Metric, from: number, to: number): IndexNeighbor[] {
    const candidates: IndexNeighbor[] = [];
    const d = this.dimension;
    for (let k = from; k < Math.min(to, kept.length); k++) {
      const i = kept[k] as number;
      const distance = pgvectorDistance(metric, this.vectors, i * d, q, d);
      // A cosine whose float32 norm underflowed: no distance, as for a zero vector.
      if (Number.isNaN(distance)) continue;
      candidates.push({ id: this.ids[i] as number, distance });
    }
    return candidates;
  }

  private rowsToSearch(metric: Metric, allowed: Set<number> | undefined): Int32Array {
    if (!allowed) {
      return metric === "cosine"
        ? this.nonZeroRows.subarray(0, this.nonZero)
        : this.everyRow.subarray(0, this.size);
    }
    const { norms } = this.stats;
    const rows: number[] = [];
    for (const id of allowed) {
      const i = this.position.get(id);
      if (i === undefined || (metric === "cosine" && norms[i] === 0)) continue;
      rows.push(i);
    }
    return Int32Array.from(rows);
  }
}

/** The query in float32, and the rows to rank against it. */
type Candidates = { q: Float32Array; kept: number[] };

/** Candidates ranked between looks at the clock (~1.7 µs each at 384 dimensions). */
const RANKED_PER_LOOK = 256;
/** Rows scored between looks at the clock (~70 ns each at 384 dimensions). */
const SCORED_PER_LOOK = 4_096;
/** A search in turns whose scores another search overwrote, or whose index changed, meanwhile. */
const INTERRUPTED = Symbol("interrupted");

/** The `count` nearest of ranked candidates, ties by id. */
function nearestOf(candidates: IndexNeighbor[], count: number): IndexNeighbor[] {
  candidates.sort((a, b) => a.distance - b.distance || a.id - b.id);
  return candidates.slice(0, count);
}

/** Parts for `ids` and their `vectors`, whose codes and stats are still to be written (writeRowsStats). */
function emptyParts(ids: Int32Array, vectors: Float32Array, dimension: number): Omit<IndexParts, "codes"> {
  const n = ids.length;
  const stats = {
    norms: new Float64Array(n),
    inverseNorms: new Float64Array(n),
    scales: new Float64Array(n),
    errors: new Float64Array(n),
    codedNorms: new Float64Array(n),
  };
  return { dimension, ids, vectors, stats };
}

/** Rows [from, to) of `parts`: their codes into `codes` and their stats, from their vectors. */
function writeRowsStats(parts: Omit<IndexParts, "codes">, codes: Int8Rows, from: number, to: number): void {
  const d = parts.dimension;
  for (let i = from; i < to; i++) {
    writeRowStats(
      parts.stats,
      i,
      parts.vectors.subarray(i * d, (i + 1) * d),
      codes.codes.subarray(i * codes.stride),
    );
  }
}

/** Row i's codes (into `codes`) and its per-row stats, from its vector. */
function writeRowStats(stats: IndexParts["stats"], i: number, vector: Float32Array, codes: Int8Array): void {
  const quantized = quantize(vector, codes);
  const length = norm(vector);
  stats.norms[i] = length;
  stats.inverseNorms[i] = length === 0 ? 0 : 1 / length;
  stats.scales[i] = quantized.scale;
  // Where pgvector's float32 sums could under- or overflow, its rounding is not bounded.
  stats.errors[i] = length === 0 || withinRoundingModel(length) ? quantized.error : Number.POSITIVE_INFINITY;
  stats.codedNorms[i] = quantized.codedNorm;
}

/** Norms in [2⁻⁵⁰, 2⁵⁰] keep pgvector's float32 sums clear of overflow and of underflow that matters. */
function withinRoundingModel(norm: number): boolean {
  return norm >= 2 ** -50 && norm <= 2 ** 50;
}

function norm(v: Float32Array): number {
  let sum = 0;
  for (let j = 0; j < v.length; j++) sum += (v[j] as number) * (v[j] as number);
  return Math.sqrt(sum);
}

type RowRun = { from: IndexParts; start: number; count: number };

/** New parts, with room for `codes.capacity` rows, made of runs of rows of other parts, in that order; the codes go into `codes`. */
function gatherRows(runs: readonly RowRun[], d: number, codes: Int8Rows): IndexParts {
  const room = codes.capacity;
  const stride = paddedStride(d);
  const parts: IndexParts = {
    dimension: d,
    ids: new Int32Array(room),
    vectors: new Float32Array(room * d),
    codes: codes.codes,
    stats: {
      norms: new Float64Array(room),
      inverseNorms: new Float64Array(room),
      scales: new Float64Array(room),
      errors: new Float64Array(room),
      codedNorms: new Float64Array(room),
    },
  };
  const statNames = Object.keys(parts.stats) as (keyof IndexParts["stats"])[];
  let at = 0;
  for (const { from, start, count } of runs) {
    const end = start + count;
    parts.ids.set(from.ids.subarray(start, end), at);
    parts.vectors.set(from.vectors.subarray(start * d, end * d), at * d);
    parts.codes.set(from.codes.subarray(start * stride, end * stride), at * stride);
    for (const name of statNames) parts.stats[name].set(from.stats[name].subarray(start, end), at);
    at += count;
  }
  return parts;
}

/** pgvector's text form (`[1,2.5,…]`) into `into` at `offset`. */
export function parseVector(text: string, into: Float32Array, offset: number, dimension: number): void {
  const parts = text.slice(1, -1).split(",");
  for (let j = 0; j < dimension; j++) into[offset + j] = Number(parts[j]);
}
