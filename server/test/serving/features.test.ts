import { Redis } from "ioredis";
import { afterAll, beforeAll, describe, expect, it, onTestFinished } from "vitest";
import {
  FeatureBatchSchema,
  FeatureColumnsSchema,
  FeatureRowsSchema,
} from "../../src/api/routes/features/batch";
import { FeatureVectorSchema } from "../../src/api/routes/features/get";
import type { Sql } from "../../src/db/database";
import { rowKey } from "../../src/online/redis-keys";
import { getFeatureService, listViews } from "../../src/registry";
import type { RunningServer } from "../../src/runtime/start-server";
import { latestPerTrack, rawAnalyses } from "../materialize/corpus";
import {
  deletePrefix,
  namedClientAddresses,
  openMonitor,
  SHARED_REDIS_URL,
  uniquePrefix,
  waitFor,
} from "../online/redis-harness";
import { call, ok, startServing } from "./support";

const prefix = uniquePrefix();
let server: RunningServer;
let sql: Sql;

beforeAll(async () => {
  server = await startServing({ redisUrl: SHARED_REDIS_URL, keyPrefix: prefix });
  sql = server.services.sql;
});
afterAll(async () => {
  await server?.shutdown("test done");
  await deletePrefix(prefix);
});

const batch = (entity: string, body: Record<string, unknown>) =>
  call(server, `/v1/features/${entity}/batch`, { json: body });

/** The table's rows as JSON would carry them (timestamps as epoch ms for comparison). */
async function tableRows(view: {
  table: string;
  keyColumn: string;
  features: { name: string; type: string }[];
}) {
  const columns = view.features.map((f) =>
    f.type === "timestamp"
      ? sql`(extract(epoch from ${sql(f.name)}) * 1000)::float8 as ${sql(f.name)}`
      : sql`${sql(f.name)}`,
  );
  const list = columns.reduce((acc, c) => sql`${acc}, ${c}`);
  return sql<Record<string, unknown>[]>`
    select ${sql(view.keyColumn)} as __key, (extract(epoch from event_timestamp) * 1000)::float8 as __ts, ${list}
    from ${sql(view.table)} order by 1`;
}

describe("values served", () => {
  it("equal the materialized table rows of every view version, value by value", async () => {
    for (const view of (await listViews(sql)).filter((v) => v.status !== "retired")) {
      const rows = await tableRows(view);
      expect(rows.length).toBeGreaterThan(0);
      const body = ok(
        await batch(view.entity, {
          ids: rows.map((r) => r.__key),
          features: [`${view.name}@${view.version}:*`],
        }),
        FeatureRowsSchema,
      );
      rows.forEach((row, i) => {
        const served = body.rows[i];
        expect(served?.id).toBe(row.__key);
        for (const f of view.features) {
          const value = served?.features[`${view.name}@${view.version}:${f.name}`];
          const expected = row[f.name] ?? null;
          expect(value?.status).toBe(expected === null ? "null" : "present");
          expect(
            f.type === "timestamp" && value?.value !== null
              ? Date.parse(value?.value as string)
              : value?.value,
          ).toEqual(expected);
          expect(Date.parse(value?.event_timestamp ?? "")).toBe(row.__ts);
        }
      });
    }
  });

  it("agree with values computed independently from the raw corpus rows", async () => {
    const latestQwen = latestPerTrack(await rawAnalyses({ sql } as never, "qwen-3-4b-fp8"));
    const latestEmotion = latestPerTrack(await rawAnalyses({ sql } as never, "emotion-distilroberta"));
    const tracks = await sql<{ id: number; popularity: string | null }[]>`
      select id, spotify_data->>'popularity' as popularity from tracks order by id`;
    const body = ok(
      await batch("track", {
        ids: tracks.map((t) => t.id),
        features: [
          "qwen_analysis@2:sentiment",
          "qwen_analysis@1:sentiment",
          "emotion_scores:joy",
          "track_profile:popularity",
        ],
        format: "columns",
      }),
      FeatureColumnsSchema,
    );
    const column = (ref: string) => body.columns[ref]?.values ?? [];
    tracks.forEach((track, i) => {
      const qwen = latestQwen.get(track.id);
      expect(column("qwen_analysis@2:sentiment")[i]).toBe(qwen?.sentiment?.toLowerCase() ?? null);
      expect(column("qwen_analysis@1:sentiment")[i]).toBe(qwen?.sentiment ?? null);
      const joy = latestEmotion.get(track.id)?.analysis_data?.joy;
      expect(column("emotion_scores@1:joy")[i]).toBe(joy === undefined ? null : Number(joy));
      const popularity = track.popularity === null ? null : Math.round(Number(track.popularity));
      expect(column("track_profile@1:popularity")[i]).toBe(popularity);
    });
    expect(body.columns["qwen_analysis@2:sentiment"]?.statuses).toContain("not_found");
    // One timestamp list per view version read, null exactly where its columns are not_found.
    expect(Object.keys(body.event_timestamps).sort()).toEqual(
      ["emotion_scores@1", "qwen_analysis@1", "qwen_analysis@2", "track_profile@1"].sort(),
    );
    for (const [ref, column] of Object.entries(body.columns)) {
      const stamps = body.event_timestamps[ref.slice(0, ref.indexOf(":"))] ?? [];
      expect(stamps).toHaveLength(tracks.length);
      // No statuses: every value is present, so every id has a row.
      const statuses = column.statuses ?? column.values.map(() => "present");
      expect(statuses).toHaveLength(tracks.length);
      statuses.forEach((status, i) => {
        expect(stamps[i] === null, `${ref}[${i}]`).toBe(status === "not_found");
      });
    }
  });

  it("were written to Redis by the startup sync, version-scoped", async () => {
    const redis = new Redis(SHARED_REDIS_URL);
    try {
      const packed = await redis.get(rowKey(prefix, "qwen_analysis@2", "1"));
      expect(JSON.parse(packed ?? "{}").v).toHaveProperty("sentiment");
      expect(await redis.exists(rowKey(prefix, "qwen_analysis@1", "1"))).toBe(1);
    } finally {
      redis.disconnect();
    }
  });
});

describe("POST /v1/features/{entity}/batch", () => {
  it("answers 1,000 ids in order, duplicates in place, unknown ids not_found", async () => {
    const ids = [...Array.from({ length: 990 }, (_, i) => i + 1), 7, 7, 3, 2_000_000, -1, 0, 1, 578, 579, 42];
    expect(ids).toHaveLength(1_000);
    const body = ok(
      await batch("track", { ids, features: ["qwen_analysis:sentiment", "track_profile:title_length"] }),
      FeatureRowsSchema,
    );
    expect(body.rows.map((r) => r.id)).toEqual(ids);
    const tracks = new Set((await sql<{ id: number }[]>`select id from tracks`).map((t) => t.id));
    body.rows.forEach((row) => {
      const title = row.features["track_profile@1:title_length"];
      expect(title?.status).toBe(tracks.has(row.id as number) ? "present" : "not_found");
      if (title?.status === "not_found")
        expect(title).toEqual({ value: null, status: "not_found", event_timestamp: null });
    });
    expect(body.rows[990]).toEqual(body.rows[6]);
    expect(
      body.rows.filter((r) => r.features["track_profile@1:title_length"]?.status === "not_found").length,
    ).toBe(ids.filter((id) => !tracks.has(id)).length);
  });

  it("reads a batch wider than the near cache keeps on the wide reads' Redis connection", async () => {
    const redis = new Redis(SHARED_REDIS_URL);
    try {
      const wideReads = await namedClientAddresses(redis, "rapfs-wide-reads");
      const monitor = await openMonitor(redis);
      onTestFinished(() => monitor.disconnect());
      const senders: string[] = [];
      let markerSeen = false;
      monitor.on("monitor", (_time, args, client) => {
        const [command = "", key = ""] = args;
        if (!key.startsWith(`${prefix}:`)) return;
        if (command.toLowerCase() === "get") markerSeen = true;
        if (command.toLowerCase() === "mget") senders.push(wideReads.has(client) ? "wide reads" : client);
      });
      // 1,000 ids of two views: 2,000 keys, none read before (no track has these ids), so none
      // is answered from the near cache and the read is as wide as the batch.
      const ids = Array.from({ length: 1_000 }, (_, i) => 1_000_001 + i);
      ok(
        await batch("track", { ids, features: ["qwen_analysis:sentiment", "track_profile:title_length"] }),
        FeatureRowsSchema,
      );
      await redis.get(`${prefix}:marker`);
      await waitFor(async () => (markerSeen ? true : undefined));
      expect(senders.length).toBeGreaterThanOrEqual(4);
      expect(new Set(senders)).toEqual(new Set(["wide reads"]));
    } finally {
      redis.disconnect();
    }
  });

  it("gives the same values in row and columnar form, statuses only where a value is not present", async () => {
    let omitted = 0;
    for (const ids of [
      [3, 1, 2, 999_999, 3],
      [1, 2, 3, 4, 5],
    ]) {
      const request = { ids, service: "mood_board" };
      const rows = ok(await batch("track", { ...request, format: "rows" }), FeatureBatchSchema);
      const columns = ok(await batch("track", { ...request, format: "columns" }), FeatureBatchSchema);
      if (rows.format !== "rows" || columns.format !== "columns") throw new Error("wrong formats");
      expect(columns.features).toEqual(rows.features);
      expect(columns.ids).toEqual(rows.rows.map((r) => r.id));
      for (const ref of rows.features) {
        const column = columns.columns[ref];
        rows.rows.forEach((row, i) => {
          expect(row.features[ref]).toEqual({
            value: column?.values[i],
            status: column?.statuses?.[i] ?? "present",
            event_timestamp: columns.event_timestamps[ref.slice(0, ref.indexOf(":"))]?.[i],
          });
        });
        const allPresent = rows.rows.every((row) => row.features[ref]?.status === "present");
        expect(column?.statuses === undefined, ref).toBe(allPresent);
        if (allPresent) omitted++;
      }
    }
    expect(omitted).toBeGreaterThan(0);
  });

  it("serves artists by name, including names with spaces", async () => {
    const [artist] = await sql<
      { artist: string }[]
    >`select artist from fv_artist_stats_v1 where artist like '% %' limit 1`;
    const name = artist?.artist as string;
    const body = ok(
      await batch("artist", { ids: [name, "Nobody At All"], features: ["artist_stats:track_count"] }),
      FeatureRowsSchema,
    );
    expect(body.rows[0]?.features["artist_stats@1:track_count"]?.status).toBe("present");
    expect(body.rows[1]?.features["artist_stats@1:track_count"]?.status).toBe("not_found");
    const one = ok(
      await call(server, `/v1/features/artist/${encodeURIComponent(name)}?features=artist_stats:*`),
      FeatureVectorSchema,
    );
    expect(one.id).toBe(name);
    expect(one.features["artist_stats@1:track_count"]).toEqual(
      body.rows[0]?.features["artist_stats@1:track_count"],
    );
  });
});

describe("GET /v1/features/{entity}/{id}", () => {
  it("returns every feature of service=hit_predictor, as the registry resolves it", async () => {
    const service = await getFeatureService(sql, "hit_predictor");
    const views = await listViews(sql);
    const expected = (service?.featureRefs ?? []).flatMap((ref) => {
      const [, name, version, feature] = /^(\w+)(?:@(\d+))?:(.+)$/.exec(ref) ?? [];
      const candidates = views.filter(
        (v) => v.name === name && (version ? v.version === Number(version) : v.isLatest),
      );
      const view = candidates[0];
      if (!view) return [];
      const names = feature === "*" ? view.features.map((f) => f.name) : [feature];
      return names.map((n) => `${view.name}@${view.version}:${n}`);
    });
    const res = await call(server, "/v1/features/track/12?service=hit_predictor");
    const body = ok(res, FeatureVectorSchema);
    expect(body.service).toBe("hit_predictor");
    expect(Object.keys(body.features)).toEqual(expected);
    expect(Object.keys(body.features).length).toBeGreaterThanOrEqual(45);
    expect(res.headers.get("deprecation")).toBeNull();
  });

  it("resolves view:feature to the latest version and accepts repeated and comma-separated features", async () => {
    const latest = ok(
      await call(
        server,
        "/v1/features/track/5?features=qwen_analysis:sentiment,qwen_analysis:mood&features=track_profile:energy",
      ),
      FeatureVectorSchema,
    );
    expect(Object.keys(latest.features)).toEqual([
      "qwen_analysis@2:sentiment",
      "qwen_analysis@2:mood",
      "track_profile@1:energy",
    ]);
    const pinned = ok(
      await call(server, "/v1/features/track/5?features=qwen_analysis@2:sentiment"),
      FeatureVectorSchema,
    );
    expect(latest.features["qwen_analysis@2:sentiment"]).toEqual(
      pinned.features["qwen_analysis@2:sentiment"],
    );
  });

  it("announces a deprecated version with Deprecation, Sunset and a Link to its successor", async () => {
    const res = await call(server, "/v1/features/track/5?features=qwen_analysis@1:sentiment");
    ok(res, FeatureVectorSchema);
    expect(res.headers.get("deprecation")).toMatch(/^@\d+$/);
    expect(res.headers.get("sunset")).toBe("Fri, 01 Jan 2027 00:00:00 GMT");
    const link = res.headers.get("link") ?? "";
    expect(link).toContain('</v1/registry/views/qwen_analysis/versions/1>; rel="deprecation"');
    expect(link).toContain('</v1/registry/views/qwen_analysis/versions/2>; rel="successor-version"');
  });
});
