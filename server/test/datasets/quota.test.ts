import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { bytes, type DatasetsHarness, datasetsHarness, expectProblem, get } from "./support";

/** The free tier: 3 downloads and 10,000 rows a day (access/tiers.ts). */
describe("downloads spend the key's quotas once per request and day; retries and resumes are free", () => {
  let h: DatasetsHarness;
  beforeAll(async () => {
    h = await datasetsHarness();
  });
  afterAll(async () => {
    await h?.close();
  });

  it("a retry is not charged again, a Range resume continues the same bytes, and the quota then runs out", async () => {
    const key = h.keys.free;
    const a = "/v1/datasets/public/download?format=csv&limit=100";
    const first = await get(h, a, { key });
    expect(first.headers.get("rapfs-download-charged")).toBe("true");
    const whole = Buffer.from(await bytes(first));
    const etag = first.headers.get("etag") as string;

    const retry = await get(h, a, { key });
    expect(retry.status).toBe(200);
    expect(retry.headers.get("rapfs-download-charged")).toBe("false");
    expect(Buffer.from(await bytes(retry)).equals(whole)).toBe(true);

    const resumed = await get(h, a, { key, headers: { range: "bytes=1000-", "if-range": etag } });
    expect(resumed.status).toBe(206);
    expect(resumed.headers.get("content-range")).toBe(`bytes 1000-${whole.length - 1}/${whole.length}`);
    expect(Buffer.from(await bytes(resumed)).equals(whole.subarray(1000))).toBe(true);

    // Two more downloads fill the day's three; a fourth is refused before any byte.
    for (const limit of [101, 102]) {
      const response = await get(h, `/v1/datasets/public/download?format=csv&limit=${limit}`, { key });
      expect(response.headers.get("rapfs-download-charged")).toBe("true");
      await response.arrayBuffer();
    }
    const problem = await expectProblem(
      await get(h, "/v1/datasets/public/download?limit=103", { key }),
      429,
      "RATE_LIMITED",
    );
    expect(problem.detail).toMatch(/dataset downloads/);
  });

  it("a retry is served even after the day's downloads are spent", async () => {
    const key = await h.freeKey();
    const a = "/v1/datasets/public/download?format=csv&limit=100";
    for (const path of [a, `${a}1`, `${a}2`]) await (await get(h, path, { key })).arrayBuffer();
    await expectProblem(await get(h, `${a}3`, { key }), 429, "RATE_LIMITED");
    const later = await get(h, a, { key });
    expect(later.status).toBe(200);
    expect(later.headers.get("rapfs-download-charged")).toBe("false");
  });

  it("rows count against the row quota: a download larger than what is left is refused whole", async () => {
    const key = await h.freeKey();
    const rows = Array.from({ length: 10_001 }, (_, i) => ({
      track_id: (i % 500) + 1,
      event_timestamp: "2025-06-01",
    }));
    const response = await get(h, "/v1/datasets/training?features=qwen_analysis@2:mood", {
      key,
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify(rows),
    });
    const problem = await expectProblem(response, 429, "RATE_LIMITED");
    expect(problem.detail).toMatch(/entity rows/);
    // Nothing was spent: the same key still downloads.
    const ok = await get(h, "/v1/datasets/public/download?limit=10", { key });
    expect(ok.status).toBe(200);
    expect(ok.headers.get("rapfs-rows")).toBe("10");
  });
});

describe("dataset cards: whole-dataset work is charged and admitted as a download", () => {
  let h: DatasetsHarness;
  beforeAll(async () => {
    h = await datasetsHarness({ RAPFS_DOWNLOAD_CONCURRENCY: "1" });
  });
  afterAll(async () => {
    await h?.close();
  });

  it("a card per invented as_of spends the free key's downloads; a cached card costs nothing more", async () => {
    const key = await h.freeKey();
    const card = (asOf: string) => get(h, `/v1/datasets/public?as_of=${asOf}`, { key });
    const days = ["2029-01-01T00:00:00Z", "2029-01-02T00:00:00Z", "2029-01-03T00:00:00Z"];
    for (const day of days) expect((await card(day)).status).toBe(200);
    // The same cards again: cached, not charged.
    for (const day of days) expect((await card(day)).status).toBe(200);
    // A fourth instant would read the whole dataset again: the day's downloads are spent.
    const refused = await expectProblem(await card("2029-01-04T00:00:00Z"), 429, "RATE_LIMITED");
    expect(refused.policy).toBe("downloads");
  });

  it("takes a download slot: while one is computing, another is 503 with Retry-After", async () => {
    const slow = h.datasets.spool.admit(() => new Promise((resolve) => setTimeout(resolve, 500)));
    const busy = await get(h, "/v1/datasets/public?as_of=2030-05-05T00:00:00Z");
    const problem = await expectProblem(busy, 503);
    expect(busy.headers.get("retry-after")).toBe("5");
    expect(problem.detail).toMatch(/Too many downloads/);
    await slow;
    expect((await get(h, "/v1/datasets/public?as_of=2030-05-05T00:00:00Z")).status).toBe(200);
  });
});
