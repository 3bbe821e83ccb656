import { copyFile, mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { Sql } from "../../src/db/database";
import { migrate } from "../../src/db/migrate";
import { migrationsDir } from "./databases";

/**
 * The corpus tables without their vector columns (the development server has no pgvector) plus
 * the registry, with `tracks` rows and one "old" qwen analysis each: enough for tests that need
 * real concurrent connections to materialize and read views.
 */
export async function seedPlainCorpus(sql: Sql, tracks: number): Promise<void> {
  await sql.unsafe(`
    create table tracks (id serial primary key, title varchar(500), artist varchar(200), lyrics text,
      url varchar(500), created_at timestamp, spotify_data jsonb, audio_features jsonb);
    create table analysis_results (id serial primary key, track_id int references tracks, analyzer_type varchar(50),
      sentiment varchar, confidence numeric, themes text, analysis_data jsonb, created_at timestamp,
      complexity_score numeric, processing_time_ms int, model_version varchar);
    create index on analysis_results (track_id, analyzer_type, created_at desc, id desc);`);
  await migrateOnly(sql, [
    "0002_registry.sql",
    "0005_entity_relations.sql",
    "0006_public_datasets.sql",
    "0008_definitions_checked.sql",
    "0011_source_changes.sql",
    "0012_ingest_batches.sql",
    "0013_inserted_track_ids.sql",
    "0014_quarantined_analyses.sql",
    "0015_changed_track_ids.sql",
    "0016_changed_rows_by_key.sql",
    "0018_stored_histories.sql",
    "0019_track_duplicates.sql",
    "0020_history_builds.sql",
  ]);
  await sql`insert into tracks (title, artist, created_at)
    select 'track ' || i, 'artist ' || (i % 17), timestamp '2024-01-01' + i * interval '1 hour'
    from generate_series(1, ${tracks}) i`;
  await addQwenAnalyses(sql, "old", "2025-01-01");
}

/** The rapfs migrations named (the registry's), through `migrate`: as recorded as in production. */
async function migrateOnly(sql: Sql, names: string[]): Promise<void> {
  const dir = await mkdtemp(join(tmpdir(), "rapfs-migrations-"));
  try {
    for (const name of names) await copyFile(join(migrationsDir, name), join(dir, name));
    await migrate(sql, dir);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

/** One qwen analysis per track with the given sentiment, created on `day` (a re-analysis). */
export async function addQwenAnalyses(sql: Sql, sentiment: string, day: string): Promise<void> {
  await sql`insert into analysis_results (track_id, analyzer_type, sentiment, confidence, created_at)
    select id, 'qwen-3-4b-fp8', ${sentiment}, 0.5 + (id % 5) / 10.0, ${day}::timestamp + id * interval '1 second'
    from tracks`;
}
