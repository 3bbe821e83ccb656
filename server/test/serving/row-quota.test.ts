import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import type { RunningServer } from "../../src/runtime/start-server";
import { call, startServing } from "./support";

const ROWS_PER_DAY = 30;

function rowsRemaining(headers: Headers): number {
  const match = /"rows";r=(\d+)/.exec(headers.get("ratelimit") ?? "");
  if (!match) throw new Error(`no rows window in RateLimit: ${headers.get("ratelimit")}`);
  return Number(match[1]);
}

describe("row quotas on batch reads and searches", () => {
  let server: RunningServer;
  let key: string;
  beforeAll(async () => {
    server = await startServing({
      env: { RAPFS_TIERS: JSON.stringify({ free: { requests: 1000, rows: ROWS_PER_DAY, downloads: 3 } }) },
    });
    const signup = await call(server, "/v1/signup", {
      json: { email: "quota@example.com" },
      headers: { authorization: "" },
    });
    key = (signup.body as { key: { key: string } }).key.key;
  });
  afterAll(() => server?.shutdown());

  const as = (path: string, json: unknown) =>
    call(server, path, { json, headers: { authorization: `Bearer ${key}` } });

  it("spends a batch's id count, refuses a batch that does not fit whole, and charges searches k", async () => {
    const first = await as("/v1/features/track/batch", {
      ids: Array.from({ length: 20 }, (_, i) => i + 1),
      service: "hit_predictor",
    });
    expect(first.status).toBe(200);
    expect(rowsRemaining(first.headers)).toBe(ROWS_PER_DAY - 20);

    const tooMany = await as("/v1/features/track/batch", {
      ids: Array.from({ length: 11 }, (_, i) => i + 1),
      service: "hit_predictor",
    });
    expect(tooMany.status).toBe(429);
    expect(tooMany.headers.get("content-type")).toContain("application/problem+json");
    expect(Number(tooMany.headers.get("retry-after"))).toBeGreaterThan(0);

    const vectors = await as("/v1/embeddings/lyrics/batch", { ids: [1, 2, 3, 4, 5] });
    expect(vectors.status).toBe(200);
    expect(rowsRemaining(vectors.headers)).toBe(ROWS_PER_DAY - 25);

    const search = await as("/v1/embeddings/lyrics/search", { id: 1, k: 5 });
    expect(search.status).toBe(200);
    expect(rowsRemaining(search.headers)).toBe(0);

    const spent = await as("/v1/embeddings/lyrics/search", { id: 1, k: 1 });
    expect(spent.status).toBe(429);
  });

  it("refuses a batch wider than 100 ids that cannot fit before reading anything", async () => {
    const reads = vi.spyOn(server.services.serving.features, "read");
    try {
      const wide = await as("/v1/features/track/batch", {
        ids: Array.from({ length: 101 }, (_, i) => i + 1),
        service: "hit_predictor",
      });
      // More than a whole day's rows: 403 EXCEEDS_QUOTA; the read used to start beside the spend.
      expect(wide.status).toBe(403);
      expect(reads).not.toHaveBeenCalled();
    } finally {
      reads.mockRestore();
    }
  });

  it("gives a search's rows back when it sends no neighbours", async () => {
    const signup = await call(server, "/v1/signup", {
      json: { email: "quota-search@example.com" },
      headers: { authorization: "" },
    });
    const own = (signup.body as { key: { key: string } }).key.key;
    const headers = { authorization: `Bearer ${own}` };
    const wrongSize = await call(server, "/v1/embeddings/lyrics/search", {
      json: { vector: [0.1, 0.2, 0.3], k: 7 },
      headers,
    });
    expect(wrongSize.status).toBe(400);
    const found = await call(server, "/v1/embeddings/lyrics/search", { json: { id: 1, k: 3 }, headers });
    expect(found.status).toBe(200);
    // Only the search that answered spent rows (the refused one spent its request).
    expect(rowsRemaining(found.headers)).toBe(ROWS_PER_DAY - 3);
  });
});
