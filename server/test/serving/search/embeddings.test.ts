import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { EmbeddingBatchSchema } from "../../../src/api/routes/embeddings/batch";
import { EmbeddingVectorSchema } from "../../../src/api/routes/embeddings/get";
import { type SearchRequest, SearchResponseSchema } from "../../../src/api/routes/embeddings/search";
import { FeatureRowsSchema } from "../../../src/api/routes/features/batch";
import type { Sql } from "../../../src/db/database";
import type { RunningServer } from "../../../src/runtime/start-server";
import { createServing, type SearchQuery } from "../../../src/serving";
import { capturingLogger } from "../../api/harness";
import { withTurns } from "../../support/turns";
import { ADMIN_KEY, call, ok, PINNED_NOW, problem, startServing } from "../support";

let server: RunningServer;
let sql: Sql;

beforeAll(async () => {
  server = await startServing();
  sql = server.services.sql;
  await server.services.serving.embeddings.warm();
});
afterAll(async () => {
  await server?.shutdown("test done");
});

const search = (name: string, body: SearchRequest | Record<string, unknown>) =>
  call(server, `/v1/embeddings/${name}/search`, { json: body });
const popularity = (op: "lt" | "gte", value: number) => [{ feature: "track_profile:popularity", op, value }];
const literal = (v: number[]) => `[${v.join(",")}]`;

async function vectorOf(id: number, column = "lyrics_embedding"): Promise<number[]> {
  const [row] = await sql<{ v: number[] }[]>`select ${sql(column)}::real[] as v from tracks where id = ${id}`;
  return row?.v as number[];
}

/** The exact scan the search must equal, written here by hand (ids nearest first, ties by id). */
async function exactScan(
  query: number[],
  options: { k: number; op?: string; exclude?: number; where?: string },
) {
  const op = sql.unsafe(options.op ?? "<=>");
  return sql<{ id: number; d: number }[]>`
    select t.id, t.lyrics_embedding ${op} ${literal(query)}::vector as d
    from tracks t
      left join fv_qwen_analysis_v2 q on q.track_id = t.id
      left join fv_track_profile_v1 p on p.track_id = t.id
    where t.lyrics_embedding is not null and t.id <> ${options.exclude ?? -1}
      and ${sql.unsafe(options.where ?? "true")}
    order by 2, 1 limit ${options.k}`;
}

function expectSame(
  body: { neighbors: { id: unknown; distance: number }[] },
  scan: { id: number; d: number }[],
) {
  expect(body.neighbors.map((n) => n.id)).toEqual(scan.map((r) => r.id));
  body.neighbors.forEach((n, i) => {
    expect(n.distance).toBeCloseTo(scan[i]?.d as number, 9);
  });
}

describe("embedding lookups", () => {
  it("GET returns the stored vector, batch answers in order with statuses", async () => {
    const one = ok(await call(server, "/v1/embeddings/lyrics/3"), EmbeddingVectorSchema);
    expect(one).toMatchObject({
      embedding: "lyrics@1",
      entity: "track",
      dimension: 384,
      metric: "cosine",
      id: 3,
    });
    expect(one.vector).toEqual(await vectorOf(3));
    const [noLyrics] = await sql<
      { id: number }[]
    >`select id from tracks where lyrics_embedding is null limit 1`;
    const ids = [3, 999_999, 3, ...(noLyrics ? [noLyrics.id] : [])];
    const many = ok(
      await call(server, "/v1/embeddings/lyrics@1/batch", { json: { ids } }),
      EmbeddingBatchSchema,
    );
    expect(many.items.map((i) => [i.id, i.status])).toEqual([
      [3, "present"],
      [999_999, "not_found"],
      [3, "present"],
      ...(noLyrics ? [[noLyrics.id, "null"]] : []),
    ]);
    expect(many.items[0]?.vector).toEqual(one.vector);
    problem(await call(server, "/v1/embeddings/lyrics/999999"), 404, "NOT_FOUND");
  });

  it("answers a 1,000-id batch with the database's vectors, built a slice at a time on turns of its own", async () => {
    const ids = Array.from({ length: 1_000 }, (_, i) => i + 1);
    const res = await server.app.request("/v1/embeddings/lyrics/batch", {
      method: "POST",
      headers: { authorization: `Bearer ${ADMIN_KEY}`, "content-type": "application/json" },
      body: JSON.stringify({ ids }),
    });
    expect(res.status).toBe(200);
    expect(res.headers.get("content-type")).toBe("application/json");
    // Chunks, each made on a later turn of the event loop: built whole (c.json of 384,000
    // numbers) the body held the loop 190–380 ms for every other request.
    const chunks: Uint8Array[] = [];
    const reader = (res.body as ReadableStream<Uint8Array>).getReader();
    const { turns } = await withTurns(
      (async () => {
        for (let next = await reader.read(); !next.done; next = await reader.read()) chunks.push(next.value);
      })(),
    );
    expect(chunks.length).toBeGreaterThan(2);
    expect(turns).toBeGreaterThan(2);
    const body = EmbeddingBatchSchema.parse(JSON.parse(Buffer.concat(chunks).toString("utf8")));
    const stored = await sql<{ id: number; v: number[] | null }[]>`
      select id, lyrics_embedding::real[] as v from tracks where id = any(${ids}::integer[])`;
    const byId = new Map(stored.map((row) => [row.id, row.v]));
    expect(body.items.map((item) => item.id)).toEqual(ids);
    for (const item of body.items) {
      const vector = byId.get(item.id as number);
      expect(item.status).toBe(vector === undefined ? "not_found" : vector === null ? "null" : "present");
      expect(item.vector).toEqual(vector ?? null);
    }
  });

  it("reads a materialized embedding (the latest qwen analysis vector) from its table", async () => {
    const [row] = await sql<{ track_id: number; v: number[] }[]>`
      select track_id, embedding::real[] as v from emb_analysis_v1 order by track_id limit 1`;
    const body = ok(await call(server, `/v1/embeddings/analysis/${row?.track_id}`), EmbeddingVectorSchema);
    expect(body.dimension).toBe(256);
    expect(body.vector).toEqual(row?.v);
  });
});

describe("POST /v1/embeddings/{name}/search", () => {
  it("by vector equals the exact SQL scan", async () => {
    const query = (await vectorOf(10)).map((x, i) => x + (i % 7) * 1e-3);
    const body = ok(await search("lyrics", { vector: query, k: 10 }), SearchResponseSchema);
    expect(body).toMatchObject({ embedding: "lyrics@1", metric: "cosine", k: 10, index: "exact" });
    expectSame(body, await exactScan(query, { k: 10 }));
  });

  it("by id leaves the entity itself out and equals the exact scan", async () => {
    const body = ok(await search("lyrics", { id: 10, k: 25 }), SearchResponseSchema);
    expect(body.neighbors.map((n) => n.id)).not.toContain(10);
    expectSame(body, await exactScan(await vectorOf(10), { k: 25, exclude: 10 }));
  });

  it("applies feature filters as the hand-written joins do", async () => {
    const filters = [
      { feature: "qwen_analysis:sentiment", op: "eq", value: "positive" },
      { feature: "track_profile:popularity", op: "gte", value: 50 },
    ];
    const body = ok(await search("lyrics", { id: 10, k: 20, filters }), SearchResponseSchema);
    expect(body.neighbors.length).toBeGreaterThan(0);
    const where = "q.sentiment = 'positive' and p.popularity >= 50";
    expectSame(body, await exactScan(await vectorOf(10), { k: 20, exclude: 10, where }));

    const more = [
      { feature: "qwen_analysis@2:mood", op: "in", value: ["dark", "chill", "reflective"] },
      { feature: "qwen_analysis@2:themes", op: "contains", value: "money" },
      { feature: "track_profile:genres", op: "not_null" },
    ];
    const other = ok(
      await search("lyrics", { vector: await vectorOf(4), k: 15, filters: more }),
      SearchResponseSchema,
    );
    const otherWhere =
      "q.mood in ('dark', 'chill', 'reflective') and 'money' = any(q.themes) and p.genres is not null";
    expectSame(other, await exactScan(await vectorOf(4), { k: 15, where: otherWhere }));
  });

  it("answers the same from the in-memory vectors as from the SQL scan", async () => {
    const { sql: db, onlineStore, logger, serving } = server.services;
    expect(serving.embeddings.inMemory.sort()).toEqual(["analysis@1", "audio@1", "lyrics@1"]);
    const viaSql = createServing({ sql: db, onlineStore, logger, now: () => PINNED_NOW });
    const nonePasses: SearchQuery = { vector: await vectorOf(24), k: 5, filters: popularity("lt", -1) };
    const cases: [string, SearchQuery][] = [
      ["lyrics", { vector: await vectorOf(20), k: 100 }],
      ["lyrics", { vector: await vectorOf(21), k: 7, metric: "inner_product" }],
      ["audio", { id: { id: 9, key: "9" }, k: 20, metric: "l2" }],
      [
        "analysis",
        {
          id: { id: 30, key: "30" },
          k: 12,
          filters: popularity("lt", 60),
        },
      ],
      // Every row passes: the first round of candidates answers.
      [
        "lyrics",
        {
          vector: await vectorOf(22),
          k: 100,
          filters: popularity("gte", -1),
        },
      ],
      // Few pass: past both rounds, every match is read.
      [
        "lyrics",
        {
          id: { id: 23, key: "23" },
          k: 10,
          filters: popularity("gte", 97),
        },
      ],
      ["lyrics", nonePasses],
    ];
    for (const [name, query] of cases) {
      const memory = await serving.embeddings.search(await serving.embeddings.resolve(name), query);
      const scanned = await viaSql.embeddings.search(await viaSql.embeddings.resolve(name), query);
      if (query !== nonePasses) expect(memory.neighbors.length).toBeGreaterThan(0);
      expect(memory).toEqual(scanned);
    }
  });

  it("stops loading vectors into memory when told (a server stopping), without a warning", async () => {
    const { sql: db, onlineStore } = server.services;
    const { logger, lines } = capturingLogger();
    const fresh = createServing({
      sql: db,
      onlineStore,
      logger,
      inMemorySearch: true,
      now: () => PINNED_NOW,
    });
    const warming = fresh.embeddings.warm();
    fresh.embeddings.stopLoads();
    await warming;
    expect(fresh.embeddings.inMemory).toEqual([]);
    expect(lines.filter((l) => l.level === "warn")).toEqual([]);
  });

  it("searches by id from memory while a run holds the embedded database", async () => {
    const { serving } = server.services;
    const lyrics = await serving.embeddings.resolve("lyrics");
    const order: string[] = [];
    // PGlite has one connection: a statement that holds it delays every SQL read behind it.
    const held = sql`select pg_sleep(1)`.then(() => order.push("database"));
    const searched = serving.embeddings.search(lyrics, { id: { id: 20, key: "20" }, k: 5 }).then((result) => {
      order.push("search");
      return result;
    });
    const [result] = await Promise.all([searched, held]);
    expect(order).toEqual(["search", "database"]);
    expectSame(
      { neighbors: result.neighbors.map((n) => ({ ...n, id: Number(n.id) })) },
      await exactScan(await vectorOf(20), { k: 5, exclude: 20 }),
    );
  });

  it("binds filter values as parameters: a quote in a value is only a value", async () => {
    const filters = [{ feature: "qwen_analysis:sentiment", op: "eq", value: "x' or '1'='1" }];
    const body = ok(await search("lyrics", { id: 1, k: 5, filters }), SearchResponseSchema);
    expect(body.neighbors).toEqual([]);
  });

  it("takes the other metrics with their pgvector operators", async () => {
    const query = await vectorOf(7);
    for (const [metric, op] of [
      ["l2", "<->"],
      ["inner_product", "<#>"],
    ] as const) {
      const body = ok(await search("lyrics", { vector: query, k: 5, metric }), SearchResponseSchema);
      expect(body.metric).toBe(metric);
      expectSame(body, await exactScan(query, { k: 5, op }));
    }
  });

  it("returns the neighbours' features when asked, equal to the feature endpoint's", async () => {
    const body = ok(
      await search("lyrics", {
        id: 2,
        k: 5,
        include_features: ["qwen_analysis:sentiment", "track_profile:popularity"],
      }),
      SearchResponseSchema,
    );
    const ids = body.neighbors.map((n) => n.id);
    const features = ok(
      await call(server, "/v1/features/track/batch", {
        json: { ids, features: ["qwen_analysis:sentiment", "track_profile:popularity"] },
      }),
      FeatureRowsSchema,
    );
    expect(body.neighbors.map((n) => n.features)).toEqual(features.rows.map((r) => r.features));
    const service = ok(
      await search("lyrics", { id: 2, k: 3, include_service: "mood_board" }),
      SearchResponseSchema,
    );
    expect(Object.keys(service.neighbors[0]?.features ?? {})).toHaveLength(6);
  });

  it("uses an HNSW index with SET LOCAL ef_search when the embedding has one", async () => {
    await sql`create index emb_test_audio_hnsw on tracks using hnsw (audio_embedding vector_cosine_ops)`;
    await sql`update rapfs_embeddings set index_kind = 'hnsw', index_name = 'emb_test_audio_hnsw' where name = 'audio'`;
    server.services.serving.catalog.invalidate();
    try {
      const query = await vectorOf(9, "audio_embedding");
      const body = ok(await search("audio", { vector: query, k: 10, ef_search: 100 }), SearchResponseSchema);
      expect(body).toMatchObject({ index: "hnsw", strategy: "hnsw_iterative", ef_search: 100 });
      const exact = await sql<{ id: number }[]>`
        select id from tracks where audio_embedding is not null
        order by audio_embedding <=> ${literal(query)}::vector, id limit 10`;
      const found = new Set(body.neighbors.map((n) => n.id));
      expect(exact.filter((r) => found.has(r.id)).length).toBeGreaterThanOrEqual(9);
    } finally {
      await sql`update rapfs_embeddings set index_kind = 'exact', index_name = null where name = 'audio'`;
      await sql`drop index emb_test_audio_hnsw`;
      server.services.serving.catalog.invalidate();
    }
    const exact = ok(await search("audio", { id: 9, k: 3, ef_search: 100 }), SearchResponseSchema);
    expect(exact).toMatchObject({ index: "exact", strategy: "exact", ef_search: null });
  });

  it("a stored all-zero vector under cosine: no neighbours by its id and nobody's neighbour, exact or HNSW", async () => {
    const zero = literal(Array.from({ length: 128 }, () => 0));
    const [added] = await sql<{ id: number }[]>`
      insert into tracks (title, artist, audio_embedding) values ('Silence', 'Nobody', ${zero}::vector)
      returning id`;
    const id = added?.id as number;
    const query = await vectorOf(9, "audio_embedding");
    // The filter keeps the new track (it has no profile yet): few enough rows for the exact scan.
    const alone = [{ feature: "track_profile:popularity", op: "is_null" }];
    const check = async (index: string) => {
      const own = ok(await search("audio", { id, k: 5 }), SearchResponseSchema);
      expect(own, index).toMatchObject({ strategy: "no_vector", neighbors: [] });
      // Its cosine distance to anything is NaN, which was answered as a null distance.
      const near = ok(await search("audio", { vector: query, k: 5, filters: alone }), SearchResponseSchema);
      expect(
        near.neighbors.map((n) => n.id),
        index,
      ).not.toContain(id);
    };
    await sql`create index emb_test_zero_hnsw on tracks using hnsw (audio_embedding vector_cosine_ops)`;
    await sql`update rapfs_embeddings set index_kind = 'hnsw', index_name = 'emb_test_zero_hnsw' where name = 'audio'`;
    server.services.serving.catalog.invalidate();
    try {
      await check("hnsw");
    } finally {
      await sql`update rapfs_embeddings set index_kind = 'exact', index_name = null where name = 'audio'`;
      await sql`drop index emb_test_zero_hnsw`;
      server.services.serving.catalog.invalidate();
    }
    try {
      await check("exact");
    } finally {
      await sql`delete from tracks where id = ${id}`;
    }
  });

  it("refuses bad searches with problem+json", async () => {
    const v = await vectorOf(1);
    const wrong = problem(await search("lyrics", { vector: v.slice(0, 100) }), 400, "VALIDATION_FAILED");
    expect(wrong.detail).toContain("384");
    expect(wrong.errors?.[0]?.path).toEqual(["vector"]);
    problem(await search("lyrics", { vector: v, k: 101 }), 400, "VALIDATION_FAILED");
    problem(await search("lyrics", { vector: v, k: 0 }), 400, "VALIDATION_FAILED");
    problem(await search("lyrics", { vector: v, id: 1 }), 400, "VALIDATION_FAILED");
    problem(await search("lyrics", { k: 3 }), 400, "VALIDATION_FAILED");
    problem(await search("lyrics", { id: "one" }), 400, "VALIDATION_FAILED");
    problem(await search("lyrics", { id: 999_999 }), 404, "NOT_FOUND");
    problem(await search("lyrics", { vector: ["a"] }), 400, "VALIDATION_FAILED");
    // A track without lyrics has a null vector: GET says so with 200, and search by its id agrees.
    const [noLyrics] = await sql<{ id: number }[]>`
      select id from tracks where lyrics_embedding is null order by id limit 1`;
    expect(noLyrics).toBeDefined();
    const own = ok(await call(server, `/v1/embeddings/lyrics/${noLyrics?.id}`), EmbeddingVectorSchema);
    expect(own.vector).toBeNull();
    const none = ok(await search("lyrics", { id: noLyrics?.id, k: 5 }), SearchResponseSchema);
    expect(none).toMatchObject({ strategy: "no_vector", neighbors: [], k: 5 });
    const unknown = problem(await search("lyrcs", { id: 1 }), 404, "NOT_FOUND");
    expect(unknown.suggestions).toContain("lyrics");
    const feature = problem(
      await search("lyrics", {
        id: 1,
        filters: [{ feature: "qwen_analysis:sentimnt", op: "eq", value: "x" }],
      }),
      400,
      "UNKNOWN_FEATURE",
    );
    expect(feature.suggestions).toEqual({ "qwen_analysis:sentimnt": ["qwen_analysis:sentiment"] });
    expect(feature.errors?.[0]?.path).toEqual(["filters", 0]);
    for (const bad of [
      { feature: "track_profile:popularity", op: "gte", value: "fifty" },
      { feature: "track_profile:popularity", op: "contains", value: 1 },
      { feature: "qwen_analysis:*", op: "eq", value: 1 },
      { feature: "track_profile:popularity", op: "in", value: [] },
      { feature: "track_profile:popularity", op: "like", value: 1 },
    ]) {
      problem(await search("lyrics", { id: 1, filters: [bad] }), 400);
    }
    const malformed = await call(server, "/v1/embeddings/lyrics/search", {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: '{"vector": [1, 2',
    });
    problem(malformed, 400, "MALFORMED_JSON");
  });
});
