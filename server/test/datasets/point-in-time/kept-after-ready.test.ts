import { afterAll, describe, expect, it } from "vitest";
import { planTraining, standalonePlanSource } from "../../../src/datasets/plan/dataset-plan";
import { storedHistory } from "../../../src/datasets/point-in-time/stored-history";
import { IN_MEMORY } from "../../../src/db/embedded";
import { noProgress } from "../../../src/log/progress";
import { type RunningServer, startServer } from "../../../src/runtime/start-server";
import { capturingLogger, testConfig } from "../../api/harness";
import { ARTIST_FEATURES, ARTIST_VIEW_TABLE, artistValues, SUMMED } from "../../support/artist-history";
import { randomTrainingRows } from "../../support/training-rows";
import { SEED } from "../support";

const VIEW_TABLE = ARTIST_VIEW_TABLE;

/**
 * The embedded default builds no history while it prepares its data (a first start would take
 * longer), so until it kept one after /ready, every training set summed each artist it asked for.
 */
describe("the embedded default keeps the artist view's history once its data is ready", () => {
  let running: RunningServer | undefined;
  afterAll(async () => {
    await running?.shutdown("test done");
  });

  it("builds it after /ready, for every artist, and says which views it kept", async () => {
    const { logger, lines } = capturingLogger();
    const config = {
      ...testConfig(),
      dataDir: IN_MEMORY,
      host: "127.0.0.1",
      port: 0,
      corpus: { scale: 0.01, seed: SEED },
    };
    running = await startServer({ config, logger, handleSignals: false, progress: noProgress });
    await running.prepared;
    const ready = lines.findIndex((l) => l.msg === "data ready");
    expect(ready).toBeGreaterThanOrEqual(0);

    await running.warmed;
    const { sql } = running.services;
    const kept = await storedHistory(sql, VIEW_TABLE);
    expect(kept, "a history is kept once the data is ready").toBeDefined();
    const [artists] = await sql<{ n: number }[]>`
      select count(distinct artist)::int as n from tracks where artist is not null`;
    expect(kept?.keys).toBe(artists?.n);
    const [held] = await sql<{ keys: number }[]>`
      select count(distinct artist)::int as keys from ${sql(kept?.table as string)}`;
    expect(held?.keys).toBe(artists?.n);

    // Built after the data was ready: a first start does not wait for it.
    const [built] = await sql<{ at: string }[]>`
      select to_char(built_at at time zone 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"') as at
      from rapfs_stored_histories where view_table = ${VIEW_TABLE}`;
    expect(built?.at && built.at >= String(lines[ready]?.time)).toBe(true);

    // A training set then probes it and sums no artist's history.
    const plan = await planTraining(standalonePlanSource(sql), {
      entity: "track",
      features: ARTIST_FEATURES,
    });
    // Many rows of a few artists: what the history serves (fewer are aggregated each on its own).
    const tracks = await sql<{ id: number }[]>`
      select id from tracks where artist in (select artist from tracks where artist is not null
        group by artist order by count(*) desc, artist limit 3) order by id`;
    const rows = await randomTrainingRows(
      sql,
      tracks.map((t) => t.id),
      300,
      5,
    );
    const { statements } = await artistValues(sql, plan, rows);
    expect(statements.some((q) => q.includes(kept?.table as string))).toBe(true);
    expect(statements.filter((q) => SUMMED.test(q))).toEqual([]);

    const logged = lines.findIndex((l) => l.msg === "histories kept");
    expect(logged, "after the data was ready, not before").toBeGreaterThan(ready);
    expect(lines[logged]?.views).toEqual(["artist_stats@1"]);
  });
});
