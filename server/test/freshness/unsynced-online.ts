import { Redis } from "ioredis";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { FeatureVectorSchema } from "../../src/api/routes/features/get";
import type { RunningServer } from "../../src/runtime/start-server";
import { uniquePrefix } from "../online/redis-harness";
import { call, ok, startServing } from "../serving/support";

const VIEW = "emotion_scores@1";
const JOY = `${VIEW}:joy`;

/** A Redis of the test's own: its URL, and each master's own address (to change its memory limit). */
export type OwnRedis = { url: string; masters: string[]; stop(): Promise<void> };

/**
 * A Redis that refuses writes (every master at maxmemory with `noeviction`: "OOM command not
 * allowed") while a changed analysis is materialized: the view's sync fails, and Redis keeps the
 * row as it was. Before, that row was served indefinitely, with /ready and the view's freshness
 * saying all was well and no line logged. Now the view's lookups read the database until a sync
 * succeeds, /ready names the view (degraded, 200), and the next sync after Redis takes writes
 * again brings the lookups back to Redis.
 */
export function describeRefusedSync(topology: string, startRedis: () => Promise<OwnRedis>): void {
  describe(`a view whose latest run ${topology} refuses to take (out of memory)`, () => {
    const prefix = uniquePrefix();
    let redis: OwnRedis;
    let masters: Redis[] = [];
    let server: RunningServer;

    const joyOf = async (id: number) =>
      ok(await call(server, `/v1/features/track/${id}?features=${JOY}`), FeatureVectorSchema).features[JOY];
    /** Materializes every pending change now, each run followed by the online store's sync. */
    const serveChanges = async () => {
      const { freshness } = server.services;
      for (let look = 0; look < 120; look++) {
        await freshness.tick();
        if (freshness.views().every((v) => v.view !== VIEW || v.pendingChanges === 0)) return;
        await new Promise((resolve) => setTimeout(resolve, 250));
      }
      throw new Error("changes still unserved after 30 s of looks");
    };
    /** Lookups of the view that read the database because Redis could not answer for it. */
    const fromDatabase = async () =>
      (await server.services.metrics.onlineFallbacks.get()).values
        .filter((v) => v.labels.view === VIEW && v.labels.reason === "unavailable")
        .reduce((sum, v) => sum + v.value, 0);
    const ready = async () =>
      (await call(server, "/ready")).body as { status: string; checks: Record<string, unknown> };
    /** The view's series in /metrics, as Prometheus scrapes it. */
    const unsyncedSeries = async () =>
      (await server.services.metrics.registry.metrics())
        .split("\n")
        .filter((line) =>
          line.startsWith(`rapfs_online_view_unsynced_since_timestamp_seconds{view="${VIEW}"}`),
        );
    const maxmemory = (bytes: string) => Promise.all(masters.map((m) => m.config("SET", "maxmemory", bytes)));

    beforeAll(async () => {
      redis = await startRedis();
      masters = redis.masters.map((address) => new Redis(address));
      await Promise.all(masters.map((m) => m.config("SET", "maxmemory-policy", "noeviction")));
      server = await startServing({
        redisUrl: redis.url,
        keyPrefix: prefix,
        config: { freshness: { enabled: true, defaultObjectiveSeconds: 60, pollMs: 600_000 } },
      });
      await serveChanges();
    });
    afterAll(async () => {
      await server?.shutdown("test done");
      for (const m of masters) m.disconnect();
      await redis?.stop();
    });

    it("is read from the database, /ready names it, and Redis serves it again once a sync succeeds", async () => {
      const { sql } = server.services;
      const [row] = await sql<{ track_id: number; joy: number }[]>`
        select track_id, joy from fv_emotion_scores_v1 where joy is not null order by track_id limit 1`;
      const id = row?.track_id as number;
      expect((await joyOf(id))?.value).toBeCloseTo(row?.joy as number, 6);

      expect(await unsyncedSeries()).toEqual([]);
      await maxmemory("1");
      await sql`
        update analysis_results set analysis_data = jsonb_set(analysis_data, '{joy}', '0.123456'::jsonb)
        where track_id = ${id} and analyzer_type = 'emotion-distilroberta'`;
      await serveChanges();
      const [changed] = await sql<
        { joy: number }[]
      >`select joy from fv_emotion_scores_v1 where track_id = ${id}`;
      expect(changed?.joy).toBeCloseTo(0.123456, 6);
      // Redis refused the sync, and still holds the old row.
      const refusals = await Promise.all(masters.map((m) => m.info("errorstats")));
      expect(refusals.join("\n")).toMatch(/errorstat_OOM:count=[1-9]/);

      const before = await fromDatabase();
      expect((await joyOf(id))?.value).toBeCloseTo(0.123456, 6);
      expect(await fromDatabase()).toBe(before + 1);
      const degraded = await ready();
      expect(degraded.status).toBe("degraded");
      expect(JSON.stringify(degraded.checks)).toMatch(
        /did not take the latest rows of emotion_scores@1 .*OOM.*read from Postgres until a sync succeeds/,
      );
      // rapfs_online_store_up stays 1 (Redis answers): this series is what an alert sees.
      const [series] = await unsyncedSeries();
      expect(Math.abs(Number(series?.split(" ")[1]) - Date.now() / 1000)).toBeLessThan(120);

      await maxmemory("0");
      await server.services.onlineHealer.check();
      expect((await ready()).status).toBe("ready");
      expect(await unsyncedSeries()).toEqual([]);
      expect((await joyOf(id))?.value).toBeCloseTo(0.123456, 6);
      // Another track's lookup is Redis's again (this one's row may still be in the outage cache).
      const after = await fromDatabase();
      expect((await joyOf(id + 1))?.status).toBeDefined();
      expect(await fromDatabase()).toBe(after);
    });
  });
}
