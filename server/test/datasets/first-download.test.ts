import { type DownloadProgress, RapFS } from "@rapfs/sdk";
import type { Table } from "apache-arrow";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type DatasetsHarness, datasetsHarness, get } from "./support";

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

describe("the first download of public through the SDK, on a database slower than the client's timeout", () => {
  let h: DatasetsHarness;
  let client: RapFS;

  beforeAll(async () => {
    h = await datasetsHarness({}, { settings: { rowGroupRows: ROW_GROUP_ROWS } });
    const bulk = h.db.bulk;
    const reserve = bulk.reserve.bind(bulk);
    // Every bulk read (a count's range, an encoding's range) takes its connection this much later.
    bulk.reserve = (async () => {
      await new Promise((resolve) => setTimeout(resolve, SLOW_READ_MS));
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
});
