import type { Command } from "commander";
import { INGEST_FORMATS } from "../../ingest/formats";
import { FILE_ROWS_KEY_DAYS } from "../../ingest/idempotency";
import type { IngestOptions } from "../actions/ingest";

export function registerIngestCommand(program: Command): void {
  program
    .command("ingest")
    .description(
      "write new analyses (or tracks) from a CSV, NDJSON or Parquet file, checked as the API checks them",
    )
    .argument("<file>", "a .csv (header row), .ndjson/.jsonl or .parquet file; columns are the table's")
    .option("--tracks", "the file holds tracks, not analyses")
    .option("--format <format>", `one of ${INGEST_FORMATS.join(", ")} (default: from the extension)`)
    .option("--batch <rows>", "rows per transaction", "1000")
    .option(
      "--no-resume",
      `write every row, even those an earlier run of this file (or of the file it grew from) wrote in the last ${FILE_ROWS_KEY_DAYS} days`,
    )
    .addHelpText(
      "after",
      `
Every row is checked first (types, lengths, analyzer, vector dimensions, tracks that exist); a
file with any bad row writes nothing and each bad row is named by its line (Parquet: its row).
Then the rows are written in batches, one transaction each, as POST /v1/admin/analyses writes
them: a row without created_at is stamped at its write. Each batch is written under a key that
names its rows and every row before them (a chain of their digests), so running the file again
writes only the rows not yet written: after an interruption, or once rows were appended to it. On the embedded default, while
\`rapfs start\` runs, this works through the server's database.

Examples:
  rapfs ingest analyses.csv
  rapfs ingest new-tracks.ndjson --tracks
  rapfs ingest reruns.parquet --batch 5000`,
    )
    .action(async (file: string, opts: IngestOptions) => {
      const { ingestAction } = await import("../actions/ingest");
      await ingestAction(file, opts);
    });
}
