import postgres from "postgres";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Sql } from "../../src/db/database";
import { SOURCE_CHANGES_CHANNEL } from "../../src/db/source-writes";
import { FreshnessScheduler } from "../../src/freshness/scheduler";
import { silentLogger } from "../../src/log/logger";
import { materializeAll, materializeIfIdle, type RunResult } from "../../src/materialize/runner";
import { KEYED_COST_PER_TRACK, pendingChanges } from "../../src/materialize/source-changes";
import { listTargets, type MaterializeTarget } from "../../src/materialize/target";
import { applyDefinitions } from "../../src/registry/apply";
import { eventually } from "../access-http/processes";
import { definitionsDir, ENTITIES, view } from "../definitions/helpers";
import { createServerTestDatabase } from "../support/databases";
import { seedPlainCorpus } from "../support/plain-corpus";

const TRACKS = 200;

/**
 * Change-driven materialization on a PostgreSQL server, where the platform writes analyses
 * behind rapfs's back with plain SQL, and several rapfs processes share the work.
 */
describe("freshness on a PostgreSQL server", () => {
  let database: Awaited<ReturnType<typeof createServerTestDatabase>>;
  let pools: Sql[];
  let defs: Awaited<ReturnType<typeof definitionsDir>>;
  const schedulers: FreshnessScheduler[] = [];
  const runs: RunResult[] = [];

  function scheduler(sql: Sql, pollMs: number): FreshnessScheduler {
    const s = new FreshnessScheduler({
      sql,
      logger: silentLogger,
      defaultObjectiveSeconds: 30,
      pollMs,
      minIntervalMs: 0,
      listen: async (onChange) => (await sql.listen(SOURCE_CHANGES_CHANNEL, onChange)).unlisten,
      afterRuns: async (done) => {
        runs.push(...done);
      },
    });
    schedulers.push(s);
    return s;
  }
  const served = async (trackId: number) =>
    (await (pools[0] as Sql)`select sentiment from fv_labels_v1 where track_id = ${trackId}`)[0]?.sentiment;
  const analyse = (sql: Sql, trackId: number, sentiment: string) =>
    sql`insert into analysis_results (track_id, analyzer_type, sentiment, confidence, created_at)
        values (${trackId}, 'qwen-3-4b-fp8', ${sentiment}, 0.7, clock_timestamp() at time zone 'UTC')`;

  beforeAll(async () => {
    database = await createServerTestDatabase();
    pools = [0, 1, 2].map(() => postgres(database.url, { max: 4, onnotice: () => {} }));
    await seedPlainCorpus(pools[0] as Sql, TRACKS);
    defs = await definitionsDir({
      "entities.yaml": ENTITIES,
      "v.yaml": view("labels", 1, ["sentiment: string = a.sentiment"]).replace(
        "owner: tests\n",
        "owner: tests\nfreshness: 5s\n",
      ),
    });
    await applyDefinitions(pools[0] as Sql, defs.dir);
    await materializeAll(pools[0] as Sql);
  });
  afterAll(async () => {
    await Promise.all(schedulers.map((s) => s.stop()));
    await Promise.all((pools ?? []).map((p) => p.end()));
    await database?.drop();
    await defs?.remove();
  });

  it("serves an analysis written with SQL behind its back, told by NOTIFY (no polling)", async () => {
    const s = scheduler(pools[0] as Sql, 600_000);
    await s.start();
    await analyse(pools[1] as Sql, 1, "notified");
    await eventually(async () => expect(await served(1)).toBe("notified"), 20_000);
    expect(s.views()[0]).toMatchObject({ view: "labels@1", objectiveSeconds: 5 });
    await s.stop();
  });

  it("catches up by polling when the LISTEN connection is killed and the notification lost", async () => {
    const s = scheduler(pools[0] as Sql, 500);
    await s.start();
    const killed = await (pools[2] as Sql)`
      select pg_terminate_backend(pid) as done from pg_stat_activity
      where datname = current_database() and query ilike 'listen%'`;
    expect(killed.length).toBeGreaterThan(0);
    await analyse(pools[1] as Sql, 2, "polled");
    await eventually(async () => expect(await served(2)).toBe("polled"), 20_000);
    await s.stop();
  });

  it("serves a row that a writer which skipped the source-writes lock commits under the watermark, by its track", async () => {
    const [a, b] = pools as [Sql, Sql];
    const s = scheduler(a, 600_000);
    // The late row is stamped first and committed last: an incremental run past the later row
    // would never look at it again.
    const late = a.reserve();
    const conn = await late;
    await conn`begin`;
    await conn`insert into analysis_results (track_id, analyzer_type, sentiment, confidence, created_at)
               values (3, 'qwen-3-4b-fp8', 'late', 0.7, clock_timestamp() at time zone 'UTC')`;
    await analyse(b, 4, "early");
    const first = await s.tick();
    expect(first.map((r) => r.mode)).toEqual(["incremental"]);
    expect(await served(4)).toBe("early");
    await conn`commit`;
    conn.release();
    const second = await s.tick();
    if (second[0]?.mode !== "incremental" || !second[0]?.keys?.includes("3")) {
      console.info(
        first,
        second,
        await a`select id, op, oldest_created_at::text, xid::text, noted_at from rapfs_source_changes order by id`,
        await a`select id, mode, watermark_before::text, watermark_after::text, source_snapshot from rapfs_materialization_runs order by id`,
      );
    }
    // An incremental run over the track the late row names: no rebuild of the view.
    expect(second.map((r) => r.mode)).toEqual(["incremental"]);
    expect(second[0]?.keys).toContain("3");
    expect(await served(3)).toBe("late");
  });

  it("recomputes the track of an updated analysis and removes the track whose analyses are deleted, by key", async () => {
    const [a] = pools as [Sql];
    const s = scheduler(a, 600_000);
    await a`update analysis_results set sentiment = 'edited', created_at = '2020-01-01'
            where id = (select max(id) from analysis_results where track_id = 7)`;
    await a`delete from analysis_results where track_id = 8`;
    const done = await s.tick();
    expect(done).toHaveLength(1);
    expect(done[0]).toMatchObject({ mode: "incremental", removedKeys: ["8"] });
    expect(done[0]?.keys).toContain("7");
    const [run] = await a<{ mode: string; rows_removed: number; removed_keys: string[] }[]>`
      select mode, rows_removed::int, removed_keys from rapfs_materialization_runs where id = ${done[0]?.runId ?? 0}`;
    expect(run).toEqual({ mode: "incremental", rows_removed: 1, removed_keys: ["8"] });
    expect(await served(8)).toBeUndefined();
    const [latest] = await a<{ sentiment: string }[]>`
      select sentiment from analysis_results where track_id = 7 and analyzer_type = 'qwen-3-4b-fp8'
      order by created_at desc, id desc limit 1`;
    expect(await served(7)).toBe(latest?.sentiment);
  });

  it("three processes on one database run each view once per change, not three times", async () => {
    const three = pools.map((sql) => scheduler(sql, 600_000));
    const before = runs.length;
    await analyse(pools[0] as Sql, 5, "shared");
    const done = await Promise.all(three.map((s) => s.tick()));
    expect(done.flat()).toHaveLength(1);
    expect(runs.length - before).toBe(1);
    expect(await served(5)).toBe("shared");
    // The others find nothing left to serve.
    expect((await Promise.all(three.map((s) => s.tick()))).flat()).toHaveLength(0);
  });

  it("a process that looked before another's run and takes the lock after it runs nothing", async () => {
    const [a, b] = pools as [Sql, Sql];
    await analyse(a, 6, "raced");
    // What b listed before a's run: the change pending.
    const [stale] = await listTargets(b, { name: "labels", version: 1 });
    if (!stale) throw new Error("labels@1 is not applied");
    expect((await pendingChanges(b, stale)).changes).toBeGreaterThan(0);
    expect(await materializeIfIdle(a, stale)).toMatchObject({ mode: "incremental", rowsWritten: 1 });
    const onlyIf = async (sql: Sql, target: MaterializeTarget) =>
      (await pendingChanges(sql, target)).changes > 0;
    expect(await materializeIfIdle(b, stale, { onlyIf })).toBeUndefined();
    expect(await served(6)).toBe("raced");
  });

  it("rebuilds a view a statement reaches a sixth of, where the embedded database would recompute by key", async () => {
    const sql = pools[0] as Sql;
    // More than an eighth (a server's KEYED_COST_PER_TRACK), less than a quarter (the embedded one's).
    const reached = Math.ceil(TRACKS / 6);
    expect(reached * KEYED_COST_PER_TRACK.server).toBeGreaterThan(TRACKS);
    expect(reached * KEYED_COST_PER_TRACK.embedded).toBeLessThan(TRACKS);
    await sql`update analysis_results set created_at = created_at - interval '1 second'
      where analyzer_type = 'qwen-3-4b-fp8' and track_id <= ${reached}`;
    const [run] = await materializeAll(sql, { only: { name: "labels", version: 1 } });
    expect(run).toMatchObject({ name: "labels", mode: "full" });
  });
});
