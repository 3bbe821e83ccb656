import { mkdtempSync, readdirSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import {
  AuthenticationError,
  ConflictError,
  InsufficientQuotaError,
  NotFoundError,
  PartialResultError,
  RapFS,
  RateLimitError,
} from "@rapfs/sdk";
import { modelFromDefinitions } from "@rapfs/server/src/cli/actions/codegen";
import { openApiDocument } from "@rapfs/server/src/runtime/openapi-document";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { modelFromServer, renderRegistryTypes } from "../../src/codegen/registry-types";
import { type LiveServer, signupFreeKey, startLive } from "./server";

let live: LiveServer;
beforeAll(async () => {
  live = await startLive();
}, 180_000);
afterAll(() => live?.shutdown());

it("serves the OpenAPI document the SDK's types were generated from", async () => {
  const served = await (await fetch(`${live.url}/openapi.json`)).json();
  expect(served).toEqual(await openApiDocument());
});

describe("embeddings", () => {
  it("keeps the vectors paid for when a free key's rows run out midway, and refuses up front what cannot fit", async () => {
    const client = new RapFS({
      baseURL: live.url,
      apiKey: await signupFreeKey(live, "vectors@example.com"),
      maxRetries: 0,
    });
    // Spend all but 300 of the day's 10,000 rows on cheap feature reads.
    const spend = Array.from({ length: 9_700 }, (_, i) => (i % 300) + 1);
    await client.features.getMany("track", spend, { features: ["track_profile:popularity"] });
    const ids = Array.from({ length: 450 }, (_, i) => (i % 300) + 1);

    // Unchecked: the first batch of 200 fits, the second does not, the third never starts.
    const error = await client.embeddings
      .getMany("audio", ids, { chunkSize: 200, concurrency: 1, checkQuota: false })
      .catch((e) => e);
    expect(error).toBeInstanceOf(PartialResultError);
    const partial = error as PartialResultError<{ items: { id: unknown }[] }, number>;
    expect(partial.cause).toBeInstanceOf(RateLimitError);
    expect(partial.result.items.map((i) => i.id)).toEqual(ids.slice(0, 200));
    expect(partial.failedIds).toEqual(ids.slice(200));

    // Checked (the default): 400 ids cannot fit the 100 rows left, so nothing is sent.
    const refused = await client.embeddings
      .getMany("audio", ids.slice(0, 400), { chunkSize: 200 })
      .catch((e) => e);
    expect(refused).toBeInstanceOf(InsufficientQuotaError);
    expect(refused).toMatchObject({ needed: 400, remaining: 100, limit: 10_000 });
    const usage = await client.usage({ days: 1 });
    expect(usage.windows.find((w) => w.policy === "rows")?.remaining).toBe(100);
  });

  it("gets one vector, many in order, and searches by id and by vector", async () => {
    const one = await live.client.embeddings.get("lyrics", 5);
    expect(one).toMatchObject({ embedding: "lyrics@1", entity: "track", dimension: 384, metric: "cosine" });
    expect(one.vector).toHaveLength(384);

    const rows = (await live.services.sql`
      select id, audio_embedding is null as missing from tracks where id in (5, 6)`) as {
      id: number;
      missing: boolean;
    }[];
    const status = (id: number) => (rows.find((r) => r.id === id)?.missing ? "null" : "present");
    const many = await live.client.embeddings.getMany("audio", [5, 99_999_999, 6], { chunkSize: 2 });
    expect(many.items.map((i) => [i.id, i.status])).toEqual([
      [5, status(5)],
      [99_999_999, "not_found"],
      [6, status(6)],
    ]);

    const byId = await live.client.embeddings.search("lyrics", { id: 5, k: 5 });
    expect(byId.neighbors).toHaveLength(5);
    expect(byId.neighbors.map((n) => n.id)).not.toContain(5);
    const byVector = await live.client.embeddings.search("lyrics", {
      vector: one.vector as number[],
      k: 6,
      include_features: ["track_profile:title_length"],
    });
    expect(byVector.neighbors[0]).toMatchObject({ id: 5 });
    expect(byVector.neighbors.slice(1).map((n) => n.id)).toEqual(byId.neighbors.map((n) => n.id));
    expect(byVector.neighbors[0]?.features?.["track_profile@1:title_length"]?.status).toBe("present");
  });

  it("filters neighbours on features", async () => {
    const found = await live.client.embeddings.search("lyrics", {
      id: 5,
      k: 10,
      filters: [{ feature: "track_profile:title_length", op: "gte", value: 15 }],
      include_features: ["track_profile:title_length"],
    });
    for (const n of found.neighbors) {
      expect(n.features?.["track_profile@1:title_length"]?.value as number).toBeGreaterThanOrEqual(15);
    }
  });
});

describe("registry", () => {
  it("lists entities, views, versions, services, embeddings and datasets", async () => {
    const { registry } = live.client;
    expect((await registry.entities()).map((e) => [e.name, e.key_type])).toEqual(
      expect.arrayContaining([
        ["track", "int"],
        ["artist", "string"],
      ]),
    );
    const latest = await registry.views({ entity: "track", latest: true });
    expect(latest.every((v) => v.is_latest && v.entity === "track")).toBe(true);
    expect(latest.map((v) => v.ref)).toContain("qwen_analysis@2");

    const qwen = await registry.view("qwen_analysis");
    expect(qwen.latest_version).toBe(2);
    const v2 = await registry.version("qwen_analysis", 2);
    expect(v2.compiled.ddl).toMatch(/create table/i);
    expect(v2.drift?.against).toBe("qwen_analysis@1");

    expect((await registry.services()).map((s) => s.name)).toEqual(
      expect.arrayContaining(["hit_predictor", "mood_board"]),
    );
    expect((await registry.embeddings()).map((e) => e.ref)).toEqual(
      expect.arrayContaining(["lyrics@1", "audio@1", "analysis@1"]),
    );
    const [dataset] = await registry.datasets();
    expect(dataset?.name).toBe("public");
    expect((await registry.dataset("public")).query.text).toMatch(/select/i);
    await expect(registry.view("nope")).rejects.toBeInstanceOf(NotFoundError);
  });

  it("gives `rapfs codegen --url` the same types as the definitions it was applied from", async () => {
    const fromServer = await modelFromServer(live.client);
    const fromFiles = await modelFromDefinitions(live.services.config.definitionsDir);
    expect(renderRegistryTypes(fromServer, "x")).toBe(renderRegistryTypes(fromFiles, "x"));
  });
});

describe("signup, keys and usage", () => {
  it("signs up without a key, then lists, creates, rotates and revokes keys and reads usage", async () => {
    const anonymous = new RapFS({ baseURL: live.url, apiKey: "rapfs_ignored_by_signup" });
    const { account, key } = await anonymous.signup({ email: "mc@example.com", name: "MC" });
    expect(account.tier).toBe("free");
    expect(key.key).toMatch(/^rapfs_/);
    await expect(anonymous.signup({ email: "mc@example.com" })).rejects.toBeInstanceOf(ConflictError);

    const mc = new RapFS({ baseURL: live.url, apiKey: key.key, maxRetries: 0 });
    expect((await mc.keys.list()).map((k) => k.id)).toEqual([key.id]);
    const created = await mc.keys.create({ name: "notebook", scopes: ["features:read"] });
    expect(created.scopes).toEqual(["features:read"]);
    const reader = new RapFS({ baseURL: live.url, apiKey: created.key, maxRetries: 0 });
    expect((await reader.features.get("track", 1, { features: ["track_profile:title_length"] })).id).toBe(1);

    const rotated = await mc.keys.rotate(created.id, { grace_seconds: 0 });
    expect(rotated.previous.id).toBe(created.id);
    await expect(reader.features.get("track", 1, { service: "mood_board" })).rejects.toBeInstanceOf(
      AuthenticationError,
    );
    const revoked = await mc.keys.revoke(rotated.id);
    expect(revoked.status).toBe("revoked");
    expect((await mc.keys.list()).map((k) => k.status)).toEqual(
      expect.arrayContaining(["active", "revoked"]),
    );

    const usage = await mc.usage({ days: 7 });
    expect(usage.tier).toBe("free");
    expect(usage.windows.map((w) => w.policy)).toContain("requests");
    expect(usage.history[0]?.requests).toBeGreaterThan(0);
  });
});

describe("admin", () => {
  it("iterates every account page by page, and updates one", async () => {
    const anonymous = new RapFS({ baseURL: live.url, apiKey: null });
    const signedUp = await Promise.all(
      ["a", "b", "c"].map((n) => anonymous.signup({ email: `admin-list-${n}@example.com` })),
    );
    const ids: string[] = [];
    for await (const account of live.client.admin.accounts.list({ limit: 2 })) ids.push(account.id);
    const inDb = await live.services.sql<{ id: string }[]>`select id from accounts order by created_at, id`;
    expect(ids).toEqual(inDb.map((r) => r.id));
    expect(ids).toEqual(expect.arrayContaining(signedUp.map((s) => s.account.id)));

    const first = await live.client.admin.accounts.list({ limit: 2 });
    expect(first.items).toHaveLength(2);
    expect(first.hasNextPage()).toBe(ids.length > 2);

    const id = signedUp[0]?.account.id as string;
    expect(await live.client.admin.accounts.update(id, { tier: "pro" })).toMatchObject({ id, tier: "pro" });
  });
});

describe("datasets", () => {
  it("describes a dataset with its card", async () => {
    const card = await live.client.datasets.card("public", { limit: 50 });
    expect(card).toMatchObject({ name: "public", kind: "dataset", entity: "track" });
    expect(card.rows).toBeGreaterThan(0);
    expect(card.rows).toBeLessThanOrEqual(50);
    expect(card.columns.map((c) => c.name)).toContain("track_id");
  });

  it("streams CSV with progress, and tells rows, version and filename", async () => {
    const progress: number[] = [];
    const download = live.client.datasets.download("public", {
      format: "csv",
      limit: 20,
      features: ["track_profile:popularity", "qwen_analysis:mood"],
      onProgress: (p) => progress.push(p.bytes),
    });
    const text = await download.text();
    const info = await download.info();
    const [header, ...lines] = text.trim().split(/\r?\n/);
    expect(header).toBe("track_id,track_profile__popularity,qwen_analysis__mood");
    expect(lines).toHaveLength(20);
    // Answered before its rows were counted (they surely fit the day's): said only when known.
    if (info.rows !== undefined) expect(info.rows).toBe(20);
    expect(info).toMatchObject({ format: "csv", charged: true });
    expect(info.filename).toMatch(/\.csv$/);
    expect(progress.at(-1)).toBe(new TextEncoder().encode(text).byteLength);
    await expect(download.text()).rejects.toThrow(/already been read/);
  });

  it("reads an Arrow stream into a Table equal to the online values, and writes Parquet to a file", async () => {
    const table = await live.client.datasets.download("service:mood_board", { limit: 30 }).toArrowTable();
    expect(table.numRows).toBe(30);
    const first = table.get(0)?.toJSON() as Record<string, unknown>;
    const online = await live.client.features.get("track", first.track_id as number, {
      service: "mood_board",
    });
    expect(first.qwen_analysis__mood).toBe(online.features["qwen_analysis@2:mood"]?.value);

    const dir = mkdtempSync(join(tmpdir(), "rapfs-sdk-"));
    const path = join(dir, "public.parquet");
    const written = await live.client.datasets.download("public", { limit: 40 }).toFile(path);
    const bytes = readFileSync(path);
    expect(bytes.byteLength).toBe(written);
    expect(bytes.subarray(0, 4).toString()).toBe("PAR1");
    expect(readdirSync(dir)).toEqual(["public.parquet"]);
    rmSync(dir, { recursive: true });
  });

  it("reads a Parquet download into the same Table as the JSON download's rows (parquet-wasm)", async () => {
    const table = await live.client.datasets
      .download("service:mood_board", { limit: 25, format: "parquet" })
      .toArrowTable();
    const rows: Record<string, unknown>[] = [];
    for await (const row of live.client.datasets
      .download("service:mood_board", { limit: 25, format: "json" })
      .records())
      rows.push(row);
    expect(table.numRows).toBe(25);
    expect(table.schema.fields.map((f) => f.name)).toEqual(Object.keys(rows[0] as object));
    for (const [i, row] of rows.entries()) {
      const got = table.get(i)?.toJSON() as Record<string, unknown>;
      expect(Object.fromEntries(Object.entries(got).map(([k, v]) => [k, asJson(v)]))).toEqual(row);
    }
    const csv = live.client.datasets.download("service:mood_board", { limit: 5, format: "csv" });
    await expect(csv.toArrowTable()).rejects.toThrow(
      /reads the arrow and parquet formats; this download is csv/,
    );
  });

  it("streams NDJSON rows with the JSON API's types, equal to the online values", async () => {
    const rows: Record<string, unknown>[] = [];
    const download = live.client.datasets.download("service:mood_board", { limit: 20, format: "json" });
    for await (const row of download.records()) rows.push(row);
    expect(rows).toHaveLength(20);
    const first = rows[0] as Record<string, unknown>;
    const online = await live.client.features.get("track", first.track_id as number, {
      service: "mood_board",
    });
    expect(first.qwen_analysis__mood).toBe(online.features["qwen_analysis@2:mood"]?.value);
  });

  it("joins label rows with features as they were at each timestamp", async () => {
    const rows = [
      { track_id: 1, event_timestamp: "2030-01-01T00:00:00Z", label: 1 },
      { track_id: 2, event_timestamp: "2000-01-01T00:00:00Z", label: 0 },
    ];
    const text = await live.client.datasets
      .training(rows, { format: "csv", features: ["track_profile:title_length"] })
      .text();
    const [header, late, early] = text.trim().split(/\r?\n/);
    expect(header?.split(",")).toEqual([
      "track_id",
      "event_timestamp",
      "label",
      "track_profile__title_length",
    ]);
    expect(late).toMatch(/^1,.*,1,\d+$/);
    // Nothing was analyzed before 2000: the row is there, its features empty.
    expect(early).toMatch(/^2,.*,0,$/);
  });
});

/** An Arrow cell as the JSON download writes it: whole numbers for int64, ISO strings for timestamps, plain arrays for lists. */
function asJson(value: unknown): unknown {
  if (typeof value === "bigint") return Number(value);
  if (value instanceof Date) return value.toISOString();
  if (value && typeof value === "object" && Symbol.iterator in value)
    return Array.from(value as Iterable<unknown>, asJson);
  return value;
}
