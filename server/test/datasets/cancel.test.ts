import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type DatasetsHarness, datasetsHarness, get } from "./support";

const workTables = async (h: DatasetsHarness) =>
  (
    await h.db.sql<{ n: number }[]>`
    select count(*)::int as n from pg_tables where tablename like 'rapfs\\_work\\_%'`
  )[0]?.n ?? 0;

/** A client that goes away takes its work with it: nobody else wants the file. */
describe("a disconnected client's work stops", () => {
  let h: DatasetsHarness;
  beforeAll(async () => {
    h = await datasetsHarness();
  });
  afterAll(async () => {
    await h?.close();
  });

  it("stops a point-in-time training job between two slices, its work tables dropped, within a second", async () => {
    const rows = Array.from({ length: 60_000 }, (_, i) => ({
      track_id: (i % 500) + 1,
      event_timestamp: new Date(Date.UTC(2020, 0, 1) + i * 3_600_000).toISOString(),
    }));
    const client = new AbortController();
    const response = get(h, "/v1/datasets/training?dataset=public&format=parquet", {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify(rows),
      signal: client.signal,
    }).catch((error: Error) => error);
    await expect.poll(() => workTables(h), { timeout: 30_000, interval: 20 }).toBeGreaterThan(0);
    client.abort();
    await expect.poll(() => workTables(h), { timeout: 1_000, interval: 20 }).toBe(0);
    const answer = await response;
    expect(answer instanceof Response ? answer.status : 0).not.toBe(200);
  });
});
