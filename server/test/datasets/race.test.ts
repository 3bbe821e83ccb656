import { readFile } from "node:fs/promises";
import { join } from "node:path";
import { tableFromIPC } from "apache-arrow";
import postgres from "postgres";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { exportRows } from "../../src/datasets/export";
import { planDownload } from "../../src/datasets/plan";
import type { Sql } from "../../src/db/database";
import { applyDefinitions } from "../../src/definitions/apply";
import { materializeAll } from "../../src/materialize/runner";
import { definitionsDir, ENTITIES, view } from "../definitions/helpers";
import { createServerTestDatabase, migrationsDir } from "../support/databases";

const TRACKS = 2_000;
const DATASET = `kind: dataset
name: labels
entity: track
description: Labels.
license: CC0-1.0
features: ["labels@1:*"]
filters: [{ feature: "labels@1:confidence", op: ">", value: 0 }]
`;

async function analyses(sql: Sql, sentiment: string, day: string) {
  await sql`insert into analysis_results (track_id, analyzer_type, sentiment, confidence, created_at)
    select id, 'qwen-3-4b-fp8', ${sentiment}, 0.5 + (id % 5) / 10.0, ${day}::timestamp + id * interval '1 second'
    from tracks`;
}

/**
 * On a PostgreSQL server with separate connections: downloads running while full
 * materializations swap the table see the old rows or the new ones, never a mix.
 */
describe("a download racing a materialization sees one version", () => {
  let database: Awaited<ReturnType<typeof createServerTestDatabase>>;
  let pools: [Sql, Sql];
  let defs: Awaited<ReturnType<typeof definitionsDir>>;

  beforeAll(async () => {
    database = await createServerTestDatabase();
    pools = [0, 1].map(() => postgres(database.url, { max: 4, onnotice: () => {} })) as [Sql, Sql];
    const [sql] = pools;
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
    defs = await definitionsDir({
      "entities.yaml": ENTITIES,
      "v.yaml": view("labels", 1, ["sentiment: string = a.sentiment", "confidence: float = a.confidence"]),
      "d.yaml": DATASET,
    });
    await applyDefinitions(sql, defs.dir);
    await materializeAll(sql);
  });
  afterAll(async () => {
    await Promise.all((pools ?? []).map((p) => p.end()));
    await database?.drop();
    await defs?.remove();
  });

  it("every download during three full rebuilds holds all old or all new rows, with its version", async () => {
    const [writer, reader] = pools;
    await analyses(writer, "new", "2025-06-01");
    const plan = await planDownload(reader, { dataset: "labels" });
    const seen: string[] = [];
    let done = false;
    const downloading = (async () => {
      while (!done) {
        const parts: Uint8Array[] = [];
        // Small batches: each download is many cursor fetches long.
        const result = await exportRows(reader, plan, async (c) => void parts.push(c), {
          format: "arrow",
          batchRows: 100,
        });
        const table = tableFromIPC(Buffer.concat(parts));
        const labels = new Set(table.getChild("labels__sentiment")?.toArray() as string[]);
        seen.push(`${table.numRows}:${[...labels].sort().join(",")}:${result.info.version}`);
      }
    })();
    for (let i = 0; i < 3; i++) await materializeAll(writer, { full: true });
    done = true;
    await downloading;
    const shapes = new Set(seen.map((s) => s.split(":").slice(0, 2).join(":")));
    expect([...shapes].every((s) => s === `${TRACKS}:old` || s === `${TRACKS}:new`)).toBe(true);
    expect(shapes.has(`${TRACKS}:new`)).toBe(true);
    // One version per kind of content: a version names exactly what was read.
    const versions = new Map<string, Set<string>>();
    for (const s of seen) {
      const [, labels, version] = s.split(":");
      versions.set(
        version as string,
        new Set([...(versions.get(version as string) ?? []), labels as string]),
      );
    }
    expect([...versions.values()].every((labels) => labels.size === 1)).toBe(true);
  });
});
