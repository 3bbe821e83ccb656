import { Redis } from "ioredis";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { FeatureColumnsSchema } from "../../src/api/routes/features/batch";
import { ReadySchema } from "../../src/api/routes/ready";
import type { Sql } from "../../src/db/database";
import { materializeAll } from "../../src/materialize/runner";
import type { Metrics } from "../../src/metrics/registry";
import { rowKey } from "../../src/online/redis-keys";
import type { RunningServer } from "../../src/runtime/start-server";
import { syncOnlineStore, syncRedis } from "../../src/serving";
import { deletePrefix, startPrivateRedis, uniquePrefix, waitFor } from "../online/redis-harness";
import { call, ok, startServing } from "./support";

type PrivateRedis = Awaited<ReturnType<typeof startPrivateRedis>>;

const prefix = uniquePrefix();
let redis: PrivateRedis;
let server: RunningServer;
let sql: Sql;
let ids: number[];

beforeAll(async () => {
  redis = await startPrivateRedis();
  server = await startServing({ redisUrl: redis.url, keyPrefix: prefix });
  sql = server.services.sql;
  ids = [...(await sql<{ id: number }[]>`select id from tracks order by id`).map((t) => t.id), 999_999];
});
afterAll(async () => {
  await server?.shutdown("test done");
  await redis?.kill();
});

async function counter(metrics: Metrics, name: string, labels: Record<string, string>): Promise<number> {
  const metric = (await metrics.registry.getMetricsAsJSON()).find((m) => m.name === name);
  return (metric?.values ?? [])
    .filter((v) => Object.entries(labels).every(([k, l]) => v.labels[k] === l))
    .reduce((sum, v) => sum + v.value, 0);
}

const everything = async () =>
  ok(
    await call(server, "/v1/features/track/batch", {
      json: { ids, service: "hit_predictor", format: "columns" },
    }),
    FeatureColumnsSchema,
  );

describe("Redis stopped mid-test", () => {
  it("serves the same answers from Postgres, reports degraded, and recovers when Redis returns", async () => {
    const { metrics, onlineStore } = server.services;
    const fromRedis = await everything();
    expect(
      await counter(metrics, "rapfs_online_cache_lookups_total", { layer: "redis", result: "hit" }),
    ).toBeGreaterThan(0);

    await redis.kill();
    const fromPostgres = await everything();
    expect(fromPostgres).toEqual(fromRedis);
    expect(await counter(metrics, "rapfs_online_fallbacks_total", { reason: "unavailable" })).toBeGreaterThan(
      0,
    );
    const ready = await server.app.request("/ready");
    expect(ready.status).toBe(200);
    expect(ReadySchema.parse(await ready.json()).status).toBe("degraded");

    await redis.start();
    await waitFor(async () => ((await onlineStore.ping().then(() => true)) ? true : undefined));
    const misses = await counter(metrics, "rapfs_online_fallbacks_total", { reason: "miss" });
    expect(await everything()).toEqual(fromRedis);
    // The restarted Redis is empty: the reads went to Postgres as misses and filled it again.
    expect(await counter(metrics, "rapfs_online_fallbacks_total", { reason: "miss" })).toBeGreaterThan(
      misses,
    );
    expect(await everything()).toEqual(fromRedis);
  });
});

describe("online-store sync", () => {
  it("copies everything into an empty Redis, then only what an incremental run changed", async () => {
    const { onlineStore, onlineHealer } = server.services;
    // The server's own healer would race these syncs; the store starts empty.
    await onlineHealer?.stop();
    await deletePrefix(prefix, redis.url);
    const full = await syncOnlineStore({ sql, store: onlineStore });
    expect(full.every((r) => r.mode === "full")).toBe(true);
    expect(await syncOnlineStore({ sql, store: onlineStore })).toEqual(
      full.map((r) => ({ ...r, mode: "skipped", rows: 0, ms: undefined })),
    );

    const changed = [3, 4, 5];
    await sql`
      insert into analysis_results (track_id, analyzer_type, sentiment, confidence, themes, analysis_data, created_at,
        complexity_score, processing_time_ms, model_version)
      select track_id, analyzer_type, 'NEGATIVE', 0.123, themes, analysis_data,
        (select max(created_at) from analysis_results) + interval '1 minute', complexity_score, processing_time_ms, 'rerun'
      from analysis_results
      where analyzer_type = 'qwen-3-4b-fp8' and track_id = any(${changed}::int[])`;
    const runs = await materializeAll(sql);
    expect(runs.find((r) => r.name === "qwen_analysis" && r.version === 2)?.mode).toBe("incremental");

    const synced = await syncOnlineStore({ sql, store: onlineStore });
    const qwen = synced.filter((r) => r.viewKey.startsWith("qwen_analysis@"));
    expect(qwen.map((r) => [r.mode, r.rows])).toEqual([
      ["incremental", 3],
      ["incremental", 3],
    ]);
    expect(synced.filter((r) => r.mode === "full")).toEqual([]);
    // The CLI's own connection sees the same markers under the same prefix: nothing left to copy.
    const again = await syncRedis(sql, { redisUrl: redis.url, prefix });
    expect(again.every((r) => r.mode === "skipped")).toBe(true);

    const client = new Redis(redis.url);
    try {
      const packed = JSON.parse((await client.get(rowKey(prefix, "qwen_analysis@2", "4"))) ?? "{}");
      expect(packed.v).toMatchObject({ sentiment: "negative", confidence: 0.123, model_version: "rerun" });
    } finally {
      client.disconnect();
    }
    const served = await call(server, "/v1/features/track/4?features=qwen_analysis:confidence");
    expect(
      (served.body as { features: Record<string, { value: unknown }> }).features["qwen_analysis@2:confidence"]
        ?.value,
    ).toBe(0.123);
  });
});
