import { afterAll, describe, expect, it } from "vitest";
import { storedHistory } from "../../../src/datasets/point-in-time/stored-history";
import { IN_MEMORY } from "../../../src/db/embedded";
import { noProgress } from "../../../src/log/progress";
import { type RunningServer, startServer } from "../../../src/runtime/start-server";
import { capturingLogger, testConfig } from "../../api/harness";
import { SEED } from "../support";

const VIEW_TABLE = "fv_artist_stats_v1";

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

    const logged = lines.findIndex((l) => l.msg === "histories kept");
    expect(logged, "after the data was ready, not before").toBeGreaterThan(ready);
    expect(lines[logged]?.views).toEqual(["artist_stats@1"]);
  });
});
