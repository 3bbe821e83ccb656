import {
  APIUserAbortError,
  BadRequestError,
  eventTimestamp,
  type FeatureRows,
  type Fetch,
  InsufficientQuotaError,
  NotFoundError,
  PartialResultError,
  RapFS,
  RateLimitError,
} from "@rapfs/sdk";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type LiveServer, signupFreeKey, startLive } from "./server";

let live: LiveServer;
beforeAll(async () => {
  live = await startLive();
}, 180_000);
afterAll(() => live?.shutdown());

/** A fetch over the real one that counts requests and the most in flight at once. */
function countingFetch() {
  const stats = { requests: 0, inFlight: 0, maxInFlight: 0, bodies: [] as unknown[] };
  const counted: Fetch = async (url, init) => {
    stats.requests++;
    stats.inFlight++;
    stats.maxInFlight = Math.max(stats.maxInFlight, stats.inFlight);
    if (typeof init.body === "string") stats.bodies.push(JSON.parse(init.body));
    try {
      return await fetch(url, init);
    } finally {
      stats.inFlight--;
    }
  };
  return { stats, fetch: counted };
}

describe("features.get", () => {
  it("reads a feature service for one track, values keyed by canonical reference", async () => {
    const vector = await live.client.features.get("track", 1, { service: "hit_predictor" });
    const service = await live.client.registry.service("hit_predictor");
    expect(vector).toMatchObject({ entity: "track", id: 1, service: "hit_predictor" });
    expect(Object.keys(vector.features)).toEqual(service.features);
    const polarity = vector.features["qwen_analysis@2:sentiment_polarity"];
    expect(polarity?.status).toBe("present");
    expect(typeof polarity?.value).toBe("number");
    expect(polarity?.event_timestamp).toMatch(/^\d{4}-\d\d-\d\dT/);
  });

  it("resolves view:feature to the latest version and pinned versions as written", async () => {
    const { features } = await live.client.features.get("track", 2, {
      features: ["qwen_analysis:mood", "qwen_analysis@1:sentiment", "emotion_scores@1:*"],
    });
    const refs = Object.keys(features);
    expect(refs.slice(0, 2)).toEqual(["qwen_analysis@2:mood", "qwen_analysis@1:sentiment"]);
    expect(refs.filter((r) => r.startsWith("emotion_scores@1:")).length).toBeGreaterThan(3);
  });

  it("escapes artist names in the path", async () => {
    const [row] = (await live.services.sql`select artist from tracks order by id limit 1`) as {
      artist: string;
    }[];
    const artist = row?.artist as string;
    const vector = await live.client.features.get("artist", artist, { features: ["artist_stats:*"] });
    expect(vector.id).toBe(artist);
    expect(Object.values(vector.features).every((v) => v.status === "present" || v.status === "null")).toBe(
      true,
    );
  });

  it("turns problems into typed errors carrying the problem and the request id", async () => {
    const unknown = await live.client.features
      .get("track", 1, { features: ["qwen_analysis:sentimnet"] })
      .catch((e: unknown) => e);
    expect(unknown).toBeInstanceOf(BadRequestError);
    expect((unknown as BadRequestError).problem?.code).toBe("UNKNOWN_FEATURE");
    expect((unknown as BadRequestError).requestId).toMatch(/.+/);
    // The server's suggestions reach the message, and its detail is said once.
    const message = (unknown as BadRequestError).message;
    expect(message).toMatch(/Did you mean: for qwen_analysis:sentimnet, "qwen_analysis(@\d)?:sentiment"/);
    const detail = (unknown as BadRequestError).problem?.detail as string;
    expect(message.split(detail).length - 1).toBe(1);

    const entity = await live.client.features.get("album", 1, { service: "hit_predictor" }).catch((e) => e);
    expect(entity).toBeInstanceOf(NotFoundError);
  });

  it("gives the raw response too, for the Deprecation and Sunset headers", async () => {
    const { data, response } = await live.client.features
      .get("track", 3, { features: ["qwen_analysis@1:sentiment"] })
      .withResponse();
    expect(data.id).toBe(3);
    expect(response.headers.get("deprecation")).toBeTruthy();
    expect(response.headers.get("sunset")).toBeTruthy();
  });

  it("stops at the caller's signal", async () => {
    const controller = new AbortController();
    controller.abort();
    const error = await live.client.features
      .get("track", 1, { service: "hit_predictor", signal: controller.signal })
      .catch((e) => e);
    expect(error).toBeInstanceOf(APIUserAbortError);
  });
});

describe("features.getMany", () => {
  const ids = Array.from({ length: 2_345 }, (_, i) => (i % 400) + 1);

  it("splits beyond 1,000 ids into bounded concurrent batches and keeps the order", async () => {
    const { stats, fetch } = countingFetch();
    const client = new RapFS({ baseURL: live.url, apiKey: live.adminKey, fetch });
    const many = await client.features.getMany("track", ids, { service: "mood_board", concurrency: 2 });
    // The quota check (GET /v1/usage), then three batches.
    expect(stats.requests).toBe(4);
    expect(stats.maxInFlight).toBeLessThanOrEqual(2);
    expect(stats.bodies.map((b) => (b as { ids: unknown[] }).ids.length)).toEqual([1_000, 1_000, 345]);
    expect(many.format).toBe("rows");
    expect(many.rows.map((r) => r.id)).toEqual(ids);

    const single = await live.client.features.get("track", 17, { service: "mood_board" });
    expect(many.rows[16]?.features).toEqual(single.features);
    expect(many.rows[416]?.features).toEqual(single.features);
  });

  it("fills in the statuses the server leaves out of all-present columns", async () => {
    const few = [1, 2, 3];
    const rows = await live.client.features.getMany("track", few, { service: "mood_board" });
    const columns = await live.client.features.getMany("track", few, {
      service: "mood_board",
      format: "columns",
    });
    for (const ref of rows.features) {
      expect(columns.columns[ref]?.statuses).toEqual(rows.rows.map((r) => r.features[ref]?.status));
    }
  });

  it("joins columnar answers column by column, equal to the rows", async () => {
    const rows = await live.client.features.getMany("track", ids, { service: "mood_board", chunkSize: 700 });
    const columns = await live.client.features.getMany("track", ids, {
      service: "mood_board",
      format: "columns",
      chunkSize: 700,
    });
    expect(columns.ids).toEqual(ids);
    expect(columns.features).toEqual(rows.features);
    for (const ref of rows.features) {
      const column = columns.columns[ref];
      expect(column?.values).toEqual(rows.rows.map((r) => r.features[ref]?.value));
      expect(column?.statuses).toEqual(rows.rows.map((r) => r.features[ref]?.status));
      expect(ids.map((_, i) => eventTimestamp(columns, ref, i))).toEqual(
        rows.rows.map((r) => r.features[ref]?.event_timestamp),
      );
    }
    expect(Object.values(columns.event_timestamps).every((stamps) => stamps.length === ids.length)).toBe(
      true,
    );
  });

  it("builds rows equal to the server's own rows form, from the compact columns it asks for", async () => {
    const { stats, fetch } = countingFetch();
    const client = new RapFS({ baseURL: live.url, apiKey: live.adminKey, fetch });
    // Missing ids, null values and several view versions, each row as the server writes it.
    const some = [1, 99_999_999, 2, 3, 1, 77_777_777, 250];
    const features = ["qwen_analysis:*", "track_profile:*", "gemma_analysis:*", "emotion_scores:*"];
    const many = await client.features.getMany("track", some, { features });
    expect(stats.bodies.map((b) => (b as { format: string }).format)).toEqual(["columns"]);
    const response = await globalThis.fetch(`${live.url}/v1/features/track/batch`, {
      method: "POST",
      headers: { authorization: `Bearer ${live.adminKey}`, "content-type": "application/json" },
      body: JSON.stringify({ ids: some, features, format: "rows" }),
    });
    const server = (await response.json()) as FeatureRows;
    expect(JSON.stringify(many)).toBe(JSON.stringify(server));
    const statuses = new Set(many.rows.flatMap((r) => Object.values(r.features).map((v) => v.status)));
    expect([...statuses].sort()).toEqual(["not_found", "null", "present"]);
  });

  it("marks ids without rows not_found, in place", async () => {
    const many = await live.client.features.getMany("track", [1, 99_999_999, 2], {
      features: ["track_profile:title_length"],
    });
    expect(many.rows.map((r) => r.features["track_profile@1:title_length"]?.status)).toEqual([
      "present",
      "not_found",
      "present",
    ]);
  });

  it("keeps the answers it got when a later batch fails, and starts no further batch", async () => {
    const { stats, fetch } = countingFetch();
    const client = new RapFS({ baseURL: live.url, apiKey: live.adminKey, fetch, maxRetries: 0 });
    const bad = [...ids.slice(0, 1_500), "not-a-track-id", ...ids];
    const error = await client.features
      .getMany("track", bad, { service: "mood_board", concurrency: 1 })
      .catch((e) => e);
    expect(error).toBeInstanceOf(PartialResultError);
    const partial = error as PartialResultError<FeatureRows, number | string>;
    expect(partial.cause).toBeInstanceOf(BadRequestError);
    expect(partial.result.rows.map((r) => r.id)).toEqual(bad.slice(0, 1_000));
    expect(partial.failedIds).toEqual(bad.slice(1_000));
    expect(partial.answered).toBe(1_000);
    expect(stats.requests).toBe(3);
    // When the first batch fails, nothing was answered: the failure itself is thrown.
    const first = await client.features
      .getMany("track", ["not-a-track-id", ...ids], {
        service: "mood_board",
        concurrency: 1,
        checkQuota: false,
      })
      .catch((e) => e);
    expect(first).toBeInstanceOf(BadRequestError);
  });
});

describe("features.getMany on a free key's quota", () => {
  const ids = Array.from({ length: 3_345 }, (_, i) => (i % 400) + 1);
  it("returns the rows it got and the ids it did not when the day's rows run out midway", async () => {
    const key = await signupFreeKey(live, "partial@example.com");
    const client = new RapFS({ baseURL: live.url, apiKey: key, maxRetries: 0 });
    // Spend all but 2,500 of the day's 10,000 rows, then ask for 3,345 with the check off: two
    // batches of 1,000 fit, the third does not, and the fourth never starts.
    await client.features.getMany(
      "track",
      Array.from({ length: 7_500 }, (_, i) => (i % ids.length) + 1),
      {
        features: ["track_profile:popularity"],
        concurrency: 1,
      },
    );
    const error = await client.features
      .getMany("track", ids, { features: ["track_profile:popularity"], concurrency: 1, checkQuota: false })
      .catch((e) => e);
    expect(error).toBeInstanceOf(PartialResultError);
    const partial = error as PartialResultError<FeatureRows, number>;
    expect(partial.cause).toBeInstanceOf(RateLimitError);
    expect(partial.result.rows.map((r) => r.id)).toEqual(ids.slice(0, 2_000));
    expect(partial.failedIds).toEqual(ids.slice(2_000));
    expect(partial.result.rows[5]?.features["track_profile@1:popularity"]?.status).toBeDefined();
  });

  it("refuses up front, spending nothing, what cannot fit the rows left or the plan's day", async () => {
    const key = await signupFreeKey(live, "upfront@example.com");
    const client = new RapFS({ baseURL: live.url, apiKey: key, maxRetries: 0 });
    const plan = await client.features
      .getMany(
        "track",
        Array.from({ length: 10_001 }, (_, i) => (i % ids.length) + 1),
        {
          features: ["track_profile:popularity"],
        },
      )
      .catch((e) => e);
    expect(plan).toBeInstanceOf(InsufficientQuotaError);
    expect(plan).toMatchObject({ needed: 10_001, limit: 10_000, retryAfter: undefined });
    expect((plan as Error).message).toMatch(/more than the 10000 this key's plan allows a day/);

    await client.features.getMany("track", ids.slice(0, 1_000), { features: ["track_profile:popularity"] });
    const left = await client.features
      .getMany(
        "track",
        Array.from({ length: 9_500 }, (_, i) => (i % ids.length) + 1),
        {
          features: ["track_profile:popularity"],
        },
      )
      .catch((e) => e);
    expect(left).toBeInstanceOf(InsufficientQuotaError);
    expect(left).toMatchObject({ needed: 9_500, remaining: 9_000, limit: 10_000 });
    expect((left as InsufficientQuotaError).retryAfter).toBeGreaterThan(0);
    const usage = await client.usage({ days: 1 });
    expect(usage.windows.find((w) => w.policy === "rows")?.remaining).toBe(9_000);
  });
});
