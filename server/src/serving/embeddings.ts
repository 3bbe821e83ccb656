import type { Sql } from "../db/database";
import { DISTANCE_OPERATOR } from "../definitions/compile/embedding";
import { DomainError } from "../errors";
import type { Logger } from "../log/logger";
import type { EmbeddingInfo, EntityInfo } from "../registry";
import type { CatalogSnapshot, ServingCatalog } from "./catalog";
import { compileFilters, type FeatureFilter } from "./filters";
import { entityOf, type ParsedId } from "./ids";
import { closeMatches } from "./suggest";
import { VectorIndexes } from "./vector-indexes";

export type Metric = EmbeddingInfo["metric"];

export type SearchQuery = {
  /** By vector, or by an entity's own vector (that entity is left out of the answer). */
  vector?: number[];
  id?: ParsedId;
  k: number;
  metric?: Metric;
  filters?: FeatureFilter[];
  /** hnsw.ef_search for this query; used only when the embedding has an HNSW index. */
  efSearch?: number;
};

export type Neighbor = { id: string; distance: number };

export type SearchResult = {
  metric: Metric;
  index: "exact" | "hnsw";
  efSearch: number | null;
  neighbors: Neighbor[];
};

export type ResolvedEmbedding = { embedding: EmbeddingInfo; entity: EntityInfo; snapshot: CatalogSnapshot };

export type EmbeddingServerOptions = {
  now?: () => number;
  /** Search exact embeddings in memory (the embedded mode: this process owns the database). */
  inMemory?: boolean;
  logger?: Logger;
};

const NAME = /^([a-z][a-z0-9_]*)(?:@([1-9][0-9]*))?$/;

/** Embedding lookups and nearest-neighbour search with pgvector's distance operators. */
export class EmbeddingServer {
  private readonly now: () => number;
  private readonly indexes: VectorIndexes;

  constructor(
    private readonly sql: Sql,
    private readonly catalog: ServingCatalog,
    options: EmbeddingServerOptions = {},
  ) {
    this.now = options.now ?? Date.now;
    this.indexes = new VectorIndexes(sql, options.inMemory === true, options.logger);
  }

  /** `lyrics` (highest servable version) or `lyrics@1`; unknown → 404 with suggestions, retired → 410. */
  async resolve(name: string): Promise<ResolvedEmbedding> {
    const snapshot = await this.catalog.snapshot();
    const match = NAME.exec(name);
    const versions = match ? snapshot.embeddings.get(match[1] as string) : undefined;
    if (!match || !versions) {
      throw new DomainError("NOT_FOUND", `There is no embedding ${name}.`, {
        extensions: { suggestions: closeMatches(match?.[1] ?? name, snapshot.embeddings.keys()) },
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
    return { embedding, entity: entityOf(snapshot, embedding.entity), snapshot };
  }

  /** The vectors of the given ids: null for an entity without one, absent when there is no such entity. */
  async vectors(embedding: EmbeddingInfo, ids: readonly ParsedId[]): Promise<Map<string, number[] | null>> {
    const { sql } = this;
    const keys = [...new Set(ids.map((id) => id.key))];
    const found = new Map<string, number[] | null>();
    if (keys.length === 0) return found;
    // Embeddings are of tracks only (the definition schema says so), so keys are integers.
    const rows = await sql<{ id: string; vector: number[] | null }[]>`
      select e.${sql(embedding.keyColumn)}::text as id, e.${sql(embedding.vectorColumn)}::real[] as vector
      from ${sql(embedding.relation)} e
      where e.${sql(embedding.keyColumn)} = any(${keys}::integer[])`;
    for (const row of rows) found.set(row.id, row.vector);
    return found;
  }

  async search(
    { embedding, entity, snapshot }: ResolvedEmbedding,
    query: SearchQuery,
  ): Promise<SearchResult> {
    const { sql } = this;
    let vector = query.vector;
    if (query.id) {
      const own = (await this.vectors(embedding, [query.id])).get(query.id.key);
      if (own === undefined)
        throw new DomainError("NOT_FOUND", `There is no ${entity.name} ${query.id.id} in ${embedding.name}.`);
      if (own === null)
        throw new DomainError("NOT_FOUND", `${entity.name} ${query.id.id} has no ${embedding.name} vector.`);
      vector = own;
    }
    if (!vector) throw new DomainError("VALIDATION_FAILED", "Search by `vector` or by `id`.");
    if (vector.length !== embedding.dimension) {
      const detail = `${embedding.name} vectors have ${embedding.dimension} dimensions, got ${vector.length}.`;
      throw new DomainError("VALIDATION_FAILED", detail, {
        errors: [{ in: "json", path: ["vector"], pointer: "#/vector", detail, code: "wrong_dimension" }],
      });
    }
    const metric = query.metric ?? embedding.metric;
    const hnsw = embedding.indexKind === "hnsw" && metric === embedding.metric;
    const key = sql`e.${sql(embedding.keyColumn)}`;
    const column = sql`e.${sql(embedding.vectorColumn)}`;
    const filters = compileFilters(sql, snapshot, entity, query.filters ?? [], key, this.now());
    // Built only when SQL answers: the in-memory index needs none of it (a 384-d vector's text alone
    // is thousands of characters).
    const statement = (tx: Sql) => {
      const distance = sql`${column} ${sql.unsafe(DISTANCE_OPERATOR[metric])} ${`[${vector.join(",")}]`}::vector`;
      const self = query.id ? sql`and ${key} <> ${Number(query.id.key)}::integer` : sql``;
      // An index scan needs ORDER BY the distance alone; the exact scan also orders ties by id.
      const order = hnsw ? distance : sql`${distance}, ${key}`;
      return tx<{ id: string; distance: number }[]>`
        select ${key}::text as id, ${distance} as distance
        from ${sql(embedding.relation)} e ${filters.joins}
        where ${column} is not null ${self} and ${filters.where}
        order by ${order}
        limit ${query.k}::integer`;
    };
    const efSearch = hnsw && query.efSearch ? query.efSearch : null;
    const index = this.indexes.ready(embedding);
    let rows: { id: string; distance: number }[];
    const allowed =
      index && query.filters?.length
        ? new Set(
            (
              await sql<{ id: number }[]>`
                select ${key}::int as id from ${sql(embedding.relation)} e ${filters.joins}
                where ${column} is not null and ${filters.where}`
            ).map((r) => r.id),
          )
        : undefined;
    const exclude = query.id ? Number(query.id.key) : undefined;
    const fromMemory = index?.nearest(vector, metric, query.k, {
      ...(exclude === undefined ? {} : { exclude }),
      ...(allowed ? { allowed } : {}),
    });
    if (fromMemory) {
      // Exact, with pgvector's own distances: no SQL needed.
      rows = fromMemory.map((n) => ({ id: String(n.id), distance: n.distance }));
    } else if (efSearch) {
      rows = (await sql.begin(async (tx) => {
        await tx`select set_config('hnsw.ef_search', ${String(efSearch)}, true)`;
        return statement(tx as unknown as Sql);
      })) as { id: string; distance: number }[];
    } else {
      rows = await statement(sql);
    }
    return {
      metric,
      index: hnsw ? "hnsw" : "exact",
      efSearch,
      neighbors: rows.map((r) => ({ id: r.id, distance: r.distance })),
    };
  }

  /** The embedding versions whose searches run from memory now. */
  get inMemory(): string[] {
    return this.indexes.loaded;
  }

  /** Loads the in-memory vectors of every exact embedding now (embedded mode), instead of on first search. */
  async warm(): Promise<void> {
    const snapshot = await this.catalog.snapshot();
    for (const versions of snapshot.embeddings.values()) {
      for (const embedding of versions) await this.indexes.load(embedding);
    }
  }
}

function gone(embedding: EmbeddingInfo, now: number): boolean {
  if (embedding.status === "retired") return true;
  if (embedding.status !== "deprecated" || !embedding.sunsetDate) return false;
  return now >= Date.parse(`${embedding.sunsetDate}T00:00:00Z`) + 86_400_000;
}
