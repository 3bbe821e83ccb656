import { describe, expect, it } from "vitest";
import type { Sql } from "../../../src/db/database";
import { hnswIndexDdl, hnswIndexSpec } from "../../../src/definitions/compile/embedding";
import { autoMaintenanceWorkMem, graphBytesPerRow } from "../../../src/definitions/hnsw-build";
import { embeddingSchema } from "../../../src/definitions/schema";
import type { EmbeddingInfo } from "../../../src/registry";
import {
  DEFAULT_TUNING,
  distrust,
  exactFilteredLimit,
  hasGap,
  maxScanTuples,
  scanMemMultiplier,
} from "../../../src/serving/search/hnsw-search";
import { OutlierCeilings, quantileOf } from "../../../src/serving/search/outlier-ceiling";

const lyrics = {
  kind: "embedding",
  name: "lyrics",
  entity: "track",
  description: "Lyrics.",
  source: { from: "tracks", column: "lyrics_embedding" },
  dimension: 384,
  metric: "cosine",
};

describe("HNSW index options in a definition", () => {
  it("default to m 32 / ef_construction 200, with the build's memory sized from the rows", () => {
    const def = embeddingSchema.parse(lyrics);
    expect(def.hnsw).toEqual({ m: 32, ef_construction: 200 });
    const spec = hnswIndexSpec(
      {
        name: "emb_lyrics_v1_hnsw",
        relation: "tracks",
        column: "lyrics_embedding",
        metric: "cosine",
        dimension: 384,
      },
      def.hnsw,
    );
    expect(hnswIndexDdl(spec)).toBe(
      'create index "emb_lyrics_v1_hnsw" on "tracks" using hnsw ("lyrics_embedding" vector_cosine_ops) ' +
        "with (m = 32, ef_construction = 200)",
    );
    // Registry rows written before the options existed build with the defaults.
    expect(hnswIndexSpec(spec, undefined)).toEqual(spec);
  });

  it("take the author's values and refuse what pgvector would", () => {
    const custom = embeddingSchema.parse({
      ...lyrics,
      hnsw: { m: 16, ef_construction: 64, maintenance_work_mem: "1GB" },
    });
    expect(custom.hnsw).toEqual({ m: 16, ef_construction: 64, maintenance_work_mem: "1GB" });
    for (const hnsw of [
      { m: 32, ef_construction: 50 },
      { m: 1 },
      { m: 101 },
      { ef_construction: 1001 },
      { maintenance_work_mem: "lots" },
      { maintenance_work_mem: "512" },
      { efConstruction: 100 },
    ]) {
      expect(embeddingSchema.safeParse({ ...lyrics, hnsw }).success, JSON.stringify(hnsw)).toBe(false);
    }
  });

  it("size maintenance_work_mem so the full lyrics graph fits (57,718 × 384-d outgrew the default 64 MB)", () => {
    expect(graphBytesPerRow(384, 32)).toBeGreaterThan(4 * 384 + 2 * 32 * 16);
    const full = Number.parseInt(autoMaintenanceWorkMem(57_718, 384, 32), 10);
    expect(full).toBeGreaterThan(150);
    expect(full).toBeLessThan(400);
    expect(autoMaintenanceWorkMem(500, 384, 32)).toBe("64MB");
  });
});

describe("how a filtered HNSW search picks its way", () => {
  it("scans exactly up to ~2 × √((k + 1) × rows) estimated matches", () => {
    expect(exactFilteredLimit(10, 57_718)).toBe(1_594);
    expect(exactFilteredLimit(10, 1_730)).toBe(276);
    expect(exactFilteredLimit(100, 57_718)).toBe(4_829);
  });

  it("lets the index scan visit enough tuples to meet k at the estimated share, with memory to match", () => {
    expect(maxScanTuples(10, 57_718, 57_718)).toBe(20_000);
    // 2% pass: 8 × 11 / 0.02 = 4,400 tuples, under pgvector's default; 1% of 100,000 for k 100: more.
    expect(maxScanTuples(10, 1_154, 57_700)).toBe(20_000);
    expect(maxScanTuples(100, 1_000, 100_000)).toBe(80_800);
    expect(maxScanTuples(10, 1, 1, { ...DEFAULT_TUNING, maxScanTuples: 3 })).toBe(3);
    expect(scanMemMultiplier(20_000)).toBe(2);
    expect(scanMemMultiplier(80_800)).toBe(10);
    expect(scanMemMultiplier(10_000_000)).toBe(16);
  });

  it("distrusts an index answer that is short, missed the query's own row, or lies far outside its neighbourhood", () => {
    const rows = (...d: number[]) => d.map((distance, i) => ({ id: String(i + 10), distance }));
    const own = [{ id: "7", distance: 0 }, ...rows(0.1, 0.2, 0.3)];
    expect(distrust(3, rows(0.1, 0.2, 0.3), own, "7")).toBeUndefined();
    expect(distrust(3, rows(0.1, 0.2), own, "7")).toBe("short");
    expect(distrust(3, rows(0.1, 0.2, 0.3), rows(0.1, 0.2, 0.3, 0.4), "7")).toBe("unreached");
    // The query's own k-th neighbour is at 0.3: filtered rows up to 1.25 × 0.3 are trusted.
    expect(distrust(3, rows(0.3, 0.35, 0.37), own, "7")).toBeUndefined();
    expect(distrust(3, rows(0.3, 0.35, 0.38), own, "7")).toBe("far");
    // By vector there is no own row to find.
    expect(distrust(3, rows(0.1, 0.2, 0.3), rows(0.1, 0.2, 0.3, 0.4), undefined)).toBeUndefined();
  });

  it("distrusts neighbours that jump from a close group to far rows, from the third on", () => {
    const rows = (...d: number[]) => d.map((distance, i) => ({ id: String(i + 10), distance }));
    const own = (...d: number[]) => [{ id: "7", distance: 0 }, ...rows(...d)];
    // The scale-10 miss of track 129062: eight of its artist's tracks, then rows at 0.41.
    const missed = [0.167, 0.169, 0.175, 0.178, 0.21, 0.22, 0.228, 0.231, 0.409, 0.42];
    expect(distrust(10, rows(...missed), own(...missed), "7")).toBe("gap");
    expect(distrust(3, rows(0.2, 0.25, 0.37), own(0.2, 0.25, 0.37), "7")).toBeUndefined();
    expect(distrust(3, rows(0.2, 0.25, 0.375), own(0.2, 0.25, 0.375), "7")).toBe("gap");
    // The first two may be far apart (a near-duplicate, then the rest); a gap past k is not the answer's.
    expect(distrust(3, rows(0.01, 0.3, 0.4), own(0.01, 0.3, 0.4), "7")).toBeUndefined();
    expect(distrust(2, rows(0.2, 0.25), own(0.2, 0.25, 0.9), "7")).toBeUndefined();
    // By vector, the same on the neighbourhood.
    expect(distrust(3, rows(0.2, 0.25, 0.4), rows(0.2, 0.25, 0.4), undefined)).toBe("gap");
    expect(hasGap(rows(0.2, 0.25, 0.4), 2)).toBe(false);
  });

  it("distrusts a search from an outlier: its own neighbours past the ceiling at rank min(k, 10)", () => {
    const rows = (...d: number[]) => d.map((distance, i) => ({ id: String(i + 10), distance }));
    const own = [{ id: "7", distance: 0 }, ...rows(0.1, 0.2, 0.3)];
    expect(distrust(3, rows(0.1, 0.2, 0.3), own, "7", DEFAULT_TUNING, [0.1, 0.2, 0.3])).toBeUndefined();
    expect(distrust(3, rows(0.1, 0.2, 0.3), own, "7", DEFAULT_TUNING, [0.1, 0.2, 0.29])).toBe("outlier");
    // k 2 compares the 2nd neighbour; the query's own row is never one of them.
    expect(distrust(2, rows(0.1, 0.2), own, "7", DEFAULT_TUNING, [0.05, 0.2, 0.01])).toBeUndefined();
    expect(distrust(2, rows(0.1, 0.2), own, "7", DEFAULT_TUNING, [0.05, 0.19])).toBe("outlier");
    // k past the ceiling's ranks compares the neighbour at its last rank (here the 2nd).
    expect(
      distrust(
        4,
        rows(0.1, 0.2, 0.3, 0.4),
        [...own, { id: "99", distance: 0.4 }],
        "7",
        DEFAULT_TUNING,
        [0.1, 0.3],
      ),
    ).toBeUndefined();
    expect(
      distrust(
        4,
        rows(0.1, 0.2, 0.3, 0.4),
        [...own, { id: "99", distance: 0.4 }],
        "7",
        DEFAULT_TUNING,
        [0.1, 0.15],
      ),
    ).toBe("outlier");
    // Filtered: the same check, on the unfiltered neighbourhood, before the far check.
    expect(distrust(3, rows(0.3, 0.4, 0.9), own, "7", DEFAULT_TUNING, [0.1, 0.2, 0.25])).toBe("outlier");
  });

  it("takes the nearest-rank quantile, +∞ when nothing was sampled", () => {
    const values = Array.from({ length: 200 }, (_, i) => 200 - i);
    expect(quantileOf(values, 0.99)).toBe(198);
    expect(quantileOf(values, 1)).toBe(200);
    expect(quantileOf([5], 0.99)).toBe(5);
    expect(quantileOf([], 0.99)).toBe(Number.POSITIVE_INFINITY);
  });

  it("samples an embedding's ceiling once, serves a stale one while resampling, and retries a failed sample", async () => {
    let now = 0;
    const samples: Array<(ceiling: number[]) => void> = [];
    const fails: Array<(error: Error) => void> = [];
    const ceilings = new OutlierCeilings(
      { sample: 500, quantile: 0.99, maxAgeMs: 1_000 },
      () => now,
      () =>
        new Promise<number[]>((resolve, reject) => {
          samples.push(resolve);
          fails.push(reject);
        }),
    );
    const sql = {} as Sql;
    const embedding = { name: "lyrics", version: 1, indexName: "emb_lyrics_v1_hnsw" } as EmbeddingInfo;
    const settings = { efSearch: 40, maxScanTuples: 20_000, iterative: true };
    const first = ceilings.get(sql, embedding, settings);
    const again = ceilings.get(sql, embedding, settings);
    expect(samples).toHaveLength(1);
    samples[0]?.([0.2]);
    expect(await first).toEqual([0.2]);
    expect(await again).toEqual([0.2]);
    now = 1_000;
    expect(await ceilings.get(sql, embedding, settings)).toEqual([0.2]);
    expect(await ceilings.get(sql, embedding, settings)).toEqual([0.2]);
    expect(samples).toHaveLength(2);
    samples[1]?.([0.3]);
    await Promise.resolve();
    expect(await ceilings.get(sql, embedding, settings)).toEqual([0.3]);
    // Another index of the same embedding is sampled apart; a failure is not kept.
    const rebuilt = { ...embedding, indexName: "emb_lyrics_v1_hnsw_new" };
    const failed = ceilings.get(sql, rebuilt, settings);
    fails[2]?.(new Error("connection lost"));
    await expect(failed).rejects.toThrow("connection lost");
    const retried = ceilings.get(sql, rebuilt, settings);
    expect(samples).toHaveLength(4);
    samples[3]?.([0.4]);
    expect(await retried).toEqual([0.4]);
  });
});
