import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import { type SearchRequest, SearchResponseSchema } from "../../../src/api/routes/embeddings/search";
import type { Sql } from "../../../src/db/database";
import { buildHnswIndex } from "../../../src/definitions/hnsw-build";
import { createLogger } from "../../../src/log/logger";
import { poolSession, type Session } from "../../../src/materialize/session";
import type { RunningServer } from "../../../src/runtime/start-server";
import { EmbeddingServer, type FeatureFilter, type SearchQuery } from "../../../src/serving";
import { sampleOutlierCeiling } from "../../../src/serving/search/outlier-ceiling";
import { VectorIndex } from "../../../src/serving/search/vector-index";
import { call, ok, PINNED_NOW, startServing } from "../support";

// The server's search path (RAPFS_VECTOR_INDEX=hnsw) on PGlite: ~1,730 tracks, big enough that
// the graph is not the whole corpus (ef_search 40 reaches 2% of it), small enough to build in seconds.
const HNSW_SCALE = 0.03;
const K = 10;

let server: RunningServer;
let sql: Sql;
let embeddings: EmbeddingServer;

beforeAll(async () => {
  server = await startServing({ scale: HNSW_SCALE, config: { vectorIndex: "hnsw" } });
  sql = server.services.sql;
  embeddings = server.services.serving.embeddings;
  // Planner statistics, as autovacuum keeps them on a server (PGlite runs none): the filtered
  // search chooses between the index and an exact scan by the planner's estimate of the matches.
  await sql`analyze`;
  // The outlier ceiling is sampled behind the first searches, which answer unchecked meanwhile:
  // these tests measure the checked searches, so they wait for it as a warmed process would.
  await embeddings.warm();
}, 300_000);
afterAll(async () => {
  await server?.shutdown("test done");
});

type Ranked = { id: number; distance: number };

/** Deterministic sample of `count` distinct values (mulberry32), so a failure can be replayed. */
function sample(values: Int32Array, count: number, seed: number): number[] {
  let state = seed >>> 0;
  const random = () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4_294_967_296;
  };
  const pool = Array.from(values);
  for (let i = pool.length - 1; i > 0; i--) {
    const j = Math.floor(random() * (i + 1));
    [pool[i], pool[j]] = [pool[j] as number, pool[i] as number];
  }
  return pool.slice(0, count);
}

/** The exact scan, written by hand: the same joins as the filters, ties by id, k + 1 rows to see ties. */
async function exactScan(id: number, where: string, k = K): Promise<Ranked[]> {
  const rows = await sql<{ id: number; d: number }[]>`
    select t.id, t.lyrics_embedding <=> (select lyrics_embedding from tracks where id = ${id}) as d
    from tracks t
      left join fv_track_profile_v1 p on p.track_id = t.id
      left join fv_qwen_analysis_v2 q on q.track_id = t.id
      left join fv_gemma_analysis_v1 g on g.track_id = t.id
    where t.lyrics_embedding is not null and t.id <> ${id} and ${sql.unsafe(where)}
    order by 2, 1 limit ${k + 1}`;
  return rows.map((r) => ({ id: r.id, distance: r.d }));
}

/**
 * `got` is the exact top k: the same distances in the same order, and the same ids; where rows
 * tie at the k-th distance, any of the tied ids will do.
 */
function expectExactTopK(got: Ranked[], exact: Ranked[], k = K) {
  const top = exact.slice(0, k);
  expect(got.map((n) => n.distance)).toEqual(top.map((r) => expect.closeTo(r.distance, 9)));
  const last = top.at(-1)?.distance;
  const tied = (d: number) => last !== undefined && Math.abs(d - last) < 1e-12;
  const boundaryTie = exact.length > k && tied((exact[k] as Ranked).distance);
  if (!boundaryTie) {
    expect(got.map((n) => n.id)).toEqual(top.map((r) => r.id));
  } else {
    expect(got.filter((n) => !tied(n.distance)).map((n) => n.id)).toEqual(
      top.filter((r) => !tied(r.distance)).map((r) => r.id),
    );
  }
}

/** Scans of the lyrics HNSW index so far (pgstat, flushed first). */
async function lyricsIndexScans(): Promise<number> {
  await sql`select pg_stat_force_next_flush()`;
  await sql`select 1`;
  const [row] = await sql<{ n: string }[]>`
    select idx_scan as n from pg_stat_user_indexes where indexrelname = 'emb_lyrics_v1_hnsw'`;
  return Number(row?.n ?? 0);
}

async function search(id: number, query: Omit<SearchQuery, "id" | "k"> & { k?: number }, via = embeddings) {
  const resolved = await via.resolve("lyrics");
  const result = await via.search(resolved, { id: { id, key: String(id) }, k: K, ...query });
  return { ...result, neighbors: result.neighbors.map((n) => ({ id: Number(n.id), distance: n.distance })) };
}

describe("HNSW on the embedded database (RAPFS_VECTOR_INDEX=hnsw)", () => {
  it("builds every auto embedding's index with the definition's options", async () => {
    const registered = await sql<{ name: string; index_kind: string; options: string[] | null }[]>`
      select e.name, e.index_kind, c.reloptions as options
      from rapfs_embeddings e left join pg_class c on c.oid = to_regclass(e.index_name)
      order by e.name`;
    expect(registered.map((r) => r.name)).toEqual(["analysis", "audio", "lyrics"]);
    for (const row of registered) {
      expect(row).toMatchObject({ index_kind: "hnsw" });
      expect(row.options).toEqual(expect.arrayContaining(["m=32", "ef_construction=200"]));
    }
    // Exact embeddings stay in memory; HNSW ones are never loaded there.
    await embeddings.warm();
    expect(embeddings.inMemory).toEqual([]);
  });

  it("rebuilds an index whose options changed beside the old one, and leaves a current one alone", async () => {
    const resolved = await embeddings.resolve("audio");
    const spec = {
      name: resolved.embedding.indexName as string,
      relation: resolved.embedding.relation,
      column: resolved.embedding.vectorColumn,
      metric: resolved.embedding.metric,
      dimension: resolved.embedding.dimension,
      m: 32,
      efConstruction: 200,
      maintenanceWorkMem: undefined,
    };
    const session = poolSession(sql);
    expect(await buildHnswIndex(session, spec)).toMatchObject({ action: "unchanged" });
    const options = async () =>
      (await sql<{ o: string[] }[]>`select reloptions as o from pg_class where relname = ${spec.name}`)[0]?.o;
    try {
      const rebuilt = await buildHnswIndex(session, {
        ...spec,
        m: 8,
        efConstruction: 32,
        maintenanceWorkMem: "96MB",
      });
      expect(rebuilt).toMatchObject({ action: "rebuilt", maintenanceWorkMem: "96MB" });
      expect(await options()).toEqual(["m=8", "ef_construction=32"]);
      // The session's own setting is untouched: the build set it for its transaction only.
      expect((await sql`select current_setting('maintenance_work_mem') as m`)[0]?.m).toBe("64MB");
    } finally {
      // As Docker's 64 MB /dev/shm answers a parallel build's shared memory: the build goes serial.
      let attempts = 0;
      const failingFirstIndexBuild = (tx: Sql): Sql =>
        new Proxy(tx, {
          get: (target, prop, receiver) =>
            prop === "unsafe"
              ? (text: string, ...rest: unknown[]) =>
                  /^create index/i.test(text) && attempts++ === 0
                    ? Promise.reject(
                        new Error(
                          'could not resize shared memory segment "/PostgreSQL.1" to 226492416 bytes',
                        ),
                      )
                    : (target.unsafe as (...args: unknown[]) => unknown)(text, ...rest)
              : Reflect.get(target, prop, receiver),
        });
      const smallShm: Session = {
        sql,
        onServer: session.onServer,
        transaction: (mode, work) => session.transaction(mode, (tx) => work(failingFirstIndexBuild(tx))),
        lockSourceWrites: session.lockSourceWrites,
      };
      expect(await buildHnswIndex(smallShm, spec)).toMatchObject({ action: "rebuilt", parallel: false });
    }
    expect(await options()).toEqual(["m=32", "ef_construction=200"]);
  });

  it("two builds of one index at once (servers starting together) build it once; the second finds it", async () => {
    const resolved = await embeddings.resolve("audio");
    const spec = {
      name: "emb_audio_twice_hnsw",
      relation: resolved.embedding.relation,
      column: resolved.embedding.vectorColumn,
      metric: resolved.embedding.metric,
      dimension: resolved.embedding.dimension,
      m: 8,
      efConstruction: 32,
      maintenanceWorkMem: undefined,
    };
    try {
      const builds = await Promise.all([
        buildHnswIndex(poolSession(sql), spec),
        buildHnswIndex(poolSession(sql), spec),
      ]);
      expect(builds.map((b) => b.action).sort()).toEqual(["built", "unchanged"]);
    } finally {
      await sql.unsafe(`drop index if exists ${spec.name}`);
    }
  });

  it("recall@10 against the exact scan: mean ≥ 0.99 over 1,000 random ids, none below 0.8", async () => {
    const resolved = await embeddings.resolve("lyrics");
    const exact = await VectorIndex.load(sql, resolved.embedding);
    const ids = sample(exact.ids, 1_000, 17);
    const vectors = await embeddings.vectors(
      resolved.embedding,
      ids.map((id) => ({ id, key: String(id) })),
    );
    const recalls: number[] = [];
    let checked = 0;
    for (const id of ids) {
      const got = await search(id, {});
      if (got.strategy === "exact_fallback") checked++;
      else expect(got).toMatchObject({ index: "hnsw", strategy: "hnsw_iterative", efSearch: 40 });
      const truth = exact.nearest(vectors.get(String(id)) as number[], "cosine", K, { exclude: id });
      // A neighbour counts when it is as near as the k-th true one (ties are interchangeable).
      const kth = (truth?.at(-1)?.distance ?? 0) + 1e-12;
      recalls.push(got.neighbors.filter((n) => n.distance <= kth).length / K);
    }
    const mean = recalls.reduce((a, b) => a + b, 0) / recalls.length;
    expect(mean).toBeGreaterThanOrEqual(0.99);
    expect(Math.min(...recalls)).toBeGreaterThanOrEqual(0.8);
    // The outliers' searches are checked exactly: about 2 in 100 (the ceiling's quantile).
    expect(checked).toBeLessThanOrEqual(40);
  });

  it("a fresh process's first search answers without waiting for the outlier ceiling's sample", async () => {
    let release = () => {};
    const sampling = new Promise<void>((resolve) => (release = resolve));
    const fresh = new EmbeddingServer(sql, server.services.serving.catalog, { now: () => PINNED_NOW });
    // The sample never finishes while the search runs: it must not be waited for.
    (fresh as unknown as { ceilings: { sampleCeiling: () => Promise<number[]> } }).ceilings.sampleCeiling =
      async () => {
        await sampling;
        return [];
      };
    try {
      const got = await search(5, {}, fresh);
      expect(got).toMatchObject({ index: "hnsw", strategy: "hnsw_iterative" });
    } finally {
      release();
    }
  });

  it("a fresh process's searches go before the outlier sample's statements: 20 answered before a 30-vector sample ends", async () => {
    const logs: { msg: string; embedding?: string }[] = [];
    const logger = createLogger("info", {}, (line) => logs.push(JSON.parse(line)));
    const fresh = new EmbeddingServer(sql, server.services.serving.catalog, {
      now: () => PINNED_NOW,
      logger,
      tuning: { outlierSample: 30 },
    });
    const sampled = () =>
      logs.some((l) => l.msg === "outlier ceiling sampled" && l.embedding?.startsWith("lyrics@"));
    const resolved = await embeddings.resolve("lyrics");
    const exact = await VectorIndex.load(sql, resolved.embedding);
    // The first search starts the sample behind it; each later one arrives while it runs. A
    // statement of the sample may be under way when a search arrives (one), never its whole run.
    for (const id of sample(exact.ids, 20, 41)) {
      const got = await search(id, {}, fresh);
      expect(got.neighbors).toHaveLength(K);
      expect(sampled(), `the sample ended before the search of ${id} was answered`).toBe(false);
    }
    await vi.waitFor(() => expect(sampled()).toBe(true), { timeout: 60_000, interval: 20 });
    // Once it is in, searches are checked: the vector whose 10th neighbour lies farthest (beyond
    // the sample's, which left it out) is answered by the exact scan.
    const vectors = await embeddings.vectors(
      resolved.embedding,
      Array.from(exact.ids, (id) => ({ id, key: String(id) })),
    );
    let farthest = { id: 0, distance: -1 };
    for (const id of exact.ids) {
      const tenth = exact.nearest(vectors.get(String(id)) as number[], "cosine", K, { exclude: id })?.at(-1);
      if (tenth && tenth.distance > farthest.distance) farthest = { id, distance: tenth.distance };
    }
    expect(await search(farthest.id, {}, fresh)).toMatchObject({ strategy: "exact_fallback" });
  });

  it("checks exactly a search from an outlier, whose neighbourhood the graph links poorly", async () => {
    const resolved = await embeddings.resolve("lyrics");
    const exact = await VectorIndex.load(sql, resolved.embedding);
    const ids = Array.from(exact.ids);
    const vectors = await embeddings.vectors(
      resolved.embedding,
      ids.map((id) => ({ id, key: String(id) })),
    );
    const tenth = new Map<number, number>();
    for (const id of ids) {
      const truth = exact.nearest(vectors.get(String(id)) as number[], "cosine", K, { exclude: id }) ?? [];
      tenth.set(id, truth.at(-1)?.distance ?? 0);
    }
    // The ceiling the search compares with: above the 10th neighbour of ~98% of the vectors.
    const ceiling = await sampleOutlierCeiling(
      sql,
      resolved.embedding,
      { efSearch: 40, maxScanTuples: 20_000, iterative: true },
      { sample: 500, quantile: 0.98 },
    );
    expect(ceiling).toHaveLength(10);
    expect(ceiling).toEqual([...ceiling].sort((a, b) => a - b));
    const under = [...tenth.values()].filter((d) => d <= (ceiling[9] as number)).length / ids.length;
    expect(under).toBeGreaterThan(0.95);
    expect(under).toBeLessThan(1);
    // The five vectors whose 10th neighbour is farthest: the exact scan answers them.
    const outliers = [...tenth].sort((a, b) => b[1] - a[1] || a[0] - b[0]).slice(0, 5);
    for (const [id] of outliers) {
      const got = await search(id, {});
      expect(got, `outlier ${id}`).toMatchObject({ index: "exact", strategy: "exact_fallback" });
      expectExactTopK(got.neighbors, await exactScan(id, "true"));
    }
  });

  it("keeps going past ef_search: k = 100 with ef_search 10 still finds 100", async () => {
    const body = ok(
      await call(server, "/v1/embeddings/lyrics/search", { json: { id: 5, k: 100, ef_search: 10 } }),
      SearchResponseSchema,
    );
    expect(body).toMatchObject({ index: "hnsw", strategy: "hnsw_iterative", ef_search: 10 });
    expect(body.neighbors).toHaveLength(100);
    const exact = await exactScan(5, "true", 100);
    const kth = (exact[99] as Ranked).distance + 1e-12;
    expect(body.neighbors.filter((n) => n.distance <= kth).length).toBeGreaterThanOrEqual(95);
  });
});

type Case = { name: string; filters: FeatureFilter[]; where: string; selective: boolean };

describe("filtered search on HNSW equals the exact scan's top k", () => {
  const QUERY_IDS = [3, 250, 777, 1201];
  let cases: Case[] = [];

  beforeAll(async () => {
    const [q] = await sql<{ p1: number; p20: number; p80: number; p99: number }[]>`
      select percentile_disc(0.01) within group (order by popularity) as p1,
        percentile_disc(0.2) within group (order by popularity) as p20,
        percentile_disc(0.8) within group (order by popularity) as p80,
        percentile_disc(0.99) within group (order by popularity) as p99
      from fv_track_profile_v1`;
    const years = await sql<{ y: number }[]>`
      select release_year as y from fv_track_profile_v1 where release_year is not null
      group by 1 order by count(*), 1 limit 2`;
    const [rare, rarer] = years.map((r) => r.y) as [number, number];
    const [common] = await sql<{ g: string }[]>`
      select g from fv_track_profile_v1, unnest(genres) g group by 1 order by count(*) desc, 1 limit 1`;
    const [uncommon] = await sql<{ g: string }[]>`
      select g from fv_track_profile_v1, unnest(genres) g group by 1 order by count(*), 1 limit 1`;
    const p = (op: FeatureFilter["op"], value: unknown): FeatureFilter => ({
      feature: "track_profile:popularity",
      op,
      value,
    });
    const year = { feature: "track_profile:release_year", op: "eq", value: rare } as const;
    const { p1, p20, p80, p99 } = q as { p1: number; p20: number; p80: number; p99: number };
    cases = [
      { name: "eq", filters: [year], where: `p.release_year = ${rare}`, selective: true },
      {
        name: "eq",
        filters: [{ feature: "qwen_analysis:sentiment", op: "eq", value: "mixed" }],
        where: "q.sentiment = 'mixed'",
        selective: false,
      },
      {
        name: "ne",
        filters: [year, { feature: "track_profile:explicit", op: "ne", value: true }],
        where: `p.release_year = ${rare} and p.explicit <> true`,
        selective: true,
      },
      {
        name: "ne",
        filters: [{ feature: "qwen_analysis:sentiment", op: "ne", value: "positive" }],
        where: "q.sentiment <> 'positive'",
        selective: false,
      },
      { name: "gt", filters: [p("gt", p99)], where: `p.popularity > ${p99}`, selective: true },
      { name: "gt", filters: [p("gt", p20)], where: `p.popularity > ${p20}`, selective: false },
      { name: "gte", filters: [p("gte", p99)], where: `p.popularity >= ${p99}`, selective: true },
      { name: "gte", filters: [p("gte", p20)], where: `p.popularity >= ${p20}`, selective: false },
      { name: "lt", filters: [p("lt", p1)], where: `p.popularity < ${p1}`, selective: true },
      { name: "lt", filters: [p("lt", p80)], where: `p.popularity < ${p80}`, selective: false },
      { name: "lte", filters: [p("lte", p1)], where: `p.popularity <= ${p1}`, selective: true },
      { name: "lte", filters: [p("lte", p80)], where: `p.popularity <= ${p80}`, selective: false },
      {
        name: "in",
        filters: [{ feature: "track_profile:release_year", op: "in", value: [rare, rarer] }],
        where: `p.release_year in (${rare}, ${rarer})`,
        selective: true,
      },
      {
        name: "in",
        filters: [{ feature: "qwen_analysis:sentiment", op: "in", value: ["mixed", "negative"] }],
        where: "q.sentiment in ('mixed', 'negative')",
        selective: false,
      },
      {
        name: "contains",
        filters: [{ feature: "track_profile:genres", op: "contains", value: uncommon?.g }],
        where: `'${uncommon?.g}' = any(p.genres)`,
        selective: true,
      },
      {
        name: "contains",
        filters: [{ feature: "track_profile:genres", op: "contains", value: common?.g }],
        where: `'${common?.g}' = any(p.genres)`,
        selective: false,
      },
      {
        name: "is_null",
        filters: [{ feature: "track_profile:album", op: "is_null" }],
        where: "p.album is null",
        selective: true,
      },
      {
        name: "is_null",
        filters: [{ feature: "gemma_analysis:sentiment", op: "is_null" }],
        where: "g.sentiment is null",
        selective: false,
      },
      {
        name: "not_null",
        filters: [year, { feature: "gemma_analysis:sentiment", op: "not_null" }],
        where: `p.release_year = ${rare} and g.sentiment is not null`,
        selective: true,
      },
      {
        name: "not_null",
        filters: [{ feature: "track_profile:album", op: "not_null" }],
        where: "p.album is not null",
        selective: false,
      },
    ];
  });

  /** How many rows pass, and the most a filtered search scans exactly (2 × √((k + 1) × rows)). */
  async function matches(where: string): Promise<{ matching: number; limit: number }> {
    const [row] = await sql<{ matching: number; total: number }[]>`
      select count(*) filter (where ${sql.unsafe(where)})::int as matching, count(*)::int as total
      from tracks t
        left join fv_track_profile_v1 p on p.track_id = t.id
        left join fv_qwen_analysis_v2 q on q.track_id = t.id
        left join fv_gemma_analysis_v1 g on g.track_id = t.id
      where t.lyrics_embedding is not null`;
    const { matching, total } = row as { matching: number; total: number };
    return { matching, limit: 2 * Math.sqrt((K + 1) * total) };
  }

  it("covers every operator, each with a selective and an unselective filter", async () => {
    const ops = ["eq", "ne", "gt", "gte", "lt", "lte", "in", "contains", "is_null", "not_null"];
    for (const op of ops) {
      for (const selective of [true, false]) {
        const c = cases.find((x) => x.name === op && x.selective === selective);
        expect(c, `${op} ${selective ? "selective" : "unselective"}`).toBeDefined();
        const { matching, limit } = await matches((c as Case).where);
        // Selective: few enough to scan exactly; unselective: far more, so the index is worth it.
        if (selective) expect(matching, `${op} selective`).toBeLessThan(limit);
        else expect(matching, `${op} unselective`).toBeGreaterThan(limit * 2);
      }
    }
  });

  it("over HTTP, whichever way the search goes (strategy)", async () => {
    const seen = new Set<string>();
    let before = await lyricsIndexScans();
    for (const c of cases) {
      for (const id of QUERY_IDS) {
        const body = ok(
          await call(server, "/v1/embeddings/lyrics/search", {
            json: { id, k: K, filters: c.filters } satisfies SearchRequest,
          }),
          SearchResponseSchema,
        );
        seen.add(body.strategy);
        // The index is scanned twice (the query's neighbourhood, then the filtered rows) unless
        // the estimate sent the search to the exact scan first.
        const scans = await lyricsIndexScans();
        expect(scans - before, `${c.name} ${body.strategy}`).toBe(body.strategy === "exact_filtered" ? 0 : 2);
        before = scans;
        const label = `${c.name} (${c.selective ? "selective" : "unselective"}) from ${id}`;
        expect(body.index, label).toBe(body.strategy === "hnsw_iterative" ? "hnsw" : "exact");
        const exact = await exactScan(id, c.where);
        expectExactTopK(
          body.neighbors.map((n) => ({ id: n.id as number, distance: n.distance })),
          exact,
        );
      }
    }
    expect([...seen]).toEqual(expect.arrayContaining(["exact_filtered", "hnsw_iterative"]));
  });

  it("picks the index for broad filters and an exact scan for narrow ones, by the planner's estimate", async () => {
    // Comparisons on analyzed columns: the estimate is close to the count. A broad filter goes
    // to the index, whose answer may still be checked exactly (exact_fallback: far rows).
    for (const c of cases.filter((x) => ["gt", "gte", "lt", "lte", "in"].includes(x.name))) {
      const got = await search(QUERY_IDS[0] as number, { filters: c.filters });
      if (c.selective) expect(got.strategy, `${c.name} selective`).toBe("exact_filtered");
      else expect(["hnsw_iterative", "exact_fallback"], `${c.name} broad`).toContain(got.strategy);
    }
  });

  it("checks exactly a filtered answer from outside the query's neighbourhood", async () => {
    // A genre the query's artist does not have leaves out its whole cluster: the rows that pass
    // are far from it. With the yardstick at 1× the query's own k-th neighbour, that is checked.
    const id = QUERY_IDS[0] as number;
    const [other] = await sql<{ g: string }[]>`
      select g from fv_track_profile_v1, unnest(genres) g
      where not (select genres from fv_track_profile_v1 where track_id = ${id}) @> array[g]
      group by 1 order by count(*) desc, 1 limit 1`;
    const genre = other?.g as string;
    const strict = new EmbeddingServer(sql, server.services.serving.catalog, {
      now: () => PINNED_NOW,
      tuning: { exactFactor: 0, neighbourhoodFactor: 1 },
    });
    const filters: FeatureFilter[] = [{ feature: "track_profile:genres", op: "contains", value: genre }];
    const got = await search(id, { filters }, strict);
    expect(got).toMatchObject({ index: "exact", strategy: "exact_fallback" });
    expectExactTopK(
      got.neighbors,
      await exactScan(id, `p.genres @> array['${genre.replaceAll("'", "''")}']`),
    );
  });

  it("with the index forced on every filter, iterative scans still find the exact top k", async () => {
    // exactFactor 0: never the exact path up front, so even 8 rows in 1,730 go through the graph.
    const forced = new EmbeddingServer(sql, server.services.serving.catalog, {
      now: () => PINNED_NOW,
      tuning: { exactFactor: 0 },
    });
    // Its outlier ceiling sampled first: those scans are not the searches'.
    await forced.warm();
    for (const c of cases.filter((x) => x.selective)) {
      for (const id of QUERY_IDS) {
        const exact = await exactScan(id, c.where, 5);
        const before = await lyricsIndexScans();
        const got = await search(id, { k: 5, filters: c.filters }, forced);
        expect(await lyricsIndexScans()).toBe(before + 2);
        // Fewer than k qualify: the index scan ends short and the exact scan says so. (Rows
        // far from the query are checked exactly too: few pass, so they are rarely near it.)
        if (exact.length < 5) expect(got.strategy).toBe("exact_fallback");
        else expect(["hnsw_iterative", "exact_fallback"]).toContain(got.strategy);
        expectExactTopK(got.neighbors, exact, 5);
      }
    }
  });

  it("falls back to the exact scan when the index finds fewer than k", async () => {
    const indexOnly = new EmbeddingServer(sql, server.services.serving.catalog, {
      now: () => PINNED_NOW,
      tuning: { exactFactor: 0 },
    });
    const none = await search(
      3,
      { filters: [{ feature: "track_profile:popularity", op: "gt", value: 1_000 }] },
      indexOnly,
    );
    expect(none).toMatchObject({ index: "exact", strategy: "exact_fallback", neighbors: [] });
    const few = cases.find((x) => x.name === "in" && x.selective) as Case;
    const exact = await exactScan(3, few.where, 100);
    const got = await search(3, { k: exact.length + 1, filters: few.filters }, indexOnly);
    expect(got.strategy).toBe("exact_fallback");
    expectExactTopK(got.neighbors, exact, exact.length + 1);
  });

  it("falls back when the index scan gives up (hnsw.max_scan_tuples) before k rows pass", async () => {
    // The tracks of one year, searched from the track farthest from all of them; the index scan
    // gets one tuple after a one-candidate first pass, then only returns the candidates it has
    // already seen, all near the query: none of that year's, though more than k of them exist.
    const [target] = await sql<{ year: number; id: number }[]>`
      with years as (
        select release_year as year from fv_track_profile_v1 where release_year is not null
        group by 1 having count(*) >= 6 order by count(*), 1 limit 1)
      select y.year, t.id
      from years y, tracks t
      where t.lyrics_embedding is not null
      order by (
        select min(t.lyrics_embedding <=> o.lyrics_embedding) from tracks o
        join fv_track_profile_v1 p on p.track_id = o.id
        where p.release_year = y.year and o.lyrics_embedding is not null) desc, t.id
      limit 1`;
    const { year, id } = target as { year: number; id: number };
    const stingy = new EmbeddingServer(sql, server.services.serving.catalog, {
      now: () => PINNED_NOW,
      tuning: { exactFactor: 0, maxScanTuples: 1 },
    });
    const filters: FeatureFilter[] = [{ feature: "track_profile:release_year", op: "eq", value: year }];
    const got = await search(id, { k: 5, filters, efSearch: 1 }, stingy);
    expect(got).toMatchObject({ index: "exact", strategy: "exact_fallback", efSearch: null });
    const exact = await exactScan(id, `p.release_year = ${year}`, 5);
    expect(exact.length).toBeGreaterThan(5);
    expectExactTopK(got.neighbors, exact, 5);
  });
});
