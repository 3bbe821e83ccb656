import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { bytes, type DatasetsHarness, datasetsHarness, get } from "../support";

const RATE = 1_000_000;

/** rapfs_download_paced_seconds_total for `tier`, 0 before its first wait. */
async function pacedSeconds(h: DatasetsHarness, tier: string): Promise<number> {
  const metric = await h.services.metrics.registry
    .getSingleMetric("rapfs_download_paced_seconds_total")
    ?.get();
  return metric?.values.find((v) => v.labels.tier === tier)?.value ?? 0;
}

/**
 * A tier's `bytes_per_second` paces its accounts' downloads (four free keys reading 67 MB files as
 * fast as loopback allows kept three server processes busy with sends: issue #38); a tier without
 * one is sent as fast as it reads. The bytes are the same either way.
 */
describe("downloads are sent at the tier's pace", () => {
  let h: DatasetsHarness;
  beforeAll(async () => {
    h = await datasetsHarness({ RAPFS_TIERS: JSON.stringify({ free: { bytes_per_second: RATE } }) });
  });
  afterAll(async () => {
    await h?.close();
  });

  it("paces a free key's two downloads at once as one, and never a pro key's", async () => {
    const whole = await bytes(await get(h, "/v1/datasets/public/download?format=json"));
    // Past the 256 KiB a caller always gets at once: the free key's pair has to wait.
    expect(whole.byteLength).toBeGreaterThan(300_000);
    expect(await pacedSeconds(h, "pro")).toBe(0);

    const key = await h.freeKey();
    const [a, b] = await Promise.all(
      ["format=json", "format=json&limit=1000000"].map(async (query) => {
        const response = await get(h, `/v1/datasets/public/download?${query}`, { key });
        expect(response.status).toBe(200);
        return bytes(response);
      }),
    );
    expect(Buffer.from(a as Uint8Array).equals(Buffer.from(whole))).toBe(true);
    expect(Buffer.from(b as Uint8Array).equals(Buffer.from(whole))).toBe(true);
    expect(await pacedSeconds(h, "free")).toBeGreaterThan(0);
    expect(await pacedSeconds(h, "pro")).toBe(0);
  });

  it("says each tier's pace in /v1/usage", async () => {
    const usage = async (key: string) => (await (await get(h, "/v1/usage", { key })).json()).limits;
    expect(await usage(h.keys.free)).toMatchObject({ bytes: 1024 ** 3, bytes_per_second: RATE });
    expect(await usage(h.keys.pro)).toMatchObject({ bytes_per_second: null });
  });
});
