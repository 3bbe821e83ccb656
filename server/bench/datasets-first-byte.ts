/**
 * Child process of the datasets benchmark: downloads the way the server serves them
 * (startDownload into the spool, read back as the response is; sliced reads, as on the embedded
 * database), each timed to its first byte and to its last: the whole `public` dataset as Parquet
 * twice (the first download encodes the file, the second reads the kept one), `public` as of an
 * instant (point-in-time work for the caller), and a point-in-time training set of
 * TRAINING_ROWS uploaded rows. Prints them as JSON.
 *
 *   DATABASE_URL=… tsx bench/datasets-first-byte.ts [TRAINING_ROWS]
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import postgres from "postgres";
import { loadDatasetConfig } from "../src/datasets/config";
import { createDatasetServices } from "../src/datasets/dataset-services";
import { startDownload } from "../src/datasets/delivery/download";
import {
  type DatasetPlan,
  planDownload,
  planTraining,
  standalonePlanSource,
} from "../src/datasets/plan/dataset-plan";
import type { TrainingInput } from "../src/datasets/snapshot/snapshot";
import { parseTrainingUpload } from "../src/datasets/upload/upload";
import type { Sql } from "../src/db/database";
import { parseTimestamp } from "../src/values/timestamps";

export type FirstByteTimes = { firstByteMs: number; wholeMs: number; bytes: number; rows: number };
export type FirstByteResult = {
  rows: number;
  first: FirstByteTimes;
  cached: FirstByteTimes;
  asOf: FirstByteTimes & { instant: string };
  training: FirstByteTimes;
};

/** An instant inside the corpus's history, so the point-in-time work leaves rows out and picks older analyses. */
const AS_OF = "2025-08-01T00:00:00Z";
const TRAINING_ROWS = Number(process.argv[2] ?? 10_000);

const sql = postgres(process.env.DATABASE_URL as string, { max: 1, onnotice: () => {} }) as unknown as Sql;
const spoolDir = mkdtempSync(join(tmpdir(), "rapfs-bench-first-byte-"));
const datasets = createDatasetServices({
  config: loadDatasetConfig({ RAPFS_SPOOL_DIR: spoolDir }),
  sliced: true,
});
const source = standalonePlanSource(sql);
const plan = await planDownload(source, { dataset: "public" });
const free = async () => {};

/** One download as a client sees it: from the request to its first byte, and to its last. */
async function download(
  planned: DatasetPlan,
  identity: Record<string, unknown>,
  training?: TrainingInput,
): Promise<FirstByteTimes> {
  const started = performance.now();
  const { job } = await startDownload(
    { sql, datasets, sliced: datasets.sliced },
    {
      plan: planned,
      format: "parquet",
      identity: { format: "parquet", ...identity },
      ...(training ? { training } : {}),
      payer: {
        principal: { accountId: "bench" },
        spend: free,
        refund: free,
        rowsLeft: async () => Number.POSITIVE_INFINITY,
      },
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
  const wholeMs = performance.now() - started;
  return { firstByteMs, wholeMs, bytes, rows: job.meta?.rows ?? 0 };
}

const whole = { kind: "download", dataset: "public" };
const first = await download(plan, whole);
const cached = await download(plan, whole);
const instant = parseTimestamp(AS_OF) as number;
const asOfPlan = await planDownload(source, { dataset: "public", asOf: instant });
const asOf = { ...(await download(asOfPlan, { ...whole, asOf: instant })), instant: AS_OF };
const trainingPlan = await planTraining(source, { entity: "track", dataset: "public" });
const [span] = await sql<{ tracks: number }[]>`select max(id)::int as tracks from tracks`;
const labels = Array.from({ length: TRAINING_ROWS }, (_, i) => ({
  track_id: (i % (span?.tracks ?? 1)) + 1,
  event_timestamp: new Date(Date.UTC(2025, 4, 1) + i * 900_000).toISOString(),
  label: i % 2,
}));
const training = await download(
  trainingPlan,
  { kind: "training", rows: TRAINING_ROWS },
  parseTrainingUpload("json", labels, trainingPlan.entity, TRAINING_ROWS),
);
await datasets.close();
await sql.end();
rmSync(spoolDir, { recursive: true, force: true });
const result: FirstByteResult = { rows: first.rows, first, cached, asOf, training };
process.stdout.write(`${JSON.stringify(result)}\n`);
