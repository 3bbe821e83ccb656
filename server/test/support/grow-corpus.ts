import type { Sql } from "../../src/db/database";

/** Three more copies of every track and its analyses, each copy by artists of its own. */
export async function growFourfold(sql: Sql): Promise<void> {
  const [{ last } = { last: 0 }] = await sql<{ last: number }[]>`select max(id) as last from tracks`;
  await sql`
    insert into tracks (id, title, artist, lyrics, url, created_at, spotify_data, audio_features,
      lyrics_embedding, audio_embedding)
    select t.id + k * ${last}, t.title, t.artist || ' #' || k, t.lyrics, t.url, t.created_at, t.spotify_data,
      t.audio_features, t.lyrics_embedding, t.audio_embedding
    from tracks t, generate_series(1, 3) k where t.id <= ${last}`;
  await sql`
    insert into analysis_results (track_id, analyzer_type, sentiment, confidence, themes, analysis_data, created_at,
      complexity_score, processing_time_ms, model_version, analysis_embedding)
    select a.track_id + k * ${last}, a.analyzer_type, a.sentiment, a.confidence, a.themes, a.analysis_data,
      a.created_at, a.complexity_score, a.processing_time_ms, a.model_version, a.analysis_embedding
    from analysis_results a, generate_series(1, 3) k where a.track_id <= ${last}`;
  await sql`select setval(pg_get_serial_sequence('tracks', 'id'), (select max(id) from tracks))`;
  await sql`analyze tracks`;
  await sql`analyze analysis_results`;
}
