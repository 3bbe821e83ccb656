import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  ANALYZER_TYPES,
  algorithmicFeatures,
  type CorpusSummary,
  corpusPlan,
  corpusStatus,
  generateCorpus,
  PROGRESS_PHASE,
} from "../../src/corpus";
import { createContext, trackProfile } from "../../src/corpus/tracks";
import type { Database } from "../../src/db/database";
import type { ProgressEvent } from "../../src/log/progress";
import { openEmbeddedTestDatabase, TEST_SCALE } from "./fixture";

const SEED = 42;
const plan = corpusPlan(TEST_SCALE);
let db: Database;
let summary: CorpusSummary;
const progress: ProgressEvent[] = [];

beforeAll(async () => {
  db = await openEmbeddedTestDatabase();
  summary = await generateCorpus(db, {
    scale: TEST_SCALE,
    seed: SEED,
    onProgress: (e) => progress.push(e),
  });
});
afterAll(async () => {
  await db?.close();
});

const one = async <T>(query: Promise<T[]>): Promise<T> => {
  const [row] = await query;
  if (row === undefined) throw new Error("no row");
  return row;
};

describe("the generated corpus matches its plan exactly", () => {
  it("has the planned tracks, artists and special tracks", async () => {
    const counts = await one(db.sql<Record<string, number>[]>`
      select count(*)::int as tracks,
             count(distinct artist)::int as artists,
             count(*) filter (where lyrics is null)::int as null_lyrics,
             count(*) filter (where lyrics is null and lyrics_embedding is null)::int as null_lyrics_and_embedding,
             count(*) filter (where spotify_data is null)::int as without_spotify,
             count(*) filter (where spotify_data is null and audio_features is null and audio_embedding is null)::int
               as without_audio
      from tracks`);
    expect(counts).toEqual({
      tracks: plan.tracks,
      artists: plan.artists,
      null_lyrics: plan.nullLyrics,
      null_lyrics_and_embedding: plan.nullLyrics,
      without_spotify: plan.withoutSpotify,
      without_audio: plan.withoutSpotify,
    });
    expect(await corpusStatus(db.sql)).toEqual({ tracks: plan.tracks, analyses: plan.analyses });
    expect(summary).toMatchObject({ tracks: plan.tracks, analyses: plan.analyses });
  });

  it("has the planned rows, pairs and re-runs per analyzer", async () => {
    const rows = await db.sql<
      { analyzer_type: string; rows: number; pairs: number; reruns: number; triples: number }[]
    >`
      select analyzer_type, sum(n)::int as rows, count(*)::int as pairs,
             count(*) filter (where n >= 2)::int as reruns, count(*) filter (where n = 3)::int as triples
      from (select analyzer_type, track_id, count(*) as n from analysis_results group by 1, 2) pairs
      group by 1`;
    const byType = Object.fromEntries(rows.map(({ analyzer_type, ...r }) => [analyzer_type, r]));
    for (const type of ANALYZER_TYPES) {
      const p = plan.analyzers[type];
      expect(byType[type], type).toEqual({
        rows: p.rows,
        pairs: p.pairs,
        reruns: p.rerunPairs,
        triples: p.tripleRunPairs,
      });
      expect(summary.analysesByAnalyzer[type]).toBe(p.rows);
    }
    const share = rows.reduce((s, r) => s + r.reruns, 0) / rows.reduce((s, r) => s + r.pairs, 0);
    expect(share).toBeGreaterThanOrEqual(0.05);
  });

  it("analyses no track without lyrics, and every track after it was created", async () => {
    const bad = await one(db.sql<{ of_null_lyrics: number; before_track: number; orphan: number }[]>`
      select count(*) filter (where t.lyrics is null)::int as of_null_lyrics,
             count(*) filter (where a.created_at <= t.created_at)::int as before_track,
             count(*) filter (where t.id is null)::int as orphan
      from analysis_results a left join tracks t on t.id = a.track_id`);
    expect(bad).toEqual({ of_null_lyrics: 0, before_track: 0, orphan: 0 });
  });

  it("dates re-runs later than the first analysis, with a newer model version", async () => {
    const reruns = await db.sql<{ run: number; later: boolean; same_version: boolean }[]>`
      select run, created_at > first_at as later, model_version = first_version as same_version
      from (select row_number() over w as run, created_at, model_version,
                   first_value(created_at) over w as first_at, first_value(model_version) over w as first_version
            from analysis_results window w as (partition by track_id, analyzer_type order by created_at, id)) r
      where run > 1`;
    expect(reruns.length).toBe(plan.analyses - plan.pairs);
    expect(reruns.every((r) => r.later)).toBe(true);
    expect(reruns.filter((r) => r.run === 2).every((r) => !r.same_version)).toBe(true);
  });

  it("reports progress up to the total number of rows", () => {
    expect(progress[0]).toEqual({ phase: PROGRESS_PHASE, done: 0, total: plan.tracks + plan.analyses });
    expect(progress.at(-1)).toEqual({
      phase: PROGRESS_PHASE,
      done: plan.tracks + plan.analyses,
      total: plan.tracks + plan.analyses,
    });
  });
});

describe("data quality problems exist on purpose", () => {
  it("has the planned duplicate (artist, title) pairs", async () => {
    const groups = await db.sql<{ n: number }[]>`
      select count(*)::int as n from tracks group by artist, title having count(*) > 1`;
    expect(groups.length).toBe(plan.duplicates);
    expect(groups.every((g) => g.n === 2)).toBe(true);
    // The load counted them (after its binary COPY) for a dataset card's duplicate check.
    const counted = await db.sql<{ n: number }[]>`
      select tracks as n from rapfs_track_pairs where tracks > 1`;
    expect(counted.length).toBe(plan.duplicates);
    expect(counted.every((g) => g.n === 2)).toBe(true);
  });

  it("has the planned out-of-range values", async () => {
    const counts = await one(db.sql<Record<string, number>[]>`
      select
        (select count(*) from tracks
          where (spotify_data->>'popularity')::int not between 0 and 100)::int as popularity,
        (select count(*) from tracks where (audio_features->>'tempo')::numeric < 0)::int as tempo,
        (select count(*) from analysis_results where confidence > 1)::int as confidence,
        (select count(*) from analysis_results
          where (analysis_data->>'quality_score')::int not between 1 and 10)::int as quality_score`);
    expect(counts).toEqual({
      popularity: plan.outOfRange.popularity,
      tempo: plan.outOfRange.tempo,
      confidence: plan.outOfRange.confidence,
      quality_score: plan.outOfRange.qualityScore,
    });
  });
});

describe("analysis values are consistent", () => {
  it("emotion scores sum to exactly 1 and name the dominant one", async () => {
    const bad = await one(db.sql<{ n: number; checked: number }[]>`
      select count(*) filter (where total <> 1 or top <> dominant)::int as n, count(*)::int as checked
      from (select a.id, sum(s.value::numeric) as total, max(s.value::numeric) as top,
                   (a.analysis_data->>(a.analysis_data->>'dominant'))::numeric as dominant
            from analysis_results a, lateral jsonb_each_text(a.analysis_data) s
            where a.analyzer_type = 'emotion-distilroberta' and s.key <> 'dominant'
            group by a.id, a.analysis_data) scores`);
    expect(bad.checked).toBe(plan.analyzers["emotion-distilroberta"].rows);
    expect(bad.n).toBe(0);
  });

  it("algorithmic word, unique-word and line counts match the stored lyrics (checked in SQL)", async () => {
    const mismatches = await db.sql<{ id: number }[]>`
      with lines as (
        select a.id, a.analysis_data, l.line
        from analysis_results a join tracks t on t.id = a.track_id,
             lateral regexp_split_to_table(t.lyrics, E'\\n') as l(line)
        where a.analyzer_type = 'algorithmic' and btrim(l.line) <> '' and l.line !~ '^\\[.*\\]$'),
      words as (select id, lower(w) as w from lines, lateral regexp_split_to_table(btrim(line), '\\s+') as w)
      select id from (
        select id, count(*) as words, count(distinct w) as uniq from words group by id) c
        join (select id, count(*) as lines, max(analysis_data::text) as data from lines group by id) l using (id)
      where (data::jsonb->>'word_count')::int <> words or (data::jsonb->>'unique_words')::int <> uniq
         or (data::jsonb->>'line_count')::int <> lines`;
    expect(mismatches).toEqual([]);
    const checked = await one(db.sql<{ n: number }[]>`
      select count(*)::int as n from analysis_results where analyzer_type = 'algorithmic'`);
    expect(checked.n).toBe(plan.analyzers.algorithmic.rows);
  });

  it("stores exactly what algorithmicFeatures computes from the lyrics", async () => {
    const rows = await db.sql<{ lyrics: string; analysis_data: Record<string, number> }[]>`
      select t.lyrics, a.analysis_data from analysis_results a join tracks t on t.id = a.track_id
      where a.analyzer_type = 'algorithmic' order by a.id limit 200`;
    for (const row of rows) expect(row.analysis_data).toEqual(algorithmicFeatures(row.lyrics));
  });

  it("correlates LLM readings with the track (energy with audio energy, quality with popularity)", async () => {
    const r = await one(db.sql<{ energy: number; quality: number; explicit: number }[]>`
      select corr((t.audio_features->>'energy')::float8, (a.analysis_data->>'energy')::float8) as energy,
             corr((t.spotify_data->>'popularity')::float8, (a.analysis_data->>'quality_score')::float8)
               filter (where (t.spotify_data->>'popularity')::int between 0 and 100
                       and (a.analysis_data->>'quality_score')::int between 1 and 10) as quality,
             corr(((t.spotify_data->>'explicit')::boolean)::int::float8, g.profanity) as explicit
      from analysis_results a join tracks t on t.id = a.track_id
      join lateral (select (analysis_data->>'profanity_ratio')::float8 as profanity from analysis_results
                    where track_id = t.id and analyzer_type = 'algorithmic' limit 1) g on true
      where a.analyzer_type = 'gemma-3-27b-it'`);
    expect(r.energy).toBeGreaterThan(0.5);
    expect(r.quality).toBeGreaterThan(0.3);
    expect(r.explicit).toBeGreaterThan(0.3);
  });
});

describe("embeddings have structure", () => {
  it("are L2-normalized", async () => {
    const norms = await one(db.sql<Record<string, number>[]>`
      select (select min(vector_norm(lyrics_embedding)) from tracks) as lyrics_min,
             (select max(vector_norm(lyrics_embedding)) from tracks) as lyrics_max,
             (select min(vector_norm(audio_embedding)) from tracks) as audio_min,
             (select max(vector_norm(audio_embedding)) from tracks) as audio_max,
             (select min(vector_norm(analysis_embedding)) from analysis_results) as analysis_min,
             (select max(vector_norm(analysis_embedding)) from analysis_results) as analysis_max`);
    for (const value of Object.values(norms)) expect(value).toBeCloseTo(1, 3);
    const qwen = await one(db.sql<{ with: number; without: number }[]>`
      select count(*) filter (where analysis_embedding is not null and analyzer_type = 'qwen-3-4b-fp8')::int as with,
             count(*) filter (where analysis_embedding is not null and analyzer_type <> 'qwen-3-4b-fp8')::int as without
      from analysis_results`);
    expect(qwen).toEqual({ with: plan.analyzers["qwen-3-4b-fp8"].rows, without: 0 });
  });

  it("gives lyrics neighbours that mostly share the track's artist or main theme", async () => {
    const ctx = createContext(SEED, plan);
    const primaryTheme = (id: number) => trackProfile(ctx, id - 1).themes[0];
    let sharesArtistOrTheme = 0;
    let sharesTheme = 0;
    let total = 0;
    for (let id = 7; id <= plan.tracks; id += 29) {
      const neighbours = await db.sql<{ id: number; same_artist: boolean }[]>`
        select n.id, n.artist = q.artist as same_artist
        from tracks q, lateral (select id, artist from tracks n where n.id <> q.id and n.lyrics_embedding is not null
                                order by n.lyrics_embedding <=> q.lyrics_embedding limit 10) n
        where q.id = ${id} and q.lyrics_embedding is not null`;
      for (const n of neighbours) {
        const sameTheme = primaryTheme(n.id) === primaryTheme(id);
        total++;
        if (sameTheme) sharesTheme++;
        if (n.same_artist || sameTheme) sharesArtistOrTheme++;
      }
    }
    expect(total).toBeGreaterThan(150);
    expect(sharesArtistOrTheme / total).toBeGreaterThan(0.9);
    expect(sharesTheme / total).toBeGreaterThan(0.6);
  });

  it("puts tracks with similar audio features close in audio space", async () => {
    const r = await one(db.sql<{ neighbours: number; random: number }[]>`
      with sample as (select * from tracks where audio_embedding is not null and id % 23 = 0)
      select avg(abs((q.audio_features->>'energy')::float8 - (n.audio_features->>'energy')::float8)) as neighbours,
             (select avg(abs((a.audio_features->>'energy')::float8 - (b.audio_features->>'energy')::float8))
              from sample a join sample b on a.id < b.id) as random
      from sample q, lateral (select audio_features from tracks n where n.id <> q.id and n.audio_embedding is not null
                              order by n.audio_embedding <=> q.audio_embedding limit 5) n`);
    expect(r.neighbours).toBeLessThan(r.random * 0.6);
  });
});
