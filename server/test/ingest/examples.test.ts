import { readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { repoRoot } from "../../src/config/paths";
import { checkRows } from "../../src/ingest/check-rows";
import { ANALYSIS_COLUMNS, TRACK_COLUMNS } from "../../src/ingest/columns";
import { openIngestFile } from "../../src/ingest/files";

/**
 * docs/api.md lists the columns `rapfs ingest` takes with two example files: the files are read by
 * its own reader and pass the door's checks, and the table names every column the door takes.
 */
const examples = join(repoRoot, "docs", "examples");

async function rowsOf(file: string, format: "csv" | "ndjson", table: "analyses" | "tracks") {
  const reading = await openIngestFile(join(examples, file), { format, table, batchRows: 100 });
  const rows: Record<string, unknown>[] = [];
  for await (const batch of reading.batches()) {
    expect(batch.problems).toEqual([]);
    rows.push(...batch.rows);
  }
  return rows;
}

describe("the ingest examples in docs/examples", () => {
  it("analyses.csv is read and checked without a problem", async () => {
    const analyses = await rowsOf("analyses.csv", "csv", "analyses");
    expect(analyses).toHaveLength(3);
    const checked = checkRows({ analyses });
    expect(checked.problems).toEqual([]);
    expect(checked.analyses[0]?.values.analysis_data).toMatchObject({ joy: 0.61, dominant: "joy" });
  });

  it("tracks.ndjson is read and checked without a problem", async () => {
    const tracks = await rowsOf("tracks.ndjson", "ndjson", "tracks");
    expect(tracks).toHaveLength(1);
    expect(checkRows({ tracks }).problems).toEqual([]);
  });

  it("the docs' column table names every column of both files", () => {
    const api = readFileSync(join(repoRoot, "docs", "api.md"), "utf8");
    for (const [file, columns] of [
      ["analyses", ANALYSIS_COLUMNS],
      ["tracks", TRACK_COLUMNS],
    ] as const) {
      for (const column of Object.keys(columns))
        expect(api, `${file}.${column}`).toContain(`| ${file} | \`${column}\` |`);
    }
  });
});
