import { mkdtemp, readdir, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { parquetMetadata } from "hyparquet";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { exportToFile } from "../../../src/datasets/delivery/export-file";
import { DomainError } from "../../../src/errors";
import type { ProgressEvent } from "../../../src/log/progress";
import { type DatasetsHarness, datasetsHarness, readArrowIpc, readHyparquet } from "../support";

describe("rapfs export: a file, its card beside it, and nothing half-written", () => {
  let h: DatasetsHarness;
  let dir: string;
  beforeAll(async () => {
    h = await datasetsHarness();
    dir = await mkdtemp(join(tmpdir(), "rapfs-export-"));
  });
  afterAll(async () => {
    await h?.close();
    await rm(dir, { recursive: true, force: true });
  });

  it("writes the Parquet file, <stem>.README.md and <stem>.card.json, reporting progress", async () => {
    const events: ProgressEvent[] = [];
    const out = join(dir, "public.parquet");
    const result = await exportToFile(
      h.db.sql,
      { dataset: "public" },
      {
        out,
        format: "parquet",
        progress: (e) => events.push(e),
      },
    );
    expect((await readdir(dir)).sort()).toEqual(["public.README.md", "public.card.json", "public.parquet"]);
    const rows = await readHyparquet(new Uint8Array(await readFile(out)));
    expect(rows.length).toBe(result.rows);
    const card = JSON.parse(await readFile(result.cardJson, "utf8"));
    expect(card).toMatchObject({
      name: "public",
      rows: result.rows,
      license: expect.stringMatching(/CC-BY-4.0/),
    });
    expect(card.columns.map((c: { name: string }) => c.name)).toEqual(Object.keys(rows[0] ?? {}));
    expect(card.quality.duplicates.groups).toBeGreaterThanOrEqual(0);
    const readme = await readFile(result.readme, "utf8");
    expect(readme).toMatch(/^# public\n/);
    expect(readme).toMatch(/\| qwen_analysis__confidence \| float \|/);
    expect(events.at(-1)).toEqual({ phase: "export public", done: result.rows, total: result.rows });
  });

  it("NDJSON: one object a line, the card beside it saying the dataset is public and which rows it holds", async () => {
    const out = join(dir, "public.ndjson");
    const result = await exportToFile(h.db.sql, { dataset: "public" }, { out, format: "json" });
    const lines = (await readFile(out, "utf8")).split("\n");
    expect(lines.pop()).toBe("");
    const rows = lines.map((line) => JSON.parse(line) as Record<string, unknown>);
    expect(rows).toHaveLength(result.rows);
    expect(Object.keys(rows[0] ?? {})[0]).toBe("track_id");
    const card = JSON.parse(await readFile(result.cardJson, "utf8"));
    expect(card).toMatchObject({ public: true, formats: ["parquet", "csv", "arrow", "json"] });
    expect(card.row_set).toMatch(
      /^Each track with a row in every view read \(track_artist@1, track_profile@1, qwen_analysis@2, emotion_scores@1, algorithmic_metrics@1; inner joins on track_id\), with artist_stats@1 through artist left-joined \(null where missing\), then only those passing every row filter/,
    );
    const readme = await readFile(result.readme, "utf8");
    expect(readme).toMatch(/- \*\*Public:\*\* downloadable whole on every tier/);
    expect(readme).toMatch(/- \*\*Rows:\*\* Each track with a row in every view read/);
  });

  it("Parquet in several row groups holds the same rows as in one", async () => {
    const one = join(dir, "one.parquet");
    const many = join(dir, "many.parquet");
    await exportToFile(h.db.sql, { dataset: "public" }, { out: one, format: "parquet" });
    const result = await exportToFile(
      h.db.sql,
      { dataset: "public" },
      { out: many, format: "parquet", settings: { rowGroupRows: 100, batchRows: 64 } },
    );
    const file = await readFile(many);
    const meta = parquetMetadata(file.buffer.slice(file.byteOffset, file.byteOffset + file.byteLength));
    expect(meta.row_groups.map((g) => Number(g.num_rows))).toEqual(
      Array.from({ length: Math.ceil(result.rows / 100) }, (_, i) => Math.min(100, result.rows - i * 100)),
    );
    const rows = await readHyparquet(new Uint8Array(file));
    expect(rows).toEqual(await readHyparquet(new Uint8Array(await readFile(one))));
  });

  it("rows read in key ranges (several COPY statements) are every row once, in order, limit included", async () => {
    const read = async (
      name: string,
      request: { dataset: string; limit?: number; embeddings?: string[] },
      copyRows?: number,
    ) => {
      const out = join(dir, name);
      const settings = copyRows ? { copyRows, batchRows: 16 } : {};
      await exportToFile(h.db.sql, request, { out, format: "arrow", settings });
      return readArrowIpc(new Uint8Array(await readFile(out))).rows;
    };
    const whole = await read("whole.arrows", { dataset: "public" });
    expect(whole.length).toBeGreaterThan(100);
    expect(await read("ranges.arrows", { dataset: "public" }, 37)).toEqual(whole);
    // A limit that ends inside a range, and one that is a multiple of it.
    expect(await read("limit.arrows", { dataset: "public", limit: 100 }, 37)).toEqual(whole.slice(0, 100));
    expect(await read("limit74.arrows", { dataset: "public", limit: 74 }, 37)).toEqual(whole.slice(0, 74));
    // Embeddings are left-joined: the range bound stays off their keys (it would drop rows without one).
    const embedded = { dataset: "public", embeddings: ["lyrics", "analysis"] };
    const withVectors = await read("vectors.arrows", embedded);
    expect(withVectors.length).toBe(whole.length);
    expect(await read("vectors-ranges.arrows", embedded, 37)).toEqual(withVectors);
  });

  it("a Parquet export failing mid-stream rolls back and leaves the connection usable", async () => {
    const out = join(dir, "broken.parquet");
    let calls = 0;
    await expect(
      exportToFile(
        h.db.sql,
        { dataset: "public" },
        {
          out,
          format: "parquet",
          settings: { batchRows: 50 },
          progress: () => {
            if (++calls === 3) throw new Error("disk full");
          },
        },
      ),
    ).rejects.toThrow("disk full");
    const [row] = await h.db.sql`select count(*)::int as n from tracks`;
    expect(row?.n).toBeGreaterThan(0);
    expect((await readdir(dir)).filter((f) => f.includes("broken"))).toEqual([]);
  });

  it("a failed export leaves neither the target nor a temp file", async () => {
    const out = join(dir, "broken.csv");
    await expect(
      exportToFile(h.db.sql, { dataset: "public", features: ["nope:x"] }, { out, format: "csv" }),
    ).rejects.toBeInstanceOf(DomainError);
    await expect(
      exportToFile(
        h.db.sql,
        { dataset: "public" },
        {
          out,
          format: "csv",
          progress: () => {
            throw new Error("disk full");
          },
        },
      ),
    ).rejects.toThrow("disk full");
    expect((await readdir(dir)).filter((f) => f.includes("broken"))).toEqual([]);
  });
});
