import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Database } from "../../src/db/database";
import { bindParams } from "../../src/definitions/compile/params";
import { FreshnessScheduler } from "../../src/freshness/scheduler";
import { silentLogger } from "../../src/log/logger";
import { materializeAll, type RunResult } from "../../src/materialize/runner";
import { pruneSourceChanges } from "../../src/materialize/source-changes";
import { listTargets } from "../../src/materialize/target";
import { getViewVersion } from "../../src/registry";
import { corpusDatabase } from "../materialize/corpus";

const QWEN = "qwen-3-4b-fp8";

/** Embedded PGlite: what the scheduler of `rapfs start` does there (no LISTEN: it polls). */
describe("change-driven materialization on the embedded database", () => {
  let db: Database;
  let scheduler: FreshnessScheduler;
  const followed: RunResult[][] = [];

  const served = async (trackId: number) =>
    (await db.sql`select sentiment from fv_qwen_analysis_v2 where track_id = ${trackId}`)[0]?.sentiment;
  /** Whether the rows the view holds are the rows a full recompute gives now. */
  const matchesRecompute = async (name: string, version: number) => {
    const view = await getViewVersion(db.sql, name, version);
    const select = view?.compiled.select;
    if (!view || !select) throw new Error(`${name}@${version} is not applied`);
    const expected = await db.sql.unsafe(`${select.text} order by 1`, bindParams(select) as never[]);
    const held = await db.sql.unsafe(`select * from ${view.table} order by 1`);
    // Aggregates summed in another order (per-track inputs) differ in the last float digits.
    const rounded = (_: string, value: unknown) =>
      typeof value === "number" && !Number.isInteger(value) ? Number(value.toPrecision(12)) : value;
    const text = (rows: readonly Record<string, unknown>[]) =>
      rows.map(({ materialized_at: _, ...rest }) => JSON.stringify(rest, rounded)).join("\n");
    return text(held) === text(expected);
  };
  async function analyse(trackId: number, sentiment: string, createdAt?: string) {
    await db.sql`
      insert into analysis_results (track_id, analyzer_type, sentiment, confidence, themes, analysis_data,
        created_at, complexity_score, processing_time_ms, model_version)
      values (${trackId}, ${QWEN}, ${sentiment}, 0.9, '["fresh"]',
        ${db.sql.json({ mood: "Calm", energy: 0.4, themes: ["fresh"], longevity: 0.5, sentiment, quality_score: 7, viral_potential: 0.3, commercial_potential: 0.4 })},
        coalesce(${createdAt ?? null}::timestamp, clock_timestamp() at time zone 'UTC'), 0.5, 900, 'qwen-3-4b-fp8@9.1')`;
  }
  const tracks = async () =>
    (
      await db.sql<{ track_id: number }[]>`select track_id from fv_qwen_analysis_v2 order by track_id limit 3`
    ).map((r) => r.track_id);
  const runOf = (runs: RunResult[], view: string) => runs.find((r) => `${r.name}@${r.version}` === view);

  beforeAll(async () => {
    db = await corpusDatabase(29);
    await materializeAll(db.sql);
    scheduler = new FreshnessScheduler({
      sql: db.sql,
      logger: silentLogger,
      defaultObjectiveSeconds: 60,
      pollMs: 60_000,
      minIntervalMs: 0,
      afterRuns: async (runs) => {
        followed.push(runs);
      },
    });
  });
  afterAll(async () => {
    await scheduler?.stop();
    await db?.close();
  });

  it("finds nothing to do when every view serves every change", async () => {
    expect(await scheduler.tick()).toEqual([]);
    expect(scheduler.views().every((v) => v.pendingChanges === 0 && v.status === "fresh")).toBe(true);
    expect(scheduler.views().find((v) => v.view === "qwen_analysis@2")?.objectiveSeconds).toBe(30);
  });

  it("serves an analysis inserted behind its back after one incremental run of the views that read it", async () => {
    const [track] = (await tracks()) as [number];
    await analyse(track, "Fresh");
    const runs = await scheduler.tick();
    expect(runOf(runs, "qwen_analysis@2")).toMatchObject({ mode: "incremental", rowsWritten: 1 });
    expect(runOf(runs, "qwen_analysis@2")?.keys).toEqual([String(track)]);
    // Views that read no qwen analysis were left alone.
    expect(runOf(runs, "emotion_scores@1")).toBeUndefined();
    expect(await served(track)).toMatch(/^fresh$/i);
    expect(followed.at(-1)).toBe(runs);
    expect(scheduler.views().find((v) => v.view === "qwen_analysis@2")).toMatchObject({
      pendingChanges: 0,
      lagSeconds: 0,
      status: "fresh",
    });
    expect(await scheduler.tick()).toEqual([]);
  });

  it("stores the watermark exactly (microseconds, no shift) whatever the process's time zone", async () => {
    const zone = process.env.TZ;
    process.env.TZ = "America/New_York";
    try {
      const [, , track] = (await tracks()) as [number, number, number];
      await analyse(track, "Zoned");
      expect(runOf(await scheduler.tick(), "qwen_analysis@2")?.mode).toBe("incremental");
      const [row] = await db.sql<{ stored: string; newest: string }[]>`
        select (select watermark::text from rapfs_feature_views where name = 'qwen_analysis' and version = 2) as stored,
          (select max(created_at)::text from analysis_results) as newest`;
      expect(row?.stored).toBe(row?.newest);
      expect(await served(track)).toMatch(/^zoned$/i);
    } finally {
      process.env.TZ = zone;
    }
  });

  it("serves a back-dated analysis with an incremental run over its track and artist, not a rebuild", async () => {
    const [, track] = (await tracks()) as [number, number];
    // The newest analysis of its track on the day it is dated: the watermark alone looks past it.
    await analyse(track, "Backdated", "2025-09-20 00:00:00");
    const runs = await scheduler.tick();
    expect(runOf(runs, "qwen_analysis@2")?.mode).toBe("incremental");
    expect(runOf(runs, "qwen_analysis@2")?.keys).toContain(String(track));
    expect(runOf(runs, "artist_stats@1")?.mode).toBe("incremental");
    expect(await matchesRecompute("qwen_analysis", 2)).toBe(true);
    expect(await matchesRecompute("artist_stats", 1)).toBe(true);
  });

  it("rebuilds a view that newly sees back-dated rows whose tracks were not noted (a change noted before migration 0016)", async () => {
    const [, track] = (await tracks()) as [number, number];
    await analyse(track, "Backdated again", "2025-09-21 00:00:00");
    // What the trigger of migration 0015 wrote for a statement of more than 10,000 rows.
    await db.sql`update rapfs_source_changes set track_ids = null where id = (select max(id) from rapfs_source_changes)`;
    const runs = await scheduler.tick();
    expect(runOf(runs, "qwen_analysis@2")?.mode).toBe("full");
    expect(await matchesRecompute("qwen_analysis", 2)).toBe(true);
  });

  /** The run of `view` the last tick made, as the runs table records it. */
  const recorded = async (runs: RunResult[], view: string) => {
    const run = runOf(runs, view);
    if (!run) return undefined;
    const [row] = await db.sql<{ mode: string; rows_written: number; rows_removed: number | null }[]>`
      select mode, rows_written::int, rows_removed::int from rapfs_materialization_runs where id = ${run.runId}`;
    return row;
  };
  const trackViews = ["qwen_analysis@2", "emotion_scores@1", "track_profile@1", "track_artist@1"];
  const everyViewMatches = async () => {
    for (const view of [...trackViews, "artist_stats@1", "analyzer_consensus@1"]) {
      const [name, version] = view.split("@") as [string, string];
      expect(`${view} ${await matchesRecompute(name, Number(version))}`).toBe(`${view} true`);
    }
  };

  it("recomputes only the track of an updated analysis, and its artist", async () => {
    const [, , track] = (await tracks()) as [number, number, number];
    await db.sql`
      update analysis_results set sentiment = 'Edited', created_at = '2025-01-02 00:00:00'
      where id = (select max(id) from analysis_results where track_id = ${track} and analyzer_type = ${QWEN})`;
    const runs = await scheduler.tick();
    expect(await recorded(runs, "qwen_analysis@2")).toEqual({
      mode: "incremental",
      rows_written: 1,
      rows_removed: 0,
    });
    expect(runOf(runs, "qwen_analysis@2")?.keys).toEqual([String(track)]);
    expect(await recorded(runs, "artist_stats@1")).toEqual({
      mode: "incremental",
      rows_written: 1,
      rows_removed: 0,
    });
    // Views that read no qwen analysis were left alone, however the update was noted.
    expect(runOf(runs, "emotion_scores@1")).toBeUndefined();
    expect(await matchesRecompute("qwen_analysis", 2)).toBe(true);
    expect(await matchesRecompute("artist_stats", 1)).toBe(true);
  });

  it("recomputes only the track of a deleted analysis, and its artist", async () => {
    const [track] = (await tracks()) as [number];
    await db.sql`delete from analysis_results where track_id = ${track} and sentiment = 'Fresh'`;
    const runs = await scheduler.tick();
    expect(await recorded(runs, "qwen_analysis@2")).toEqual({
      mode: "incremental",
      rows_written: 1,
      rows_removed: 0,
    });
    expect(await recorded(runs, "artist_stats@1")).toEqual({
      mode: "incremental",
      rows_written: 1,
      rows_removed: 0,
    });
    expect(await served(track)).not.toMatch(/^fresh$/i);
    expect(await matchesRecompute("qwen_analysis", 2)).toBe(true);
    expect(await matchesRecompute("artist_stats", 1)).toBe(true);
  });

  it("removes a track's row from a view when its last analysis is deleted, and no other", async () => {
    const [track] = (await tracks()) as [number];
    const rowsBefore = runOf(await scheduler.tick(), "emotion_scores@1");
    expect(rowsBefore).toBeUndefined();
    await db.sql`delete from analysis_results where track_id = ${track} and analyzer_type = 'emotion-distilroberta'`;
    const runs = await scheduler.tick();
    expect(await recorded(runs, "emotion_scores@1")).toEqual({
      mode: "incremental",
      rows_written: 0,
      rows_removed: 1,
    });
    expect(runOf(runs, "emotion_scores@1")?.removedKeys).toEqual([String(track)]);
    const [row] = await db.sql<{ n: number; count: number }[]>`
      select (select count(*)::int from fv_emotion_scores_v1 where track_id = ${track}) as n,
        (select row_count::int from rapfs_materialization_runs where id = ${runOf(runs, "emotion_scores@1")?.runId ?? 0}) as count`;
    expect(row?.n).toBe(0);
    expect(row?.count).toBe((await db.sql`select count(*)::int as n from fv_emotion_scores_v1`)[0]?.n);
    expect(await matchesRecompute("emotion_scores", 1)).toBe(true);
  });

  it("removes a deleted track from every track view and recomputes its artist alone", async () => {
    const [, track] = (await tracks()) as [number, number];
    const [{ artist } = { artist: "" }] = await db.sql<
      { artist: string }[]
    >`select artist from tracks where id = ${track}`;
    await db.sql.begin(async (tx) => {
      await tx`delete from analysis_results where track_id = ${track}`;
      await tx`delete from tracks where id = ${track}`;
    });
    const runs = await scheduler.tick();
    for (const view of trackViews) {
      expect(`${view} ${JSON.stringify(await recorded(runs, view))}`).toBe(
        `${view} ${JSON.stringify({ mode: "incremental", rows_written: 0, rows_removed: 1 })}`,
      );
      expect(runOf(runs, view)?.removedKeys).toEqual([String(track)]);
    }
    expect(await recorded(runs, "artist_stats@1")).toEqual({
      mode: "incremental",
      rows_written: 1,
      rows_removed: 0,
    });
    expect(runOf(runs, "artist_stats@1")?.keys).toEqual([artist]);
    await everyViewMatches();
  });

  it("removes an artist whose last track is deleted, and follows a track moved to another artist", async () => {
    const [track] = (await tracks()) as [number];
    const [{ artist } = { artist: "" }] = await db.sql<
      { artist: string }[]
    >`select artist from tracks where id = ${track}`;
    await db.sql`update tracks set artist = 'Nobody Else' where id = ${track}`;
    let runs = await scheduler.tick();
    expect(await recorded(runs, "artist_stats@1")).toEqual({
      mode: "incremental",
      rows_written: 2,
      rows_removed: 0,
    });
    expect(await recorded(runs, "track_artist@1")).toEqual({
      mode: "incremental",
      rows_written: 1,
      rows_removed: 0,
    });
    await everyViewMatches();
    await db.sql.begin(async (tx) => {
      await tx`delete from analysis_results where track_id = ${track}`;
      await tx`delete from tracks where id = ${track}`;
    });
    runs = await scheduler.tick();
    expect(await recorded(runs, "artist_stats@1")).toEqual({
      mode: "incremental",
      rows_written: 0,
      rows_removed: 1,
    });
    expect(runOf(runs, "artist_stats@1")?.removedKeys).toEqual(["Nobody Else"]);
    expect(artist).not.toBe("Nobody Else");
    await everyViewMatches();
  });

  it("rebuilds a view when a statement reaches more of its tracks than recomputing them by key pays for", async () => {
    const [{ n } = { n: 0 }] = await db.sql<
      { n: number }[]
    >`select count(*)::int as n from fv_emotion_scores_v1`;
    // Every emotion analysis of the first half of the tracks, back-dated by a second.
    await db.sql`
      update analysis_results set created_at = created_at - interval '1 second'
      where analyzer_type = 'emotion-distilroberta' and track_id in (
        select track_id from fv_emotion_scores_v1 order by track_id limit ${Math.ceil(n / 2)})`;
    const runs = await scheduler.tick();
    expect(runOf(runs, "emotion_scores@1")?.mode).toBe("full");
    expect(await matchesRecompute("emotion_scores", 1)).toBe(true);
  });

  it("forgets the changes every view and stored history has seen", async () => {
    // The artist history rests after a whole build (most of this small corpus's artists changed):
    // let it build again, so it has seen every change too.
    await db.sql`update rapfs_stored_histories set build_ms = 0`;
    await materializeAll(db.sql);
    await pruneSourceChanges(db.sql, await listTargets(db.sql));
    expect((await db.sql`select count(*)::int as n from rapfs_source_changes`)[0]?.n).toBe(0);
  });
}, 60_000);
