import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Sql } from "../../src/db/database";
import { DomainError } from "../../src/errors";
import { ingestBatch } from "../../src/ingest";
import { materializeAll } from "../../src/materialize/runner";
import { applyDefinitions } from "../../src/registry/apply";
import { definitionsDir, ENTITIES } from "../definitions/helpers";
import { openBareTestDatabase } from "../support/databases";
import { seedPlainCorpus } from "../support/plain-corpus";

// A double the cast takes but an average cannot: avg sums the squares of what it reads in double
// precision, so one analysis at 1e200 failed every later run of the artist view, for good.
const ANALYZER = "qwen-3-4b-fp8";
const HUGE = 1e200;
const ARTIST_SCORES = `kind: feature_view
name: artist_scores
version: 1
entity: artist
description: artist scores
owner: tests
source: { from: tracks, pick: aggregate, join_latest: { q: ${ANALYZER} } }
features:
  - { name: avg_joy, type: float, expr: "avg((q.analysis_data->>'joy')::float)", description: avg }
  - { name: avg_popularity, type: float, expr: "avg((t.spotify_data->>'popularity')::float)", description: pop }
  - { name: explicit_share, type: float, expr: "avg(((t.spotify_data->>'explicit')::boolean)::int)", description: e }
  - name: joy_spread
    type: float
    expr: "max((q.analysis_data->>'joy')::float) - min((q.analysis_data->>'joy')::float)"
    description: spread
`;

for (const topology of ["embedded", "server"] as const) {
  describe(`an analysis whose value an artist view's average cannot sum (${topology} PostgreSQL)`, () => {
    let sql: Sql;
    let close: () => Promise<void>;
    let defs: Awaited<ReturnType<typeof definitionsDir>>;

    beforeAll(async () => {
      ({ sql, close } = await openBareTestDatabase(topology));
      await seedPlainCorpus(sql, 34);
      await sql`update analysis_results set analysis_data = jsonb_build_object('joy', 0.25)`;
      defs = await definitionsDir({ "entities.yaml": ENTITIES, "a.yaml": ARTIST_SCORES });
      await applyDefinitions(sql, defs.dir);
      await materializeAll(sql);
    });
    afterAll(async () => {
      await close?.();
      await defs?.remove();
    });

    const avgJoy = async (artist: string) =>
      (await sql`select avg_joy from fv_artist_scores_v1 where artist = ${artist}`)[0]?.avg_joy;

    it("is refused at the door, with the bound it passed", async () => {
      const sent = ingestBatch(sql, {
        analyses: [{ track_id: 1, analyzer_type: ANALYZER, analysis_data: { joy: HUGE } }],
      });
      const error = (await sent.catch((e: unknown) => e)) as DomainError;
      expect(error).toBeInstanceOf(DomainError);
      expect(error.errors?.[0]).toMatchObject({ code: "unreadable_by_view" });
      expect(error.errors?.[0]?.detail).toContain("within ±1.0e+150");
      // Still a number a view reads: one at the bound is taken.
      await ingestBatch(sql, {
        analyses: [{ track_id: 1, analyzer_type: ANALYZER, analysis_data: { joy: 1e150 } }],
      });
    });

    it("a track whose spotify_data the view casts and cannot is refused at the door; nothing is written", async () => {
      const before = await sql`select count(*)::int as n from tracks`;
      const bad = [
        [{ popularity: "high" }, "popularity", "must be a number"],
        [{ popularity: HUGE }, "popularity", "within ±1.0e+150"],
        [{ explicit: "maybe" }, "explicit", "must be a boolean"],
      ] as const;
      for (const [spotify, key, says] of bad) {
        const sent = ingestBatch(sql, {
          tracks: [{ title: "t", artist: "artist 1", spotify_data: spotify }],
        });
        const error = (await sent.catch((e: unknown) => e)) as DomainError;
        expect(error, key).toBeInstanceOf(DomainError);
        expect(error.errors).toEqual([
          expect.objectContaining({ path: ["tracks", 0, "spotify_data", key], code: "unreadable_by_view" }),
        ]);
        expect(error.errors?.[0]?.detail).toContain(says);
        expect(error.errors?.[0]?.detail).toContain("artist_scores@1 reads t.spotify_data->>");
      }
      expect((await sql`select count(*)::int as n from tracks`)[0]?.n).toBe(before[0]?.n);
      // What the view reads as it casts is taken, and the view's next run goes on.
      await ingestBatch(sql, {
        tracks: [
          { title: "t", artist: "artist 1", spotify_data: { popularity: "55", explicit: "yes", album: {} } },
        ],
      });
      await materializeAll(sql);
    });

    it("written straight into analysis_results, is skipped and reported; the view's runs go on", async () => {
      // Tracks 2 and 19 share 'artist 2', 3 and 20 'artist 3' (plain-corpus: artist i % 17).
      await sql`insert into analysis_results (track_id, analyzer_type, analysis_data, created_at)
        values (2, ${ANALYZER}, ${sql.json({ joy: HUGE })}, clock_timestamp() at time zone 'UTC'),
               (3, ${ANALYZER}, ${sql.json({ joy: 0.75 })}, clock_timestamp() at time zone 'UTC')`;
      const [run] = await materializeAll(sql);
      expect(run?.quarantine.found.map((f) => [f.trackId, f.feature])).toEqual([[2, "avg_joy"]]);
      expect(await avgJoy("artist 3")).toBeCloseTo(0.5, 10);
      expect(await avgJoy("artist 2")).toBeCloseTo(0.25, 10);
      const [full] = await materializeAll(sql, { full: true });
      expect(full?.quarantine.total).toBe(1);
    });
  });
}
