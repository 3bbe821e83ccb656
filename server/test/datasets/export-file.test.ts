import { mkdtemp, readdir, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { DatasetError } from "../../src/datasets/errors";
import { exportToFile } from "../../src/datasets/export-file";
import type { ProgressEvent } from "../../src/log/progress";
import { type DatasetsHarness, datasetsHarness, readHyparquet } from "./support";

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

  it("a failed export leaves neither the target nor a temp file", async () => {
    const out = join(dir, "broken.csv");
    await expect(
      exportToFile(h.db.sql, { dataset: "public", features: ["nope:x"] }, { out, format: "csv" }),
    ).rejects.toBeInstanceOf(DatasetError);
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
