import { readFile } from "node:fs/promises";
import { join } from "node:path";
import postgres from "postgres";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Sql } from "../../src/db/database";
import { applyDefinitions } from "../../src/definitions/apply";
import { materializeAll } from "../../src/materialize/runner";
import { definitionsDir, ENTITIES, view } from "../definitions/helpers";
import { createServerTestDatabase, migrationsDir } from "../support/databases";

const TRACKS = 300;

/** The corpus tables without their vector columns: the development server has no pgvector. */
async function schema(sql: Sql) {
  await sql.unsafe(`
    create table tracks (id serial primary key, title varchar(500), artist varchar(200), lyrics text,
      url varchar(500), created_at timestamp, spotify_data jsonb, audio_features jsonb);
    create table analysis_results (id serial primary key, track_id int references tracks, analyzer_type varchar(50),
      sentiment varchar, confidence numeric, themes text, analysis_data jsonb, created_at timestamp,
      complexity_score numeric, processing_time_ms int, model_version varchar);
    create index on analysis_results (track_id, analyzer_type, created_at desc, id desc);`);
  await sql.unsafe(await readFile(join(migrationsDir, "0002_registry.sql"), "utf8"));
  await sql`insert into tracks (title, artist, created_at)
    select 'track ' || i, 'artist ' || (i % 17), timestamp '2024-01-01' + i * interval '1 hour'
    from generate_series(1, ${TRACKS}) i`;
  await analyses(sql, "old", "2025-01-01");
}

async function analyses(sql: Sql, sentiment: string, day: string) {
  await sql`insert into analysis_results (track_id, analyzer_type, sentiment, confidence, created_at)
    select id, 'qwen-3-4b-fp8', ${sentiment}, 0.5 + (id % 5) / 10.0, ${day}::timestamp + id * interval '1 second'
    from tracks`;
}

describe("materialization on a PostgreSQL server, several processes at once", () => {
  let database: Awaited<ReturnType<typeof createServerTestDatabase>>;
  let pools: Sql[];
  let defs: Awaited<ReturnType<typeof definitionsDir>>;

  beforeAll(async () => {
    database = await createServerTestDatabase();
    pools = [0, 1].map(() => postgres(database.url, { max: 4, onnotice: () => {} }));
    await schema(pools[0] as Sql);
    defs = await definitionsDir({
      "entities.yaml": ENTITIES,
      "v.yaml": view("labels", 1, ["sentiment: string = a.sentiment", "confidence: float = a.confidence"]),
    });
    await applyDefinitions(pools[0] as Sql, defs.dir);
  });
  afterAll(async () => {
    await Promise.all((pools ?? []).map((p) => p.end()));
    await database?.drop();
    await defs?.remove();
  });

  it("builds each table once when two servers start together; the other then finds nothing to do", async () => {
    const [a, b] = await Promise.all(pools.map((sql) => materializeAll(sql)));
    const modes = [...(a ?? []), ...(b ?? [])].map((r) => `${r.mode}:${r.rowsWritten}`).sort();
    expect(modes).toEqual([`full:${TRACKS}`, "incremental:0"]);
  });

  it("readers see the old rows or the new ones during a full rebuild, never a mix", async () => {
    const [writer, reader] = pools as [Sql, Sql];
    await analyses(writer, "new", "2025-06-01");
    const seen = new Set<string>();
    let done = false;
    const reading = (async () => {
      while (!done) {
        const [row] = await reader`
          select count(*)::int as n, array_agg(distinct sentiment order by sentiment) as labels from fv_labels_v1`;
        seen.add(`${row?.n}:${((row?.labels ?? []) as string[]).join(",")}`);
      }
    })();
    for (let i = 0; i < 3; i++) await materializeAll(writer, { full: true });
    done = true;
    await reading;
    expect([...seen].every((s) => s === `${TRACKS}:old` || s === `${TRACKS}:new`)).toBe(true);
    expect(seen.has(`${TRACKS}:new`)).toBe(true);
  });
});
