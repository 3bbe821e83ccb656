import { type DownloadProgress, RapFS } from "@rapfs/sdk";
import type { Table } from "apache-arrow";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { bytes, type DatasetsHarness, datasetsHarness, get, readCsv } from "./support";

/** What each bulk read of the database waits before its statement: a database slower than the client's timeout. */
const SLOW_READ_MS = 250;
/**
 * The client's timeout. The slowed database takes longer than this to go through public once
 * (about 30 reads, ≥ 7.5 s), and much less between two row groups (about 4 reads): a wait for a
 * whole encoding times out, a wait between bytes does not.
 */
const TIMEOUT_MS = 5_000;
/** Row groups small enough that the scale-0.01 public (~470 rows) is written in several. */
const ROW_GROUP_ROWS = 64;

/** Bulk reads as a test holds them: until `held` settles, or failing. */
const reads: { held: Promise<void> | undefined; failing: boolean; events: string[] } = {
  held: undefined,
  failing: false,
  events: [],
};

describe("the first download of public through the SDK, on a database slower than the client's timeout", () => {
  let h: DatasetsHarness;
  let client: RapFS;

  beforeAll(async () => {
    h = await datasetsHarness({}, { settings: { rowGroupRows: ROW_GROUP_ROWS } });
    const bulk = h.db.bulk;
    const reserve = bulk.reserve.bind(bulk);
    // Every bulk read (a count's range, an encoding's range) takes its connection this much later,
    // and waits for `reads.held` when a test holds them.
    bulk.reserve = (async () => {
      await new Promise((resolve) => setTimeout(resolve, SLOW_READ_MS));
      if (reads.failing) throw new Error("the database went away");
      if (reads.held) {
        await reads.held;
        reads.events.push("rows read");
      }
      return reserve();
    }) as typeof bulk.reserve;
    // The client as a user makes it (default retries), its timeout made small to match the database.
    client = new RapFS({
      apiKey: h.keys.pro,
      baseURL: "http://rapfs.test",
      timeout: TIMEOUT_MS,
      fetch: async (url, init) => h.app.request(url, init),
    });
  }, 180_000);
  afterAll(async () => {
    await h?.close();
  });

  it("streams the file as it is encoded and reads whole, while other reads go on; the next caller gets it with its length", async () => {
    const card = (await (await get(h, "/v1/datasets/public")).json()) as { rows: number };
    expect(card.rows).toBeGreaterThan(ROW_GROUP_ROWS * 3);

    // Other load beside it: feature reads, one after another, until the download is done.
    let downloading = true;
    let lookups = 0;
    const load = (async () => {
      for (let i = 0; downloading && i < 2_000; i++) {
        const res = await get(h, `/v1/features/track/${(i % 50) + 1}?features=track_profile:popularity`);
        expect([200, 404]).toContain(res.status);
        lookups++;
        await new Promise((resolve) => setTimeout(resolve, 10));
      }
    })();

    const progress: (DownloadProgress & { encoding: boolean })[] = [];
    const encoding = () =>
      [...(h.datasets.spool as unknown as { jobs: Map<string, { state: string }> }).jobs.values()].some(
        (j) => j.state === "running",
      );
    const table = await client.datasets
      .download("public", {
        format: "parquet",
        onProgress: (p) => progress.push({ ...p, encoding: encoding() }),
      })
      .toArrowTable<Table>()
      .finally(() => {
        downloading = false;
      });
    await load;

    expect(table.numRows).toBe(card.rows);
    expect(lookups).toBeGreaterThan(0);
    // Bytes came while the file was still being encoded: its length was unknown, its rows not yet counted.
    expect(progress[0]).toMatchObject({ totalBytes: undefined, rows: undefined, encoding: true });
    expect(progress.filter((p) => p.encoding).length).toBeGreaterThan(1);

    // Kept for the next caller: the same bytes, with their length and rows.
    const again = client.datasets.download("public", { format: "parquet" });
    const info = await again.info();
    expect(info.rows).toBe(card.rows);
    const bytes = await again.bytes();
    expect((await again.response()).headers.get("content-length")).toBe(String(bytes.byteLength));
  });

  /**
   * Reads of rows wait until the client has its first byte: a response that waits for its rows
   * (a count, the point-in-time work) before answering never answers, and the SDK, with its
   * default options, times out three times and fails. One that answers at once gets its rows.
   */
  async function whileRowsWait<T>(run: (firstByte: () => void) => Promise<T>): Promise<T> {
    let release = () => {};
    reads.events = [];
    reads.held = new Promise<void>((resolve) => {
      release = resolve;
    });
    const firstByte = () => {
      if (!reads.events.includes("first byte")) reads.events.push("first byte");
      release();
    };
    try {
      return await run(firstByte);
    } finally {
      release();
      reads.held = undefined;
    }
  }
  const byDefault = () =>
    new RapFS({
      apiKey: h.keys.pro,
      baseURL: "http://rapfs.test",
      fetch: async (url, init) => h.app.request(url, init),
    });

  it("an as_of download through the SDK with default options: its first bytes come before its rows are read", async () => {
    const asOf = "2025-06-01T00:00:00Z";
    const table = await whileRowsWait((firstByte) =>
      byDefault()
        .datasets.download("public", { format: "parquet", asOf, onProgress: firstByte })
        .toArrowTable<Table>(),
    );
    expect(reads.events[0]).toBe("first byte");
    expect(reads.events).toContain("rows read");
    const card = (await (await get(h, `/v1/datasets/public?as_of=${asOf}`)).json()) as { rows: number };
    expect(card.rows).toBeGreaterThan(0);
    expect(table.numRows).toBe(card.rows);
  }, 240_000);

  it("a training set through the SDK with default options: its first bytes come before its rows are read, its rows said at once", async () => {
    const labels = Array.from({ length: 200 }, (_, i) => ({
      track_id: (i % 50) + 1,
      event_timestamp: new Date(Date.UTC(2024, 0, 1) + i * 86_400_000).toISOString(),
      label: i % 2,
    }));
    const { table, info } = await whileRowsWait(async (firstByte) => {
      const download = byDefault().datasets.training(labels, {
        dataset: "public",
        format: "parquet",
        onProgress: firstByte,
      });
      const table = await download.toArrowTable<Table>();
      return { table, info: await download.info() };
    });
    expect(reads.events[0]).toBe("first byte");
    expect(reads.events).toContain("rows read");
    expect(table.numRows).toBe(labels.length);
    expect(info.rows).toBe(labels.length);
    expect(table.getChild("label")?.toArray()).toEqual(Int32Array.from(labels, (l) => l.label));
  }, 240_000);

  it("a download that fails after its answer began is cut, not a short file, and charges nothing; a retry is charged again", async () => {
    const key = await h.freeKey();
    const path = "/v1/datasets/public/download?format=csv&as_of=2025-07-01T00:00:00Z";
    const downloadsLeft = async () => {
      const usage = (await (await get(h, "/v1/usage", { key })).json()) as {
        windows: { policy: string; remaining: number }[];
      };
      return usage.windows.find((w) => w.policy === "downloads")?.remaining;
    };
    reads.failing = true;
    let response: Response;
    try {
      response = await get(h, path, { key });
      expect(response.status).toBe(200);
      expect(response.headers.get("rapfs-download-charged")).toBe("true");
      await expect(response.arrayBuffer()).rejects.toThrow();
    } finally {
      reads.failing = false;
    }
    await expect.poll(downloadsLeft, { timeout: 5_000 }).toBe(3);
    const retry = await get(h, path, { key });
    expect(retry.headers.get("rapfs-download-charged")).toBe("true");
    expect(readCsv(await bytes(retry)).rows.length).toBeGreaterThan(0);
    expect(await downloadsLeft()).toBe(2);
  }, 240_000);
});
