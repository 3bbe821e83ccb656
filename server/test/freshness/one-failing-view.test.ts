import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Database, Sql } from "../../src/db/database";
import { FreshnessScheduler } from "../../src/freshness/scheduler";
import { createLogger } from "../../src/log/logger";
import { materializeAll } from "../../src/materialize/runner";
import { applyDefinitions } from "../../src/registry/apply";
import { definitionsDir, ENTITIES, view } from "../definitions/helpers";
import { openEmbeddedTestDatabase } from "../support/databases";
import { seedPlainCorpus } from "../support/plain-corpus";

// A view whose run fails (here a track written behind the door with a value it cannot cast) made
// the whole look fail, so every view after it in the look's order was never brought up to date.
const ANALYZER = "qwen-3-4b-fp8";
const A_POPULARITY = view(
  "a_popularity",
  1,
  ["popularity: float = (t.spotify_data->>'popularity')::float"],
  "{ from: tracks }",
);
const B_SCORES = view("b_scores", 1, ["joy: float = (a.analysis_data->>'joy')::float"]);

describe("a look of the freshness scheduler with one view's run failing", () => {
  let db: Database;
  let sql: Sql;
  let defs: Awaited<ReturnType<typeof definitionsDir>>;
  const logged: Record<string, unknown>[] = [];

  beforeAll(async () => {
    db = await openEmbeddedTestDatabase({ migrate: false });
    sql = db.sql;
    await seedPlainCorpus(sql, 20);
    await sql`update analysis_results set analysis_data = jsonb_build_object('joy', 0.25)`;
    await sql`update tracks set spotify_data = jsonb_build_object('popularity', 50)`;
    defs = await definitionsDir({ "entities.yaml": ENTITIES, "a.yaml": A_POPULARITY, "b.yaml": B_SCORES });
    await applyDefinitions(sql, defs.dir);
    await materializeAll(sql);
  });
  afterAll(async () => {
    await db?.close();
    await defs?.remove();
  });

  it("brings the other views up to date and says which view failed and why", async () => {
    await sql`insert into tracks (title, artist, spotify_data, created_at)
      values ('bad', 'artist 1', ${sql.json({ popularity: "high" })}, clock_timestamp() at time zone 'UTC')`;
    await sql`insert into analysis_results (track_id, analyzer_type, analysis_data, created_at)
      values (3, ${ANALYZER}, ${sql.json({ joy: 0.75 })}, clock_timestamp() at time zone 'UTC')`;
    const scheduler = new FreshnessScheduler({
      sql,
      logger: createLogger("info", {}, (line) => logged.push(JSON.parse(line))),
      defaultObjectiveSeconds: 30,
      pollMs: 600_000,
      minIntervalMs: 0,
      afterRuns: async () => {},
    });
    try {
      const runs = await scheduler.tick();
      expect(runs.map((r) => r.name)).toEqual(["b_scores"]);
      expect((await sql`select joy from fv_b_scores_v1 where track_id = 3`)[0]?.joy).toBe(0.75);
      expect(logged).toContainEqual(
        expect.objectContaining({
          level: "warn",
          view: "a_popularity@1",
          error: expect.stringContaining("invalid input syntax for type double precision"),
        }),
      );
      const freshness = scheduler.views();
      expect(freshness.find((v) => v.view === "b_scores@1")).toMatchObject({ pendingChanges: 0 });
      expect(freshness.find((v) => v.view === "a_popularity@1")?.pendingChanges).toBeGreaterThan(0);
    } finally {
      await scheduler.stop();
    }
  });

  it("at a start's catch-up (materializeAll) builds the other views, then throws the failure it named", async () => {
    await sql`insert into analysis_results (track_id, analyzer_type, analysis_data, created_at)
      values (4, ${ANALYZER}, ${sql.json({ joy: 0.5 })}, clock_timestamp() at time zone 'UTC')`;
    const failed: string[] = [];
    await expect(
      materializeAll(sql, { onFailure: (target) => failed.push(`${target.name}@${target.version}`) }),
    ).rejects.toThrow("invalid input syntax for type double precision");
    expect(failed).toEqual(["a_popularity@1"]);
    expect((await sql`select joy from fv_b_scores_v1 where track_id = 4`)[0]?.joy).toBe(0.5);
  });
});
