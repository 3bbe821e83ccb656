import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Database } from "../../src/db/database";
import { bindParams } from "../../src/definitions/compile/params";
import { materializeAll, type RunResult } from "../../src/materialize/runner";
import { statsQuery } from "../../src/materialize/stats";
import { getViewVersion, listViews } from "../../src/registry";
import type { ColumnStats, Histogram } from "../../src/registry/stats";
import {
  type Analysis,
  corpusDatabase,
  differences,
  expectedQwenV2,
  latestPerTrack,
  num,
  rawAnalyses,
} from "./corpus";

describe("materialized views match values computed independently from the raw corpus", () => {
  let db: Database;
  let runs: RunResult[];
  const table = (name: string) => db.sql.unsafe(`select * from ${name}`);

  beforeAll(async () => {
    db = await corpusDatabase();
    runs = await materializeAll(db.sql);
  });
  afterAll(async () => {
    await db?.close();
  });

  it("runs every applied view version and the analysis embedding, full the first time", () => {
    expect(runs.map((r) => `${r.name}@${r.version}:${r.mode}`).sort()).toEqual([
      "algorithmic_metrics@1:full",
      "analysis@1:full",
      "analyzer_consensus@1:full",
      "artist_stats@1:full",
      "emotion_scores@1:full",
      "gemma_analysis@1:full",
      "qwen_analysis@1:full",
      "qwen_analysis@2:full",
      "track_artist@1:full",
      "track_profile@1:full",
    ]);
  });

  it("leaves planner statistics on each table's key (PGlite runs no autovacuum)", async () => {
    const keys = await db.sql<{ table: string; stats: number }[]>`
      select c.relname as table, count(s.attname)::int as stats
      from pg_class c
      join pg_index i on i.indrelid = c.oid and i.indisprimary
      join pg_attribute a on a.attrelid = c.oid and a.attnum = any(i.indkey)
      left join pg_stats s on s.tablename = c.relname and s.attname = a.attname
      where left(c.relname, 3) = 'fv_' and strpos(c.relname, '__') = 0 and c.relkind = 'r'
      group by c.relname`;
    expect(keys.length).toBeGreaterThanOrEqual(8);
    for (const key of keys) expect(key.stats, key.table).toBeGreaterThan(0);
  });

  it("qwen_analysis@2: the latest analysis wins, re-analyses included", async () => {
    const analyses = await rawAnalyses(db, "qwen-3-4b-fp8");
    const latest = latestPerTrack(analyses);
    const perTrack = new Map<number, Analysis[]>();
    for (const a of analyses) perTrack.set(a.track_id, [...(perTrack.get(a.track_id) ?? []), a]);
    const reanalysed = [...perTrack.values()].filter((list) => list.length > 1);
    expect(reanalysed.length).toBeGreaterThan(5);

    const rows = await table("fv_qwen_analysis_v2");
    expect(differences(rows, [...latest.values()].map(expectedQwenV2), "track_id")).toEqual([]);
    // Re-analysed tracks carry the newer model's output, not the first one's.
    const byId = new Map(rows.map((r) => [r.track_id, r]));
    for (const list of reanalysed) {
      const newest = latestPerTrack(list).get(list[0]?.track_id as number);
      expect(byId.get(newest?.track_id)?.model_version).toBe(newest?.model_version);
    }
  });

  it("track_profile: NULL lyrics and missing Spotify data give NULL features, not errors", async () => {
    const tracks =
      await db.sql`select id, title, lyrics, created_at, spotify_data, audio_features from tracks`;
    const expected = tracks.map((t) => {
      const s = t.spotify_data as Record<string, unknown> | null;
      const f = t.audio_features as Record<string, unknown> | null;
      const lyrics = t.lyrics as string | null;
      return {
        track_id: t.id,
        event_timestamp: t.created_at,
        has_lyrics: lyrics !== null,
        lyrics_length: lyrics === null ? null : [...lyrics].length,
        lyrics_line_count: lyrics === null || lyrics === "" ? null : lyrics.split("\n").length,
        has_spotify: s !== null,
        popularity: s?.popularity == null ? null : Math.round(Number(s.popularity)),
        album: (s?.album as string | undefined) ?? null,
        genres: (s?.genres as string[] | undefined) ?? null,
        genre_count: Array.isArray(s?.genres) ? s.genres.length : null,
        release_year: typeof s?.release_date === "string" ? Number(s.release_date.slice(0, 4)) : null,
        danceability: num(f?.danceability),
        duration_s: f?.duration_ms == null ? null : Number(f.duration_ms) / 1000,
        is_major: f?.mode == null ? null : Number(f.mode) === 1,
      };
    });
    const rows = await table("fv_track_profile_v1");
    expect(differences(rows, expected, "track_id")).toEqual([]);
    expect(rows.filter((r) => r.lyrics_length === null).length).toBe(
      tracks.filter((t) => t.lyrics === null).length,
    );
    expect(rows.filter((r) => !r.has_spotify).every((r) => r.popularity === null && r.genres === null)).toBe(
      true,
    );
  });

  it("analyzer_consensus: aggregates the latest analysis of each LLM analyzer", async () => {
    const llms = ["qwen-3-4b-fp8", "gemma-3-27b-it", "ollama-llama3.1-8b"];
    const latest = llms.map(async (llm) => latestPerTrack(await rawAnalyses(db, llm)));
    const perAnalyzer = await Promise.all(latest);
    const trackIds = new Set(perAnalyzer.flatMap((m) => [...m.keys()]));
    const expected = [...trackIds].map((id) => {
      const used = perAnalyzer.map((m) => m.get(id)).filter((a): a is Analysis => a !== undefined);
      const qualities = used
        .map((a) => num(a.analysis_data?.quality_score))
        .filter((q): q is number => q !== null);
      const sentiments = new Set(used.map((a) => a.sentiment?.toLowerCase()).filter(Boolean));
      return {
        track_id: id,
        event_timestamp: new Date(Math.max(...used.map((a) => a.created_at.getTime()))),
        analyzer_count: used.length,
        distinct_sentiments: sentiments.size,
        unanimous: sentiments.size === 1,
        mean_confidence: used.reduce((s, a) => s + (a.confidence ?? 0), 0) / used.length,
        quality_spread: Math.max(...qualities) - Math.min(...qualities),
        analyzers: used.map((a) => a.analyzer_type).sort(),
      };
    });
    expect(differences(await table("fv_analyzer_consensus_v1"), expected, "track_id")).toEqual([]);
  });

  it("artist_stats: per-artist aggregates over tracks and their latest analyses", async () => {
    const tracks =
      await db.sql`select id, artist, lyrics, created_at, spotify_data from tracks where artist is not null`;
    const qwen = latestPerTrack(await rawAnalyses(db, "qwen-3-4b-fp8"));
    const mean = (values: (number | null)[]) => {
      const present = values.filter((v): v is number => v !== null);
      return present.length ? present.reduce((s, v) => s + v, 0) / present.length : null;
    };
    const artists = new Map<string, typeof tracks>();
    for (const t of tracks) artists.set(t.artist, [...(artists.get(t.artist) ?? []), t] as typeof tracks);
    const expected = [...artists].map(([artist, list]) => ({
      artist,
      track_count: list.length,
      tracks_with_lyrics: list.filter((t) => t.lyrics !== null).length,
      avg_popularity: mean(list.map((t) => num(t.spotify_data?.popularity))),
      avg_quality: mean(list.map((t) => num(qwen.get(t.id)?.analysis_data?.quality_score))),
      first_track_at: new Date(Math.min(...list.map((t) => t.created_at.getTime()))),
    }));
    expect(differences(await table("fv_artist_stats_v1"), expected, "artist")).toEqual([]);
  });

  it("records per-feature statistics with the run", async () => {
    const view = await getViewVersion(db.sql, "track_profile");
    const tracks = await db.sql`select count(*)::int as n, count(lyrics)::int as lyrics from tracks`;
    const { n, lyrics } = tracks[0] as { n: number; lyrics: number };
    expect(view?.lastRun?.status).toBe("succeeded");
    expect(view?.lastRun?.rowCount).toBe(n);
    expect(view?.stats?.rows).toBe(n);
    const length = view?.stats?.features.lyrics_length;
    expect(length?.null_rate).toBeCloseTo((n - lyrics) / n, 12);
    expect(length?.quantiles?.p50).toBeGreaterThan(0);
    expect(Number(length?.min)).toBeLessThanOrEqual(Number(length?.max));
    // Large tables take quantiles from every n-th track: close to the exact ones.
    const [sampled] = await db.sql.unsafe(
      statsQuery("fv_track_profile_v1", "track_id", [{ name: "lyrics_length", type: "int" }], false, 3),
    );
    const p50 = Number(length?.quantiles?.p50);
    expect(Math.abs(sampled?.lyrics_length.quantiles.p50 - p50) / p50).toBeLessThan(0.1);
    const sentiment = (await getViewVersion(db.sql, "qwen_analysis", 2))?.stats?.features.sentiment;
    expect(sentiment?.top_values?.length).toBeGreaterThan(1);
    expect(sentiment?.distinct_count).toBeGreaterThan(1);
  });

  it("bins numbers, timestamps and list lengths: every value in one bin or under/overflow, as counted here", async () => {
    const binned = (values: number[], h: Histogram) => {
      const counts = new Array<number>(h.counts.length).fill(0);
      let [underflow, overflow] = [0, 0];
      for (const v of values) {
        // Bin i is [lower + i·width, lower + (i+1)·width), the edges as written (0.76 is on one).
        const edge = (i: number) => Number((h.lower + i * h.bin_width).toPrecision(12));
        let bin = 0;
        while (bin < counts.length - 1 && v >= edge(bin + 1)) bin += 1;
        if (v < h.lower) underflow += 1;
        else if (v >= h.upper) overflow += 1;
        else counts[bin] = (counts[bin] ?? 0) + 1;
      }
      return { counts, underflow, overflow };
    };
    const column = async (table: string, expr: string) =>
      (await db.sql.unsafe(`select (${expr})::float8 as v from ${table} where ${expr} is not null`)).map(
        (r) => Number(r.v),
      );
    const profile = (await getViewVersion(db.sql, "track_profile"))?.stats?.features ?? {};
    const qwen = (await getViewVersion(db.sql, "qwen_analysis", 2))?.stats?.features ?? {};
    const cases: [string, ColumnStats | undefined, Histogram | undefined, string, string][] = [
      ["tempo", profile.tempo, profile.tempo?.histogram, "fv_track_profile_v1", "tempo"],
      ["popularity", profile.popularity, profile.popularity?.histogram, "fv_track_profile_v1", "popularity"],
      ["themes", qwen.themes, qwen.themes?.length_histogram, "fv_qwen_analysis_v2", "cardinality(themes)"],
      [
        "analyzed_at",
        qwen.analyzed_at,
        qwen.analyzed_at?.histogram,
        "fv_qwen_analysis_v2",
        "extract(epoch from analyzed_at)",
      ],
    ];
    for (const [name, stats, h, table, expr] of cases) {
      if (!stats || !h) throw new Error(`no histogram for ${name}`);
      expect(h.counts.length, name).toBeGreaterThan(1);
      expect(h.counts.length, name).toBeLessThanOrEqual(30);
      expect(h.upper, name).toBeCloseTo(h.lower + h.counts.length * h.bin_width, 9);
      expect(binned(await column(table, expr), h), name).toEqual({
        counts: h.counts,
        underflow: h.underflow,
        overflow: h.overflow,
      });
      expect(h.counts.reduce((a, b) => a + b, 0) + h.underflow + h.overflow, name).toBe(stats.count);
    }
    // One wild tempo stays out of the bins instead of flattening them.
    expect(profile.tempo?.histogram?.underflow).toBeGreaterThan(0);
    expect(profile.tempo?.histogram?.lower).toBeGreaterThan(Number(profile.tempo?.min));
    expect(typeof qwen.analyzed_at?.quantiles?.p50).toBe("string");
    expect(qwen.themes?.min_length).toBeLessThanOrEqual(Number(qwen.themes?.max_length));
    expect(profile.genres?.null_count).toBe(
      (await column("fv_track_profile_v1", "1")).length - (profile.genres?.count ?? 0),
    );
  });

  it("answers point-in-time queries of every view: today's rows now, nothing before the corpus", async () => {
    const views = await listViews(db.sql);
    for (const view of views) {
      const detail = await getViewVersion(db.sql, view.name, view.version);
      const pit = detail?.compiled.point_in_time;
      if (!pit) throw new Error(`no point-in-time query for ${view.name}`);
      const stored = (await db.sql.unsafe(`select * from ${view.table} order by 1 limit 40`)) as Record<
        string,
        unknown
      >[];
      const ids = stored.map((r) => r[view.keyColumn]);
      const ask = (at: string) =>
        db.sql.unsafe(pit.text, bindParams(pit, { entity_ids: ids, as_of: ids.map(() => at) }) as never[]);
      const now = (await ask("2100-01-01")).map(({ ord, as_of, ...row }) => row);
      // Float sums may differ in the last bit (another summation order): compared with a tolerance.
      const expected = stored.map(({ materialized_at, ...row }) => row);
      expect(differences(now, expected, view.keyColumn), view.table).toEqual([]);
      const before = await ask("2000-01-01");
      expect(
        before.every((r) => r.event_timestamp === null),
        view.table,
      ).toBe(true);
    }
  });
});
