import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { FeatureBatchSchema, FeatureRowsSchema } from "../../src/api/routes/features/batch";
import { FeatureVectorSchema } from "../../src/api/routes/features/get";
import { EntityListSchema } from "../../src/api/routes/registry/entities";
import type { Sql } from "../../src/db/database";
import type { OnlineRow, OnlineStore, ViewRead, WatchedRow } from "../../src/online/types";
import type { RunningServer } from "../../src/runtime/start-server";
import { createServing } from "../../src/serving";
import { capturingLogger } from "../api/harness";
import { deletePrefix, SHARED_REDIS_URL, uniquePrefix } from "../online/redis-harness";
import { call, ok, PINNED_NOW, problem, startServing } from "./support";

/** The server's own online store, counting the round trips (readMany calls) made through it. */
class CountingStore implements OnlineStore {
  readonly calls: ViewRead[][] = [];
  constructor(private readonly inner: OnlineStore) {}
  write(viewKey: string, rows: readonly OnlineRow[]) {
    return this.inner.write(viewKey, rows);
  }
  read(viewKey: string, ids: readonly string[]) {
    return this.readMany([{ viewKey, ids }]).then(([rows]) => rows ?? new Map());
  }
  readMany(requests: readonly ViewRead[]) {
    this.calls.push([...requests]);
    return this.inner.readMany(requests);
  }
  deleteView(viewKey: string) {
    return this.inner.deleteView(viewKey);
  }
  remove(viewKey: string, ids: readonly string[]) {
    return this.inner.remove(viewKey, ids);
  }
  prune(viewKey: string, keep: ReadonlySet<string>) {
    return this.inner.prune(viewKey, keep);
  }
  forget(viewKey: string, ids: readonly string[]) {
    return this.inner.forget(viewKey, ids);
  }
  watch(rows: readonly WatchedRow[]) {
    return this.inner.watch(rows);
  }
  beginCopy(viewKey: string, runId: number) {
    return this.inner.beginCopy(viewKey, runId);
  }
  completeRun(viewKey: string) {
    return this.inner.completeRun(viewKey);
  }
  vouchedAbsent(viewKey: string, ids: readonly string[]) {
    return this.inner.vouchedAbsent(viewKey, ids);
  }
  get degraded() {
    return this.inner.degraded;
  }
  ping() {
    return this.inner.ping();
  }
  close() {
    return Promise.resolve();
  }
}

const prefix = uniquePrefix();
let server: RunningServer;
let sql: Sql;
let store: CountingStore;

beforeAll(async () => {
  server = await startServing({ redisUrl: SHARED_REDIS_URL, keyPrefix: prefix });
  const { services } = server;
  sql = services.sql;
  store = new CountingStore(services.onlineStore);
  services.serving = createServing({
    sql,
    onlineStore: store,
    logger: capturingLogger().logger,
    now: () => PINNED_NOW,
  });
});
afterAll(async () => {
  await server?.shutdown("test done");
  await deletePrefix(prefix);
});

/** Each track's artist, read from the corpus itself. */
async function artistsOf(ids: number[]): Promise<Map<number, string | null>> {
  const rows = await sql<{ id: number; artist: string | null }[]>`
    select id, artist from tracks where id = any(${ids}::int[])`;
  return new Map(rows.map((r) => [r.id, r.artist]));
}

/** The artist lookup's values, keyed as the track lookup answers them (`artist.` + ref). */
async function artistLookup(artist: string) {
  const body = ok(
    await call(server, `/v1/features/artist/${encodeURIComponent(artist)}?features=artist_stats@1:*`),
    FeatureVectorSchema,
  );
  return Object.fromEntries(Object.entries(body.features).map(([ref, v]) => [`artist.${ref}`, v]));
}

describe("a track's artist features through the artist relation", () => {
  it("a track lookup of artist_stats@1:* answers the artist lookup of the track's artist, value, status and time", async () => {
    const ids = [1, 2, 42, 250];
    const artists = await artistsOf(ids);
    for (const id of ids) {
      const res = await call(
        server,
        `/v1/features/track/${id}?features=artist_stats@1:*,track_profile@1:popularity`,
      );
      const body = ok(res, FeatureVectorSchema);
      const { "track_profile@1:popularity": popularity, ...related } = body.features;
      expect(popularity?.status).toBe("present");
      const expected = await artistLookup(artists.get(id) as string);
      expect(Object.keys(related)).toEqual(Object.keys(expected));
      expect(Object.keys(related)).toContain("artist.artist_stats@1:avg_quality");
      expect(related).toEqual(expected);
      expect(related["artist.artist_stats@1:track_count"]?.status).toBe("present");
    }
    // Naming the relation is the same as implying it.
    const named = ok(
      await call(server, "/v1/features/track/42?features=artist.artist_stats:*"),
      FeatureVectorSchema,
    );
    const implied = ok(
      await call(server, "/v1/features/track/42?features=artist_stats@1:*"),
      FeatureVectorSchema,
    );
    expect(named.features).toEqual(implied.features);
  });

  it("a batch reads the track's views and the relation's key in one round trip, every artist in a second", async () => {
    const ids = [...Array.from({ length: 300 }, (_, i) => i + 1), 7, 2_000_000];
    const features = ["track_profile@1:popularity", "artist.artist_stats@1:*"];
    const before = store.calls.length;
    const rows = ok(
      await call(server, "/v1/features/track/batch", { json: { ids, features } }),
      FeatureRowsSchema,
    );
    const calls = store.calls.slice(before);
    const artists = await artistsOf(ids);
    const distinct = new Set([...artists.values()].filter((a): a is string => a !== null));
    expect(distinct.size).toBeGreaterThan(5);
    expect(calls).toHaveLength(2);
    expect(calls[0]?.map((r) => r.viewKey).sort()).toEqual(["track_artist@1", "track_profile@1"]);
    expect(calls[1]?.map((r) => r.viewKey)).toEqual(["artist_stats@1"]);
    expect(new Set(calls[1]?.[0]?.ids)).toEqual(distinct);
    expect(calls[1]?.[0]?.ids).toHaveLength(distinct.size);

    const byArtist = ok(
      await call(server, "/v1/features/artist/batch", {
        json: { ids: [...distinct], features: ["artist_stats@1:*"] },
      }),
      FeatureRowsSchema,
    );
    const expected = new Map(byArtist.rows.map((r) => [r.id, r.features]));
    rows.rows.forEach((row, i) => {
      expect(row.id).toBe(ids[i]);
      const artist = artists.get(row.id as number);
      for (const [ref, value] of Object.entries(row.features)) {
        if (!ref.startsWith("artist.")) continue;
        if (!artist) expect(value).toEqual({ value: null, status: "not_found", event_timestamp: null });
        else expect(value, `${row.id} ${ref}`).toEqual(expected.get(artist)?.[ref.slice("artist.".length)]);
      }
    });
    expect(rows.rows.at(-1)?.features["artist.artist_stats@1:track_count"]?.status).toBe("not_found");

    // The columnar form carries the same values, and the artist's event times under its plan key.
    const columns = ok(
      await call(server, "/v1/features/track/batch", { json: { ids, features, format: "columns" } }),
      FeatureBatchSchema,
    );
    if (columns.format !== "columns") throw new Error("expected columns");
    expect(columns.features).toEqual(rows.features);
    const stamps = columns.event_timestamps["artist.artist_stats@1"];
    rows.rows.forEach((row, i) => {
      expect(columns.columns["artist.artist_stats@1:avg_quality"]?.values[i]).toEqual(
        row.features["artist.artist_stats@1:avg_quality"]?.value,
      );
      expect(stamps?.[i]).toEqual(row.features["artist.artist_stats@1:avg_quality"]?.event_timestamp);
    });
  });

  it("a feature service takes artist features through the relation", async () => {
    const before = store.calls.length;
    const body = ok(await call(server, "/v1/features/track/42?service=artist_context"), FeatureVectorSchema);
    // The relation's key view is also asked for itself: it is read once.
    expect(store.calls.slice(before).map((c) => c.map((r) => r.viewKey).sort())).toEqual([
      ["track_artist@1", "track_profile@1"],
      ["artist_stats@1"],
    ]);
    const [artist] = (await artistsOf([42])).values();
    expect(body.features["track_artist@1:artist_name"]?.value).toBe(artist);
    const expected = await artistLookup(artist as string);
    for (const [ref, value] of Object.entries(expected)) expect(body.features[ref]).toEqual(value);
  });

  it("a neighbour search filters on, and returns, the neighbours' artist features", async () => {
    const [median] = await sql<{ n: number }[]>`
      select percentile_disc(0.5) within group (order by track_count) as n from fv_artist_stats_v1`;
    const threshold = median?.n as number;
    const search = (value: number) =>
      call(server, "/v1/embeddings/lyrics/search", {
        json: {
          id: 42,
          k: 10,
          filters: [{ feature: "artist_stats:track_count", op: "gte", value }],
          include_features: ["artist_stats@1:track_count", "track_artist@1:artist_name"],
        },
      });
    const res = await search(threshold);
    expect(res.status, JSON.stringify(res.body)).toBe(200);
    const { neighbors } = res.body as {
      neighbors: { id: number; features: Record<string, { value: unknown }> }[];
    };
    expect(neighbors).toHaveLength(10);
    const counts = new Map(
      (
        await sql<
          { artist: string; track_count: number }[]
        >`select artist, track_count from fv_artist_stats_v1`
      ).map((r) => [r.artist, r.track_count]),
    );
    const artists = await artistsOf(neighbors.map((n) => n.id));
    for (const n of neighbors) {
      const count = n.features["artist.artist_stats@1:track_count"]?.value as number;
      expect(count).toBeGreaterThanOrEqual(threshold);
      expect(count).toBe(counts.get(artists.get(n.id) as string));
      expect(n.features["track_artist@1:artist_name"]?.value).toBe(artists.get(n.id));
    }
    const none = await search(Math.max(...counts.values()) + 1);
    expect((none.body as { neighbors: unknown[] }).neighbors).toEqual([]);
  });

  it("refuses a relation the entity does not have, with a 400 that says which it has", async () => {
    const unknownRelation = problem(
      await call(server, "/v1/features/track/42?features=label.artist_stats@1:*"),
      400,
      "UNKNOWN_FEATURE",
    );
    expect(unknownRelation.detail).toContain("names relation label, which entity track does not have");
    const fromArtist = problem(
      await call(server, "/v1/features/artist/MC%20Nobody?features=artist.artist_stats@1:*"),
      400,
      "UNKNOWN_FEATURE",
    );
    expect(fromArtist.detail).toContain("it has no relations");
    const trackOnArtist = problem(
      await call(server, "/v1/features/artist/MC%20Nobody?features=track_profile@1:popularity"),
      400,
      "UNKNOWN_FEATURE",
    );
    expect(trackOnArtist.detail).toContain("belongs to entity track, which entity artist has no relation to");
  });

  it("the registry lists the relation on the entity", async () => {
    const body = ok(await call(server, "/v1/registry/entities"), EntityListSchema);
    expect(body.entities.find((e) => e.name === "track")?.relations).toEqual({
      artist: {
        entity: "artist",
        key: "track_artist@1:artist_name",
        description: "The track's performing artist.",
      },
    });
    expect(body.entities.find((e) => e.name === "artist")?.relations).toEqual({});
  });
});
