import { describe, expect, it } from "vitest";
import { hnswIndexDdl, hnswIndexSpec } from "../../src/definitions/compile/embedding";
import { autoMaintenanceWorkMem, graphBytesPerRow } from "../../src/definitions/hnsw-build";
import { embeddingSchema } from "../../src/definitions/schema";
import {
  DEFAULT_TUNING,
  distrust,
  exactFilteredLimit,
  maxScanTuples,
  scanMemMultiplier,
} from "../../src/serving/hnsw-search";

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
    // The query's own k-th neighbour is at 0.3: filtered rows up to 1.5 × 0.3 are trusted.
    expect(distrust(3, rows(0.3, 0.4, 0.44), own, "7")).toBeUndefined();
    expect(distrust(3, rows(0.3, 0.4, 0.46), own, "7")).toBe("far");
    // By vector there is no own row to find.
    expect(distrust(3, rows(0.1, 0.2, 0.3), rows(0.1, 0.2, 0.3, 0.4), undefined)).toBeUndefined();
  });
});
