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

  it("rebuilds a view that newly sees back-dated rows whose tracks were not noted (over 10,000 in a statement)", async () => {
    const [, track] = (await tracks()) as [number, number];
    await analyse(track, "Backdated again", "2025-09-21 00:00:00");
    // What the trigger writes for a statement of more than 10,000 rows.
    await db.sql`update rapfs_source_changes set track_ids = null where id = (select max(id) from rapfs_source_changes)`;
    const runs = await scheduler.tick();
    expect(runOf(runs, "qwen_analysis@2")?.mode).toBe("full");
    expect(await matchesRecompute("qwen_analysis", 2)).toBe(true);
  });

  it("rebuilds the views over analyses when one is deleted", async () => {
    const [track] = (await tracks()) as [number];
    await db.sql`delete from analysis_results where track_id = ${track} and sentiment = 'Fresh'`;
    const runs = await scheduler.tick();
    expect(runOf(runs, "qwen_analysis@2")?.mode).toBe("full");
    expect(await served(track)).not.toMatch(/^fresh$/i);
    expect(await matchesRecompute("qwen_analysis", 2)).toBe(true);
  });

  it("forgets the changes every view has seen", async () => {
    await pruneSourceChanges(db.sql, await listTargets(db.sql));
    expect((await db.sql`select count(*)::int as n from rapfs_source_changes`)[0]?.n).toBe(0);
  });
}, 60_000);
