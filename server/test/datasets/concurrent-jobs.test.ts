import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type DatasetsHarness, datasetsHarness, get } from "./support";

/**
 * Bulk jobs share the embedded database's bulk connection: a binary COPY range of one job and
 * any statement of another must not meet on it (postgres.js refuses a query sent during a COPY).
 */
describe("bulk jobs at the same time on the embedded database", () => {
  let h: DatasetsHarness;
  beforeAll(async () => {
    h = await datasetsHarness({ RAPFS_TIERS: JSON.stringify({ pro: { downloads: 100_000 } }) });
  });
  afterAll(async () => {
    await h?.close();
  });

  it("cards, Parquet and Arrow downloads at instants of their own all succeed", async () => {
    const asOf = (i: number) => new Date(Date.UTC(2025, 5, 1) + i * 86_400_000).toISOString();
    const statuses: number[] = [];
    await Promise.all(
      [0, 1, 2, 3].map(async (client) => {
        for (let n = 0; n < 4; n++) {
          const i = client * 10 + n;
          for (const path of [
            `/v1/datasets/public?as_of=${asOf(i)}`,
            `/v1/datasets/public/download?format=parquet&as_of=${asOf(i + 100)}`,
            `/v1/datasets/public/download?format=arrow&as_of=${asOf(i + 200)}`,
          ]) {
            statuses.push(await untilServed(path));
          }
        }
      }),
    );
    // Every one of them, as a client that honours 503's Retry-After gets it: one failure fails.
    expect(statuses).toEqual(statuses.map(() => 200));
  }, 240_000);

  /** The final status of `path` for a client that comes back after a 503 (busy: every slot taken), up to 30 times. */
  async function untilServed(path: string): Promise<number> {
    for (let attempt = 1; ; attempt++) {
      const response = await get(h, path);
      await response.arrayBuffer().catch(() => {});
      if (response.status !== 503 || attempt === 30) return response.status;
      const retryAfter = Number(response.headers.get("retry-after") ?? 1);
      await new Promise((resolve) => setTimeout(resolve, Math.min(retryAfter, 1) * 1000));
    }
  }
});
