/**
 * Child process of the datasets benchmark: the whole `public` dataset downloaded as Parquet the
 * way the server serves it (startDownload into the spool, read back as the response is; sliced
 * reads, as on the embedded database), twice: the first download encodes the file, the second
 * reads the kept one. Prints the time to the first byte and to the last of each as JSON.
 *
 *   DATABASE_URL=… tsx bench/datasets-first-byte.ts
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import postgres from "postgres";
import { loadDatasetConfig } from "../src/datasets/config";
import { createDatasetServices } from "../src/datasets/dataset-services";
import { startDownload } from "../src/datasets/delivery/download";
import { planDownload, standalonePlanSource } from "../src/datasets/plan/dataset-plan";
import type { Sql } from "../src/db/database";

export type FirstByteTimes = { firstByteMs: number; wholeMs: number; bytes: number };
export type FirstByteResult = { rows: number; first: FirstByteTimes; cached: FirstByteTimes };

const sql = postgres(process.env.DATABASE_URL as string, { max: 1, onnotice: () => {} }) as unknown as Sql;
const spoolDir = mkdtempSync(join(tmpdir(), "rapfs-bench-first-byte-"));
const datasets = createDatasetServices({
  config: loadDatasetConfig({ RAPFS_SPOOL_DIR: spoolDir }),
  sliced: true,
});
const plan = await planDownload(standalonePlanSource(sql), { dataset: "public" });
const free = async () => {};

/** One download as a client sees it: from the request to its first byte, and to its last. */
async function download(): Promise<FirstByteTimes & { rows: number | undefined }> {
  const started = performance.now();
  const { job, info } = await startDownload(
    { sql, datasets, sliced: datasets.sliced },
    {
      plan,
      format: "parquet",
      identity: { kind: "download", dataset: "public", format: "parquet" },
      payer: { principal: { accountId: "bench" }, spend: free, refund: free },
      signal: new AbortController().signal,
    },
  );
  const reader = datasets.spool.read(job).getReader();
  let firstByteMs = Number.NaN;
  let bytes = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    if (bytes === 0) firstByteMs = performance.now() - started;
    bytes += value.byteLength;
  }
  return { firstByteMs, wholeMs: performance.now() - started, bytes, rows: info.rows };
}

const { rows, ...first } = await download();
const { rows: _, ...cached } = await download();
await datasets.close();
await sql.end();
rmSync(spoolDir, { recursive: true, force: true });
const result: FirstByteResult = { rows: rows ?? 0, first, cached };
process.stdout.write(`${JSON.stringify(result)}\n`);
