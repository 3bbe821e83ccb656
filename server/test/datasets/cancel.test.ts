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
    // The answer went out at once; its body, cut when the client left, never ends as a file.
    const answer = await response;
    if (answer instanceof Response) await expect(answer.arrayBuffer()).rejects.toThrow();
  });

  it("stops an as_of card once every client asking for it has gone, not when the first one goes", async () => {
    const card = (asOf: string, signal: AbortSignal) =>
      get(h, `/v1/datasets/public?as_of=${asOf}`, { key: h.keys.pro, signal }).catch((error: Error) => error);
    // Two clients of one card: the first leaves, the second gets the card.
    const first = new AbortController();
    const second = new AbortController();
    const left = card("2024-06-01T00:00:00Z", first.signal);
    const stayed = card("2024-06-01T00:00:00Z", second.signal);
    await expect.poll(() => workTables(h), { timeout: 30_000, interval: 20 }).toBeGreaterThan(0);
    first.abort();
    await left;
    const answer = await stayed;
    expect(answer instanceof Response ? answer.status : answer).toBe(200);

    // One client, gone: its work stops, its tables go and its slot returns.
    const alone = new AbortController();
    const abandoned = card("2024-07-01T00:00:00Z", alone.signal);
    await expect.poll(() => workTables(h), { timeout: 30_000, interval: 20 }).toBeGreaterThan(0);
    alone.abort();
    await abandoned;
    await expect.poll(() => workTables(h), { timeout: 1_000, interval: 20 }).toBe(0);
    await expect.poll(() => h.datasets.spool.busySlots, { timeout: 1_000 }).toBe(0);
  });
});
