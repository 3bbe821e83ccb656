import type { Sql } from "../../db/database";
import type { ReadRouter } from "../../db/replica";
import { DISTANCE_OPERATOR } from "../../definitions/compile/embedding";
import { DomainError } from "../../errors";
import type { Logger } from "../../log/logger";
import type { EmbeddingInfo, EntityInfo } from "../../registry";
import type { CatalogState, ServingCatalog } from "../catalog";
import { compileFilters, type FeatureFilter } from "../filters";
import { entityOf, type ParsedId } from "../ids";
import { closeMatches } from "../suggest";
import { ExactTurns } from "./exact-turns";
import {
  DEFAULT_EF_SEARCH,
  DEFAULT_TUNING,
  distrust,
  estimateRows,
  exactFilteredLimit,
  exactScan,
  type Fragment,
  hasIterativeScans,
  indexScan,
  maxScanTuples,
  type OutlierCeiling,
  relationRows,
  type ScanRow,
  type SearchStrategy,
  type SearchTuning,
} from "./hnsw-search";
import { OutlierCeilings } from "./outlier-ceiling";
import { SearchTurns } from "./search-turns";
import { VectorIndexes } from "./vector-indexes";
import { hasCosineDirection, hasFiniteFloat32Length } from "./vector-kernel/pgvector-distance";

export type Metric = EmbeddingInfo["metric"];

export type SearchQuery = {
  /** By vector, or by an entity's own vector (that entity is left out of the answer). */
  vector?: number[];
  id?: ParsedId;
  k: number;
  metric?: Metric;
  filters?: FeatureFilter[];
  /** hnsw.ef_search for this query (default: 40 or k if larger); used only by an HNSW index scan. */
  efSearch?: number;
  /** Whose search it is (an account): exact scans of a whole embedding take turns by it. */
  owner?: string;
};

export type Neighbor = { id: string; distance: number };

export type SearchResult = {
  metric: Metric;
  /** hnsw when the HNSW index answered; exact when every qualifying row was scanned. */
  index: "exact" | "hnsw";
  strategy: SearchStrategy;
  /** The hnsw.ef_search the index scan ran with; null for exact answers. */
  efSearch: number | null;
  neighbors: Neighbor[];
};

/** By id, an entity without a vector (or with one of no direction under cosine): no neighbours. */
const NO_VECTOR = (metric: Metric): SearchResult => ({
  metric,
  index: "exact",
  strategy: "no_vector",
  efSearch: null,
  neighbors: [],
});

export type ResolvedEmbedding = { embedding: EmbeddingInfo; entity: EntityInfo; state: CatalogState };

export type EmbeddingServerOptions = {
  now?: () => number;
  /** Search exact embeddings in memory (the embedded mode: this process owns the database). */
  inMemory?: boolean;
  /** Where the in-memory indexes are kept between starts (the data directory's `vectors/`). */
  vectorDirectory?: string;
  logger?: Logger;
  /**
   * Where searches and vector lookups run: on the replica, and once more on the primary when
   * the replica's connection is lost under them (they only read). Without it, on `sql`.
   */
  reads?: Pick<ReadRouter, "run">;
  /** How filtered searches on an HNSW index choose between the index and an exact scan. */
  tuning?: Partial<SearchTuning>;
};

const NAME = /^([a-z][a-z0-9_]*)(?:@([1-9][0-9]*))?$/;

/** Candidates checked against a filtered search's filters per result asked, round by round. */
const CANDIDATES_PER_RESULT = [4, 32];

/** Embedding lookups and nearest-neighbour search with pgvector's distance operators. */
export class EmbeddingServer {
  private readonly now: () => number;
  private readonly indexes: VectorIndexes;
  private readonly tuning: SearchTuning;
  private readonly reads: Pick<ReadRouter, "run">;
  private readonly ceilings: OutlierCeilings;
  /** Searches and lookups go before the outlier sample's statements. */
  private readonly turns = new SearchTurns();
  private readonly exactTurns = new ExactTurns();
  private iterative: Promise<boolean> | undefined;

  constructor(
    sql: Sql,
    private readonly catalog: ServingCatalog,
    options: EmbeddingServerOptions = {},
  ) {
    this.now = options.now ?? Date.now;
    this.tuning = { ...DEFAULT_TUNING, ...options.tuning };
    this.reads = options.reads ?? { run: (read) => read(sql) };
    const { outlierSample: sample, outlierQuantile: quantile, outlierMaxAgeMs: maxAgeMs } = this.tuning;
    this.ceilings = new OutlierCeilings(
      { sample, quantile, maxAgeMs },
      this.now,
      undefined,
      options.logger,
      (lastMs) => this.turns.background(lastMs),
    );
    this.indexes = new VectorIndexes(sql, options.inMemory === true, options.logger, options.vectorDirectory);
  }

  /** `lyrics` (highest servable version) or `lyrics@1`; unknown → 404 with suggestions, retired → 410. */
  async resolve(name: string): Promise<ResolvedEmbedding> {
    const state = await this.catalog.current();
    const match = NAME.exec(name);
    const versions = match ? state.embeddings.get(match[1] as string) : undefined;
    if (!match || !versions) {
      throw new DomainError("NOT_FOUND", `There is no embedding ${name}.`, {
        extensions: { suggestions: closeMatches(match?.[1] ?? name, state.embeddings.keys()) },
      });
    }
    const servable = versions.filter((e) => !gone(e, this.now()));
    const embedding = match[2] ? versions.find((e) => e.version === Number(match[2])) : servable.at(-1);
    if (!embedding) {
      if (!match[2]) throw new DomainError("GONE", `Every version of embedding ${match[1]} is retired.`);
      throw new DomainError("NOT_FOUND", `Embedding ${match[1]} has no version ${match[2]}.`, {
        extensions: { suggestions: servable.map((e) => `${e.name}@${e.version}`) },
      });
    }
    if (gone(embedding, this.now()))
      throw new DomainError("GONE", `Embedding ${embedding.name}@${embedding.version} is retired.`);
    return { embedding, entity: entityOf(state, embedding.entity), state };
  }

  /** The vectors of the given ids: null for an entity without one, absent when there is no such entity. */
  vectors(embedding: EmbeddingInfo, ids: readonly ParsedId[]): Promise<Map<string, number[] | null>> {
    return this.turns.interactive(() => this.reads.run((sql) => this.vectorsOn(sql, embedding, ids)));
  }

  /**
   * The vectors of the given ids as JSON array text, as the database prints them (null for an
   * entity without one, absent when there is no such entity). A 1,000-id batch parsed into
   * arrays and written back as JSON held the event loop 190–380 ms a request (issue #38); the text
   * is made by the database and only copied here.
   */
  vectorTexts(embedding: EmbeddingInfo, ids: readonly ParsedId[]): Promise<Map<string, string | null>> {
    return this.turns.interactive(() => this.reads.run((sql) => this.vectorsOn(sql, embedding, ids, "text")));
  }

  search(resolved: ResolvedEmbedding, query: SearchQuery): Promise<SearchResult> {
    return this.turns.interactive(() => this.reads.run((sql) => this.searchOn(sql, resolved, query)));
  }

  /**
   * The vectors of `ids` by key: as arrays (`real[]`), or as JSON array text (`text`): pgvector
   * prints a vector as `[x,y,…]`, each the shortest text of its float4, the numbers `real[]` gives.
   */
  private async vectorsOn(
    sql: Sql,
    embedding: EmbeddingInfo,
    ids: readonly ParsedId[],
  ): Promise<Map<string, number[] | null>>;
  private async vectorsOn(
    sql: Sql,
    embedding: EmbeddingInfo,
    ids: readonly ParsedId[],
    as: "text",
  ): Promise<Map<string, string | null>>;
  private async vectorsOn(
    sql: Sql,
    embedding: EmbeddingInfo,
    ids: readonly ParsedId[],
    as: "real[]" | "text" = "real[]",
  ): Promise<Map<string, number[] | string | null>> {
    const keys = [...new Set(ids.map((id) => id.key))];
    const found = new Map<string, number[] | string | null>();
    if (keys.length === 0) return found;
    const cast = sql.unsafe(as === "text" ? "vector::text" : "real[]");
    // Embeddings are of tracks only (the definition schema says so), so keys are integers.
    const rows = await sql<{ id: string; vector: number[] | string | null }[]>`
      select e.${sql(embedding.keyColumn)}::text as id, e.${sql(embedding.vectorColumn)}::${cast} as vector
      from ${sql(embedding.relation)} e
      where e.${sql(embedding.keyColumn)} = any(${keys}::integer[])`;
    for (const row of rows) found.set(row.id, row.vector);
    return found;
  }

  private async searchOn(
    sql: Sql,
    { embedding, entity, state }: ResolvedEmbedding,
    query: SearchQuery,
  ): Promise<SearchResult> {
    let vector = query.vector;
    const metric = query.metric ?? embedding.metric;
    const hnsw = embedding.indexKind === "hnsw" && metric === embedding.metric;
    const filtered = (query.filters?.length ?? 0) > 0;
    // The in-memory index holds the vector it will be compared with: no SQL while a run holds
    // the embedded database. Ids it lacks (no vector, no such track) are asked of SQL: by an
    // unfiltered search on an HNSW index inside its own statement (see operand), else first.
    const held = query.id ? this.indexes.ready(embedding)?.vectorOf(Number(query.id.key)) : undefined;
    if (held) vector = held;
    else if (query.id && !(hnsw && !filtered)) {
      const own = await this.ownVector(sql, embedding, entity, query.id);
      if (own === null) return NO_VECTOR(metric);
      vector = own;
    }
    if (!vector && !query.id) throw new DomainError("VALIDATION_FAILED", "Search by `vector` or by `id`.");
    if (vector && vector.length !== embedding.dimension) {
      const detail = `${embedding.name} vectors have ${embedding.dimension} dimensions, got ${vector.length}.`;
      throw new DomainError("VALIDATION_FAILED", detail, {
        errors: [{ in: "json", path: ["vector"], pointer: "#/vector", detail, code: "wrong_dimension" }],
      });
    }
    if (query.vector && !hasFiniteFloat32Length(query.vector)) {
      const detail =
        "The vector is too long for float32 distances: a component beyond ±3.4e38, or a squared length beyond 8.5e37, so every distance would overflow.";
      throw new DomainError(
        "VALIDATION_FAILED",
        `${detail} Scale it down (a cosine search is the same at any scale).`,
        {
          errors: [{ in: "json", path: ["vector"], pointer: "#/vector", detail, code: "vector_too_long" }],
        },
      );
    }
    // pgvector's cosine of a vector whose float32 length is 0 is NaN, whatever the other vector.
    const directionless = (v: ArrayLike<number>) => metric === "cosine" && !hasCosineDirection(v);
    if (vector && directionless(vector)) {
      // The entity's own vector is all zeros: as without a vector, it has no neighbours.
      if (!query.vector) return NO_VECTOR(metric);
      const detail =
        "A vector whose float32 length is 0 (all zeros, or components too small to square) has no direction, so its cosine distance to any vector is undefined.";
      throw new DomainError("VALIDATION_FAILED", `${detail} Search by another vector, or with metric l2.`, {
        errors: [{ in: "json", path: ["vector"], pointer: "#/vector", detail, code: "zero_vector" }],
      });
    }
    const key = sql`e.${sql(embedding.keyColumn)}`;
    const column = sql`e.${sql(embedding.vectorColumn)}`;
    const filters = compileFilters(sql, state, entity, query.filters ?? [], key, this.now());
    const notSelf = query.id ? sql`and ${key} <> ${Number(query.id.key)}::integer` : sql``;
    const matching = sql`
      from ${sql(embedding.relation)} e ${filters.joins}
      where ${column} is not null ${notSelf} and ${filters.where}`;
    // Built only when SQL answers: the in-memory index needs none of it (a 384-d vector's text alone
    // is thousands of characters). By id, the row's own vector is read where the statement runs
    // (an InitPlan), never sent back and forth as text.
    const operand = () =>
      vector
        ? sql`${`[${vector.join(",")}]`}::vector`
        : sql`(select o.${sql(embedding.vectorColumn)} from ${sql(embedding.relation)} o
            where o.${sql(embedding.keyColumn)} = ${Number(query.id?.key)}::integer)`;
    const distance = () => sql`${column} ${sql.unsafe(DISTANCE_OPERATOR[metric])} ${operand()}`;
    // Ties by id. `+ 0` is the same distance but not the HNSW index's ORDER BY, so the plan reads
    // every qualifying vector (on one core: exactScan).
    // A stored zero vector is NaN from any query under cosine (PostgreSQL sorts it last): no
    // distance, so no neighbour, as the in-memory index leaves it out.
    const exact = async () =>
      (
        await exactScan(
          sql,
          (tx) => tx<ScanRow[]>`
          select ${key}::text as id, (${distance()}) + 0 as distance ${matching}
          order by distance, ${key}
          limit ${query.k}::integer`,
        )
      ).filter((row) => !Number.isNaN(row.distance));
    const exactOfAll = () => this.exactTurns.run(query.owner ?? "", exact);
    // ORDER BY the distance alone, which the index answers; then the rows re-sorted (relaxed_order).
    const nearest = (tx: Sql, from: Fragment, limit: number) => tx<ScanRow[]>`
      with nearest as materialized (
        select ${key} as key, ${distance()} as distance ${from}
        order by distance
        limit ${limit}::integer)
      select key::text as id, distance from nearest order by distance, key`;
    // The query's own neighbourhood: unfiltered, its own row included when searching by id.
    const around = sql`from ${sql(embedding.relation)} e where ${column} is not null`;

    if (!hnsw) {
      const rows =
        (vector && (await this.fromMemory(sql, embedding, query, vector, metric, matching))) ??
        (await exactOfAll());
      return { metric, index: "exact", strategy: "exact", efSearch: null, neighbors: rows };
    }
    const { tuning } = this;
    const matches = filtered ? await estimateRows(sql, sql`select 1 ${matching}`) : undefined;
    const total = matches === undefined ? 1 : await relationRows(sql, embedding.relation, matches);
    if (matches !== undefined && matches <= exactFilteredLimit(query.k, total, tuning)) {
      const neighbors = await exact();
      return { metric, index: "exact", strategy: "exact_filtered", efSearch: null, neighbors };
    }
    const efSearch = query.efSearch ?? Math.max(DEFAULT_EF_SEARCH, query.k);
    const settings = {
      efSearch,
      maxScanTuples: maxScanTuples(query.k, matches ?? total, total, tuning),
      iterative: await this.iterativeScans(sql),
    };
    const self = query.id?.key;
    // Until the ceiling is sampled (or when sampling failed) the search is unchecked: it never waits.
    const ceiling = this.sampledCeiling(sql, embedding).catch(() => undefined);
    const overFetch = Math.ceil(query.k * tuning.filteredOverFetch);
    const [neighbourhood = [], passing] = await indexScan(sql, settings, (tx) =>
      filtered
        ? [nearest(tx, around, query.k + 1), nearest(tx, matching, overFetch)]
        : [nearest(tx, around, query.k + 1)],
    );
    // By id, a neighbourhood without the row itself: no such row, a row without a vector, or a
    // graph that did not reach it (the exact scan answers).
    if (self !== undefined && !vector && !neighbourhood.some((r) => r.id === self)) {
      const own = await this.ownVector(sql, embedding, entity, query.id as ParsedId);
      // pgvector leaves a zero vector out of a cosine index: it is searched from as if it had none.
      if (own === null || directionless(own)) return NO_VECTOR(metric);
    }
    const rows = passing
      ? passing.slice(0, query.k)
      : neighbourhood.filter((r) => r.id !== self).slice(0, query.k);
    // An answer the index cannot vouch for comes from the exact scan (see distrust).
    if (distrust(query.k, rows, neighbourhood, self, tuning, await ceiling)) {
      const neighbors = await exactOfAll();
      return { metric, index: "exact", strategy: "exact_fallback", efSearch: null, neighbors };
    }
    return { metric, index: "hnsw", strategy: "hnsw_iterative", efSearch, neighbors: rows };
  }

  /** The entity's own vector (null: it has none); NOT_FOUND when there is no such entity. */
  private async ownVector(
    sql: Sql,
    embedding: EmbeddingInfo,
    entity: EntityInfo,
    id: ParsedId,
  ): Promise<number[] | null> {
    const own = (await this.vectorsOn(sql, embedding, [id])).get(id.key);
    if (own === undefined)
      throw new DomainError("NOT_FOUND", `There is no ${entity.name} ${id.id} in ${embedding.name}.`);
    // The entity exists without a vector, as GET answers (`vector: null`): it has no neighbours.
    return own;
  }

  /**
   * Exact neighbours from the in-memory index, when it is loaded and the query fits its rounding
   * model. A filtered search first checks rounds of the nearest candidates against its filters,
   * then reads every match only if too few passed: read first, filters most rows pass (every
   * track's popularity ≥ -1) sent every id of the table through SQL and into a Set each search,
   * 57,000 at scale 1, holding the embedded backend ~150 ms. The k nearest passing among the
   * nearest N are the k nearest passing of all (ties by id, as the index orders them).
   */
  private async fromMemory(
    sql: Sql,
    embedding: EmbeddingInfo,
    query: SearchQuery,
    vector: number[],
    metric: Metric,
    matching: Fragment,
  ): Promise<Neighbor[] | undefined> {
    const index = this.indexes.ready(embedding);
    if (!index) return undefined;
    const exclude = query.id ? { exclude: Number(query.id.key) } : {};
    const answer = (found: { id: number; distance: number }[]) =>
      found.map((n) => ({ id: String(n.id), distance: n.distance }));
    if (!query.filters?.length) {
      const found = await index.nearestInTurns(vector, metric, query.k, exclude);
      return found && answer(found);
    }
    const key = sql`e.${sql(embedding.keyColumn)}`;
    for (const perResult of CANDIDATES_PER_RESULT) {
      const count = query.k * perResult;
      const candidates = await index.nearestInTurns(vector, metric, count, exclude);
      if (candidates === undefined) return undefined;
      const ids = candidates.map((c) => c.id);
      const passing = new Set(
        (
          await sql<{ id: number }[]>`select ${key}::int as id ${matching} and ${key} = any(${ids}::int[])`
        ).map((r) => r.id),
      );
      const found = candidates.filter((c) => passing.has(c.id)).slice(0, query.k);
      // Every row was a candidate: what passed is all there is.
      if (found.length === query.k || candidates.length < count) return answer(found);
    }
    const allowed = new Set(
      (await sql<{ id: number }[]>`select ${key}::int as id ${matching}`).map((r) => r.id),
    );
    const found = await index.nearestInTurns(vector, metric, query.k, { ...exclude, allowed });
    return found && answer(found);
  }

  /** Sampled with the default settings, whatever a query's: its neighbourhood is unfiltered. */
  private async ceilingSettings(sql: Sql) {
    const iterative = await this.iterativeScans(sql);
    return { efSearch: DEFAULT_EF_SEARCH, maxScanTuples: this.tuning.minScanTuples, iterative };
  }

  private async outlierCeiling(sql: Sql, embedding: EmbeddingInfo): Promise<OutlierCeiling> {
    return this.ceilings.get(sql, embedding, await this.ceilingSettings(sql));
  }

  private async sampledCeiling(sql: Sql, embedding: EmbeddingInfo): Promise<OutlierCeiling | undefined> {
    return this.ceilings.sampled(sql, embedding, await this.ceilingSettings(sql));
  }

  private iterativeScans(sql: Sql): Promise<boolean> {
    this.iterative ??= hasIterativeScans(sql).catch((error: unknown) => {
      this.iterative = undefined;
      throw error;
    });
    return this.iterative;
  }

  /** The embedding versions whose searches run from memory now. */
  get inMemory(): string[] {
    return this.indexes.loaded;
  }

  /** Catches the in-memory search of source tables (tracks) up with their writes. */
  follow(): Promise<void> {
    return this.indexes.follow();
  }

  /** The snapshots the in-memory indexes were read in: source changes after them are still to follow. */
  get snapshots(): string[] {
    return this.indexes.snapshots;
  }

  /** Stops loading vectors into memory (a server stopping). */
  stopLoads(): void {
    this.indexes.stop();
  }

  /** Loads the in-memory vectors of every exact embedding now (embedded mode), instead of on first search. */
  async warm(): Promise<void> {
    const state = await this.catalog.current();
    for (const versions of state.embeddings.values()) {
      for (const embedding of versions) {
        await this.indexes.load(embedding);
        if (embedding.indexKind === "hnsw")
          await this.reads.run((sql) => this.outlierCeiling(sql, embedding));
      }
    }
  }
}

function gone(embedding: EmbeddingInfo, now: number): boolean {
  if (embedding.status === "retired") return true;
  if (embedding.status !== "deprecated" || !embedding.sunsetDate) return false;
  return now >= Date.parse(`${embedding.sunsetDate}T00:00:00Z`) + 86_400_000;
}
