import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  type DatasetPlan,
  planTraining,
  standalonePlanSource,
} from "../../../src/datasets/plan/dataset-plan";
import { refreshStoredHistory, storedHistory } from "../../../src/datasets/point-in-time/stored-history";
import type { Database, Sql } from "../../../src/db/database";
import { pooled } from "../../../src/definitions/hnsw-build";
import { materializeAll, materializeTarget } from "../../../src/materialize/runner";
import { reservedSession } from "../../../src/materialize/session";
import { pruneSourceChanges } from "../../../src/materialize/source-changes";
import { listTargets } from "../../../src/materialize/target";
import {
  ARTIST_FEATURES,
  ARTIST_VIEW_TABLE,
  artistValues,
  fromCorpus,
  type TrainingRows,
} from "../../support/artist-history";
import { preparedDatabase } from "../../support/prepared-data";
import { randomTrainingRows } from "../../support/training-rows";
import { SEED } from "../support";

const FEATURES = ARTIST_FEATURES;
const VIEW_TABLE = ARTIST_VIEW_TABLE;

const rounded = (rows: readonly Record<string, unknown>[]) =>
  rows.map((row) =>
    Object.fromEntries(
      Object.entries(row).map(([k, v]) => [k, typeof v === "number" ? Number(v.toPrecision(12)) : v]),
    ),
  );

describe("an artist view's history is kept between training sets, and follows every change to the corpus", () => {
  let db: Database;
  let plan: DatasetPlan;
  let rows: TrainingRows;
  let artist: string;

  beforeAll(async () => {
    db = await preparedDatabase({ scale: 0.01, seed: SEED });
    const { sql } = db;
    // The embedded default's runs keep a history only once one is built (a server's build it).
    const [view] = await listTargets(sql, { name: "artist_stats", version: 1 });
    if (!view?.history) throw new Error("artist_stats@1 has no history");
    await refreshStoredHistory(pooled(sql), view.history, view);
    plan = await planTraining(standalonePlanSource(sql), { entity: "track", features: FEATURES });
    const tracks = await sql<{ id: number; artist: string }[]>`
      select id, artist from tracks where artist in (select artist from tracks where artist is not null
        group by artist order by count(*) desc, artist limit 3) order by id`;
    artist = tracks[0]?.artist as string;
    rows = await randomTrainingRows(
      sql,
      tracks.map((t) => t.id),
      300,
      5,
    );
  });
  afterAll(async () => {
    await db?.close();
  });

  it("a kept history: a training set reads it and sums no artist's history again, with the same values", async () => {
    expect(await storedHistory(db.sql, VIEW_TABLE)).toBeDefined();
    const stored = await artistValues(db.sql, plan, rows);
    const computed = await fromCorpus(db.sql, plan, rows);
    expect(computed.summed, "not vacuous: from the corpus, the history is summed").toBeGreaterThan(0);
    expect(stored.summed).toBe(0);
    expect(stored.values.length).toBeGreaterThan(0);
    expect(stored.values).toEqual(computed.values);
  });

  it("a back-dated analysis is seen at once (its artist summed from the corpus), then from the history the view's next run refreshes", async () => {
    const { sql } = db;
    const [track] = await sql<{ id: number; created_at: Date }[]>`
      select id, created_at from tracks where artist = ${artist} order by id limit 1`;
    if (!track) throw new Error("no track");
    await sql`
      insert into analysis_results (track_id, analyzer_type, sentiment, confidence, analysis_data, created_at, model_version)
      values (${track.id}, 'qwen-3-4b-fp8', 'positive', 0.99, ${sql.json({ quality_score: 0.01 })},
        ${new Date(track.created_at.getTime() + 60_000)}, 'back-dated')`;
    const before = await artistValues(sql, plan, rows);
    const computed = await fromCorpus(sql, plan, rows);
    expect(before.values).toEqual(computed.values);
    expect(before.summed, "the changed artist, and only it, from the corpus").toBeGreaterThan(0);

    const snapshot = (await storedHistory(sql, VIEW_TABLE))?.snapshot;
    await materializeAll(sql);
    expect((await storedHistory(sql, VIEW_TABLE))?.snapshot).not.toBe(snapshot);
    const after = await artistValues(sql, plan, rows);
    expect(after.summed).toBe(0);
    expect(after.values).toEqual(computed.values);
  });

  it("a server's run, on a reserved connection, builds the history whole and brings it up to date", async () => {
    const { sql } = db;
    const [view] = (await listTargets(sql, { name: "artist_stats", version: 1 })).filter((t) => t.history);
    if (!view?.history) throw new Error("artist_stats@1 has no history");
    await sql`delete from rapfs_stored_histories where view_table = ${VIEW_TABLE}`;
    const reserved = await sql.reserve();
    try {
      const session = reservedSession(reserved as unknown as Sql);
      await refreshStoredHistory(session, view.history, view);
      // The embedded database has one connection, this one: everything goes through it meanwhile.
      const built = await storedHistory(session.sql, VIEW_TABLE);
      expect(built?.keys).toBeGreaterThan(0);
      await session.sql`update tracks set artist = artist
        where id = (select min(id) from tracks where artist = ${artist})`;
      await refreshStoredHistory(session, view.history, view);
      expect((await storedHistory(session.sql, VIEW_TABLE))?.snapshot).not.toBe(built?.snapshot);
    } finally {
      reserved.release();
    }
    const after = await artistValues(sql, plan, rows);
    expect(after.summed).toBe(0);
    expect(after.values).toEqual((await fromCorpus(sql, plan, rows)).values);
  });

  it("most artists changed: built again whole, but not sooner than ten times its last build's time", async () => {
    const { sql } = db;
    const [view] = (await listTargets(sql, { name: "artist_stats", version: 1 })).filter((t) => t.history);
    if (!view?.history) throw new Error("artist_stats@1 has no history");
    const session = {
      sql,
      transaction: <T>(mode: string, work: (tx: Sql) => Promise<T>) =>
        sql.begin(mode, (tx) => work(tx as unknown as Sql)) as Promise<T>,
    };
    await sql`update rapfs_stored_histories set build_ms = 3600000, built_at = now() where view_table = ${VIEW_TABLE}`;
    const before = await storedHistory(sql, VIEW_TABLE);
    await sql`update tracks set artist = artist`;
    await refreshStoredHistory(session, view.history, view);
    expect((await storedHistory(sql, VIEW_TABLE))?.snapshot, "resting: not rebuilt").toBe(before?.snapshot);
    const resting = await artistValues(sql, plan, rows);
    expect(resting.summed, "every artist asked for, from the corpus").toBeGreaterThan(0);
    expect(resting.values).toEqual((await fromCorpus(sql, plan, rows)).values);

    await sql`update rapfs_stored_histories set build_ms = 0 where view_table = ${VIEW_TABLE}`;
    await refreshStoredHistory(session, view.history, view);
    expect((await storedHistory(sql, VIEW_TABLE))?.snapshot).not.toBe(before?.snapshot);
    expect((await artistValues(sql, plan, rows)).summed).toBe(0);
  });

  it("a refresh that fails leaves the view's run done, says why, and answers stay the corpus's", async () => {
    const { sql } = db;
    const [view] = await listTargets(sql, { name: "artist_stats", version: 1 });
    if (!view) throw new Error("artist_stats@1 is not applied");
    const before = await storedHistory(sql, VIEW_TABLE);
    await sql`update tracks set artist = artist where id = (select min(id) from tracks where artist = ${artist})`;
    await sql`create function refuse_history_writes() returns trigger language plpgsql as $$
      begin raise exception 'history writes refused'; end $$`;
    await sql.unsafe(
      `create trigger refuse before insert on ${before?.table} execute function refuse_history_writes()`,
    );
    try {
      const run = await materializeTarget(sql, view);
      expect(run.historyError).toMatch(/history writes refused/);
      expect((await storedHistory(sql, VIEW_TABLE))?.snapshot, "the older snapshot kept").toBe(
        before?.snapshot,
      );
      const served = await artistValues(sql, plan, rows);
      expect(served.values).toEqual((await fromCorpus(sql, plan, rows)).values);
    } finally {
      await sql.unsafe(`drop trigger refuse on ${before?.table}`);
      await sql`drop function refuse_history_writes()`;
    }
  });

  it("corpus changes the history has not seen are kept until it has", async () => {
    const { sql } = db;
    await sql`update tracks set artist = artist where id = (select min(id) from tracks where artist = ${artist})`;
    // No view left to see it: only the stored history keeps the change.
    await pruneSourceChanges(sql, []);
    const [kept] = await sql<{ n: number }[]>`select count(*)::int as n from rapfs_source_changes`;
    expect(kept?.n).toBeGreaterThan(0);
    await materializeAll(sql);
    await pruneSourceChanges(sql, []);
    const [left] = await sql<{ n: number }[]>`select count(*)::int as n from rapfs_source_changes`;
    expect(left?.n).toBe(0);
  });

  it("new analyses for every artist while the history rests: rows before them read the history, only rows after them are computed", async () => {
    const { sql } = db;
    const [view] = (await listTargets(sql, { name: "artist_stats", version: 1 })).filter((t) => t.history);
    if (!view?.history) throw new Error("artist_stats@1 has no history");
    const session = pooled(sql);
    await sql`update rapfs_stored_histories set build_ms = 0 where view_table = ${VIEW_TABLE}`;
    await refreshStoredHistory(session, view.history, view);
    await sql`update rapfs_stored_histories set build_ms = 3600000, built_at = now() where view_table = ${VIEW_TABLE}`;
    const before = await storedHistory(sql, VIEW_TABLE);
    const later = Math.max(...rows.asOf) + 86_400_000_000;
    await sql`
      insert into analysis_results (track_id, analyzer_type, sentiment, confidence, analysis_data, created_at, model_version)
      select id, 'qwen-3-4b-fp8', 'negative', 0.5, ${sql.json({ quality_score: 0.02 })},
        ${new Date(later / 1000)}, 'later' from tracks`;
    await refreshStoredHistory(session, view.history, view);
    expect((await storedHistory(sql, VIEW_TABLE))?.snapshot, "resting: not rebuilt").toBe(before?.snapshot);

    const after = rows.ids.slice(0, 3);
    const asked = {
      ids: [...rows.ids, ...after],
      asOf: [...rows.asOf, ...after.map(() => later + 60_000_000)],
    };
    const served = await artistValues(sql, plan, asked);
    const computed = await fromCorpus(sql, plan, asked);
    expect(served.summed, "no artist's history summed again").toBe(0);
    // TrainingRows after the changes are aggregated each on its own: a float average in another order.
    expect(rounded(served.values)).toEqual(rounded(computed.values));
    const moved = served.values.filter((v) => Number(v.as_of) > later / 1000);
    expect(moved.length, "not vacuous: rows after the new analyses").toBeGreaterThan(0);

    await sql`update rapfs_stored_histories set build_ms = 0 where view_table = ${VIEW_TABLE}`;
    await refreshStoredHistory(session, view.history, view);
  });
});
