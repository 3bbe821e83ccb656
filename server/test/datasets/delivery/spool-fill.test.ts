import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  bytes,
  type DatasetsHarness,
  datasetsHarness,
  expectProblem,
  get,
  readArrowIpc,
  readParquetWasm,
} from "../support";

/**
 * With RAPFS_SPOOL_MAX_BYTES set, what a key makes the server keep is what it pays for: a public
 * Parquet or Arrow download with a `limit` of its own choosing is a file of its own (a download
 * of the free tier's three a day), a CSV or NDJSON one is read from the whole file everybody
 * shares, and the shared files (the whole public file, previews of at most 100 rows such as the
 * quick start's `limit=5`) spend only their bytes and are always served, even while files being
 * read fill the spool.
 */
describe("the spool cannot be filled for free", () => {
  let h: DatasetsHarness;
  beforeAll(async () => {
    h = await datasetsHarness({ RAPFS_SPOOL_MAX_BYTES: "100000" });
  });
  afterAll(async () => {
    await h?.close();
  });

  it("each public Parquet or Arrow download at a limit of the key's choosing spends a download: three a day on the free tier", async () => {
    const key = await h.freeKey();
    const limited = (limit: number) =>
      get(h, `/v1/datasets/public/download?format=${limit % 2 === 0 ? "parquet" : "arrow"}&limit=${limit}`, {
        key,
      });
    for (const limit of [150, 151, 152]) {
      const response = await limited(limit);
      expect(response.status, await response.clone().text()).toBe(200);
      expect(response.headers.get("rapfs-download-charged")).toBe("true");
      await bytes(response);
    }
    const refused = await expectProblem(await limited(153), 429, "RATE_LIMITED");
    expect(refused.policy).toBe("downloads");
    // A repeat is not a new file; the shared ones spend no download.
    const repeat = await limited(150);
    expect(repeat.headers.get("rapfs-download-charged")).toBe("false");
    await bytes(repeat);
    for (const path of ["format=csv&limit=5", "format=json&limit=100", "format=csv"]) {
      const shared = await get(h, `/v1/datasets/public/download?${path}`, { key });
      expect(shared.status, path).toBe(200);
      expect(shared.headers.get("rapfs-download-charged")).toBe("false");
      await bytes(shared);
    }
  });

  it("the quick start's public download is served while files being read fill the spool", async () => {
    // A client that never reads its download keeps the file pinned.
    const pinned = await get(h, "/v1/datasets/public/download?format=arrow&limit=2000");
    expect(pinned.status).toBe(200);
    try {
      await expect
        .poll(() => h.datasets.spool.boundedBytes, { timeout: 30_000 })
        .toBeGreaterThanOrEqual(100_000);
      const another = await get(h, "/v1/datasets/public/download?format=arrow&limit=2001");
      expect((await expectProblem(another, 503)).detail).toMatch(/spool is full/);
      const key = await h.freeKey();
      for (const path of ["format=csv&limit=5", "format=csv", "format=parquet"]) {
        const shared = await get(h, `/v1/datasets/public/download?${path}`, { key });
        expect(shared.status, `${path}: ${await shared.clone().text()}`).toBe(200);
        expect((await bytes(shared)).byteLength).toBeGreaterThan(0);
      }
    } finally {
      await pinned.body?.cancel();
    }
  });

  it("keeps the whole shared file while files of callers' choosing come and go: a limit read from it encodes nothing again", async () => {
    const whole = await (await get(h, "/v1/datasets/public/download?format=json")).text();
    expect(Buffer.byteLength(whole)).toBeGreaterThan(100_000); // over the bound by itself
    for (const limit of [3_001, 3_002, 3_003]) {
      const own = await get(h, `/v1/datasets/public/download?format=parquet&limit=${limit}`);
      expect(own.status).toBe(200);
      await bytes(own);
    }
    // Evicted for them, the next NDJSON limit encoded the whole dataset again.
    expect(h.datasets.spool.bytes).toBeGreaterThanOrEqual(Buffer.byteLength(whole));
    const limited = await get(h, "/v1/datasets/public/download?format=json&limit=101");
    expect(await limited.text()).toBe(`${whole.split("\n").slice(0, 101).join("\n")}\n`);
  });

  it("a CSV or NDJSON download at any limit is the first rows of the shared whole file: no download spent, no file kept", async () => {
    const key = await h.freeKey();
    const whole = {
      csv: await (await get(h, "/v1/datasets/public/download?format=csv", { key })).text(),
      json: await (await get(h, "/v1/datasets/public/download?format=json", { key })).text(),
    };
    const csvLines = whole.csv.split("\r\n");
    const jsonLines = whole.json.split("\n");
    const kept = h.datasets.spool.bytes;
    for (const limit of [101, 777, 1_000_000]) {
      const csv = await get(h, `/v1/datasets/public/download?format=csv&limit=${limit}`, { key });
      expect(csv.status).toBe(200);
      expect(csv.headers.get("rapfs-download-charged")).toBe("false");
      expect(csv.headers.get("accept-ranges")).toBe("none");
      const rows = Math.min(limit, csvLines.length - 2);
      expect(await csv.text()).toBe(`${csvLines.slice(0, rows + 1).join("\r\n")}\r\n`);
      const json = await get(h, `/v1/datasets/public/download?format=json&limit=${limit}`, { key });
      expect(await json.text()).toBe(
        `${jsonLines.slice(0, Math.min(limit, jsonLines.length - 1)).join("\n")}\n`,
      );
    }
    expect(h.datasets.spool.bytes).toBe(kept); // nothing new kept for the limits
  });

  it("a Parquet or Arrow limit past the dataset's rows is the whole file at hand: no download spent, no file kept", async () => {
    const key = await h.freeKey();
    for (const format of ["parquet", "arrow"]) {
      const wholeResponse = await get(h, `/v1/datasets/public/download?format=${format}`, { key });
      const whole = Buffer.from(await bytes(wholeResponse));
      const rows = (format === "parquet" ? readParquetWasm(whole) : readArrowIpc(whole)).rows.length;
      expect(rows).toBeGreaterThan(100);
      const kept = h.datasets.spool.bytes;
      for (const limit of [rows, rows + 1, 1_000_000]) {
        const limited = await get(h, `/v1/datasets/public/download?format=${format}&limit=${limit}`, { key });
        expect(limited.status).toBe(200);
        expect(limited.headers.get("rapfs-download-charged"), `${format} limit=${limit}`).toBe("false");
        expect(limited.headers.get("etag")).toBe(wholeResponse.headers.get("etag"));
        expect(Buffer.from(await bytes(limited)).equals(whole)).toBe(true);
      }
      expect(h.datasets.spool.bytes).toBe(kept);
    }
    // Below the rows it is still a file of the caller's choosing: a download spent.
    const own = await get(h, "/v1/datasets/public/download?format=parquet&limit=150", { key });
    expect(own.headers.get("rapfs-download-charged")).toBe("true");
    await bytes(own);
  });
});
