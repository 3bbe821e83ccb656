import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { Rng } from "../../../src/corpus/random";
import { planTraining, standalonePlanSource } from "../../../src/datasets/plan/dataset-plan";
import { computePointInTime, loadPointInTime } from "../../../src/datasets/point-in-time/pit";
import { fillFromHistory, historyServes } from "../../../src/datasets/point-in-time/pit-history";
import type { Database } from "../../../src/db/database";
import { bindParams } from "../../../src/definitions/compile/params";
import { getViewVersion } from "../../../src/registry";
import { formatTimestamp } from "../../../src/values/timestamps";
import { preparedDatabase } from "../../support/prepared-data";
import { rowValuesSql } from "../../support/row-values";
import { SEED } from "../support";

const QWEN = "qwen-3-4b-fp8";
const DAY = 86_400_000;

describe("an artist view's point-in-time history (running totals) equals aggregating the artist at each instant", () => {
  let db: Database;

  beforeAll(async () => {
    db = await preparedDatabase({ scale: 0.01, seed: SEED });
    const { sql } = db;
    // Histories worth checking: re-analyses that replace a track's latest (the old inputs must be
    // taken back), two analyses at one instant (the higher id wins), an analysis older than its
    // track (counted from the track's arrival), one with no time (never picked), a track with no
    // time (there all along) and one with no popularity (absent from avg, present in count(*)).
    await sql`
      insert into analysis_results (track_id, analyzer_type, sentiment, confidence, analysis_data, created_at, model_version)
      select id, ${QWEN}, case when id % 2 = 0 then 'positive' else 'negative' end, 0.3 + (id % 7) / 10.0,
        jsonb_build_object('quality_score', (id % 10) + 0.25), created_at + interval '40 days', 'rerun'
      from tracks where id % 3 = 0`;
    await sql`
      insert into analysis_results (track_id, analyzer_type, sentiment, confidence, analysis_data, created_at, model_version)
      select id, ${QWEN}, v.sentiment, 0.5, jsonb_build_object('quality_score', v.q), created_at + interval '80 days', 'tie'
      from tracks, (values ('neutral', 1.5), ('positive', 9.75)) v(sentiment, q) where id % 5 = 0`;
    await sql`
      insert into analysis_results (track_id, analyzer_type, sentiment, confidence, analysis_data, created_at, model_version)
      select id, ${QWEN}, 'positive', 0.99, '{"quality_score": 10}', created_at - interval '3 days', 'early'
      from tracks where id % 7 = 0`;
    await sql`
      insert into analysis_results (track_id, analyzer_type, sentiment, confidence, analysis_data, created_at, model_version)
      select id, ${QWEN}, 'positive', 0.99, '{"quality_score": 10}', null, 'timeless' from tracks where id % 11 = 0`;
    await sql`
      update tracks set created_at = null
      where id in (select min(id) from tracks group by artist having min(id) % 2 = 0)`;
    await sql`update tracks set spotify_data = spotify_data - 'popularity' where id % 13 = 0`;
  });
  afterAll(async () => {
    await db?.close();
  });

  it("every running feature, for every artist at instants before, between and exactly at its changes", async () => {
    const { sql } = db;
    const view = await getViewVersion(sql, "artist_stats", 1);
    const history = view?.compiled.point_in_time_history;
    if (!view || !history) throw new Error("artist_stats@1 has no compiled history");
    const fields = Object.keys(history.running);
    // What a removal cannot undo has no running form: those stay on the direct path.
    expect(fields).not.toContain("max_popularity");
    expect(fields).not.toContain("top_sentiment");
    expect(fields).toContain("avg_quality");
    const pgType = (name: string) => view.features.find((f) => f.name === name)?.pg_type as string;

    const [range] = await sql<{ first: Date; last: Date }[]>`
      select least((select min(created_at) from tracks), min(created_at)) as first, max(created_at) as last
      from analysis_results`;
    const changes = await sql<{ artist: string; at: Date }[]>`
      select t.artist, a.created_at as at from tracks t join analysis_results a on a.track_id = t.id
      where t.artist is not null and a.created_at is not null and t.id % 4 = 0`;
    const artists = (
      await sql<{ artist: string }[]>`select distinct artist from tracks where artist is not null`
    ).map((r) => r.artist);
    const rng = new Rng(11, 0, 0, 0);
    const next = () => rng.next();
    if (!range) throw new Error("no analyses");
    const first = range.first.getTime() - 30 * DAY;
    const span = range.last.getTime() + 120 * DAY - first;
    const pairs: { ids: string[]; asOf: number[] } = { ids: [], asOf: [] };
    const add = (artist: string, ms: number) => {
      pairs.ids.push(artist);
      pairs.asOf.push(ms * 1000);
    };
    for (const artist of artists) for (let i = 0; i < 20; i++) add(artist, first + next() * span);
    for (const c of changes) {
      add(c.artist, c.at.getTime());
      add(c.artist, c.at.getTime() - 1);
    }

    const direct = view.compiled.point_in_time;
    const expected = await sql.unsafe<Record<string, unknown>[]>(
      `select * from (${direct.text}) d order by artist, as_of`,
      bindParams(direct, { entity_ids: pairs.ids, as_of: pairs.asOf.map(formatTimestamp) }),
    );
    expect(expected.length).toBe(pairs.ids.length);
    // Every running feature, and subsets that need fewer analyses looked up at each change.
    const subsets = [
      fields,
      ["track_count", "avg_quality", "positive_share"],
      ["avg_joy", "tracks_with_lyrics"],
    ];
    for (const [n, subset] of subsets.entries()) {
      const target = {
        table: `history_under_test_${n}`,
        key: { name: "artist", pgType: "text" },
        fields: subset.map((field) => ({ field, pgType: pgType(field) })),
        pairs,
      };
      expect(historyServes(history, target)).toBe(true);
      await sql.unsafe(
        `create table ${target.table} (artist text, as_of timestamp, event_timestamp timestamp, ${target.fields
          .map((f) => `"${f.field}" ${f.pgType}`)
          .join(", ")})`,
      );
      await fillFromHistory(sql, history, target);
      const served = await sql.unsafe<Record<string, unknown>[]>(
        `select * from ${target.table} order by artist, as_of`,
      );
      expect(served.length).toBe(pairs.ids.length);
      let compared = 0;
      for (let i = 0; i < served.length; i++) {
        const got = served[i] as Record<string, unknown>;
        const want = expected[i] as Record<string, unknown>;
        expect(got.artist).toBe(want.artist);
        expect(got.as_of).toEqual(want.as_of);
        expect(got.event_timestamp, `event_timestamp of ${got.artist} at ${got.as_of}`).toEqual(
          want.event_timestamp,
        );
        for (const f of subset) {
          const [a, b] = [got[f], want[f]];
          const label = `${f} of ${got.artist} at ${(got.as_of as Date).toISOString()}`;
          if (typeof a === "number" && typeof b === "number") {
            expect(Math.abs(a - b), label).toBeLessThanOrEqual(1e-12 * Math.max(1, Math.abs(b)));
          } else expect(a, label).toEqual(b);
          compared++;
        }
      }
      expect(compared).toBe(served.length * subset.length);
      if (n > 0) continue;
      // Not vacuous: most pairs found an artist with tracks, some (before anything) none.
      expect(served.filter((r) => r.track_count === null).length).toBeGreaterThan(0);
      expect(served.filter((r) => (r.track_count as number) > 1).length).toBeGreaterThan(served.length / 2);
    }
  });

  it("track views computed once per change of each track give every training row what the row-by-row query gives", async () => {
    const { sql } = db;
    const features = [
      "track_profile@1:*",
      "qwen_analysis@2:*",
      "analyzer_consensus@1:*",
      "emotion_scores@1:*",
      "artist_stats@1:max_popularity",
      "artist_stats@1:avg_quality",
    ];
    const plan = await planTraining(standalonePlanSource(sql), { entity: "track", features });
    const queries = await loadPointInTime(sql, plan);
    const [range] = await sql<{ first: Date; last: Date }[]>`
      select min(created_at) as first, max(created_at) as last from analysis_results`;
    if (!range) throw new Error("no analyses");
    const tracks = (await sql<{ id: number }[]>`select id from tracks order by id limit 40`).map((r) => r.id);
    const rng = new Rng(5, 0, 0, 0);
    const next = () => rng.next();
    const rows = { ids: [] as number[], asOf: [] as number[] };
    const first = range.first.getTime() - 60 * DAY;
    const span = range.last.getTime() + 120 * DAY - first;
    for (let i = 0; i < 1_200; i++) {
      rows.ids.push(tracks[Math.floor(next() * tracks.length)] as number);
      rows.asOf.push(Math.round(first + next() * span) * 1000);
    }
    // Rows exactly at a change and a microsecond before it.
    const changes = await sql<{ id: number; at: Date }[]>`
      select track_id as id, created_at as at from analysis_results
      where track_id = any(${tracks}) and created_at is not null limit 60`;
    for (const c of changes) {
      rows.ids.push(c.id, c.id);
      rows.asOf.push(c.at.getTime() * 1000, c.at.getTime() * 1000 - 1);
    }
    const tables = await computePointInTime(sql, plan, queries, { rows });
    try {
      const trackViews = [...queries.keys()].filter((s) => !(s.kind === "view" && s.via));
      // Not vacuous: the views were kept as states (once per change), not a row per upload.
      expect(trackViews.filter((s) => tables.isStates(s)).length).toBeGreaterThan(2);
      for (const [source, { rows: direct }] of queries) {
        if (source.kind === "view" && source.via) continue;
        const served = await sql.unsafe<Record<string, unknown>[]>(rowValuesSql(plan, tables, source));
        const expected = await sql.unsafe<Record<string, unknown>[]>(
          direct.text,
          bindParams(direct, { entity_ids: rows.ids, as_of: rows.asOf.map(formatTimestamp) }),
        );
        expect(served.length, source.name).toBe(rows.ids.length);
        for (let i = 0; i < served.length; i++) {
          const { ord, ...got } = served[i] as Record<string, unknown>;
          const want = expected[i] as Record<string, unknown>;
          expect(Number(ord)).toBe(Number(want.ord));
          for (const [column, value] of Object.entries(got)) {
            expect(value, `${source.name} ${column} of row ${i}`).toEqual(want[column]);
          }
        }
      }
    } finally {
      await tables.drop();
    }
  });
});
