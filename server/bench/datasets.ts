import { execFile } from "node:child_process";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import { repoRoot } from "../src/config/paths";
import { corpusPlan } from "../src/corpus/index";
import { benchDatabase } from "./datasets-data";
import type { FirstByteResult, FirstByteTimes } from "./datasets-first-byte";
import type { BenchRow } from "./types";

const SCALES = (process.env.RAPFS_BENCH_DATASET_SCALES ?? "1,3").split(",").map(Number);
const ROUNDS = Number(process.env.RAPFS_BENCH_DATASET_ROUNDS ?? 5);
/** Uploaded rows of the training set whose first byte is timed. */
const TRAINING_ROWS = Number(process.env.RAPFS_BENCH_DATASET_TRAINING_ROWS ?? 10_000);
/** Small enough that every scale writes several row groups, so memory shows what streaming holds. */
const ROW_GROUP_ROWS = Number(process.env.RAPFS_BENCH_DATASET_ROW_GROUP_ROWS ?? 16_384);
const run = promisify(execFile);
const median = (values: number[]) =>
  [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)] ?? Number.NaN;

type ChildResult = {
  columns: number;
  rows: number;
  bytes: number;
  parquetMs: number[];
  copyMs: number[];
  countedMs: number[];
  maxRssKiB: number;
};
type Measured = { scale: number; timing: ChildResult; memory: ChildResult; firstByte: FirstByteResult };

async function child(url: string, mode: "timing" | "memory"): Promise<ChildResult> {
  const script = fileURLToPath(new URL("./datasets-export.ts", import.meta.url));
  const tsx = `${repoRoot}node_modules/.bin/tsx`;
  const { stdout } = await run(tsx, [script, String(ROUNDS), mode, String(ROW_GROUP_ROWS)], {
    env: { ...process.env, DATABASE_URL: url },
    maxBuffer: 1 << 20,
  });
  return JSON.parse(stdout.trim().split("\n").at(-1) as string) as ChildResult;
}

async function firstByte(url: string): Promise<FirstByteResult> {
  const script = fileURLToPath(new URL("./datasets-first-byte.ts", import.meta.url));
  const { stdout } = await run(`${repoRoot}node_modules/.bin/tsx`, [script, String(TRAINING_ROWS)], {
    env: { ...process.env, DATABASE_URL: url },
    maxBuffer: 1 << 20,
  });
  return JSON.parse(stdout.trim().split("\n").at(-1) as string) as FirstByteResult;
}

async function measure(scale: number): Promise<Measured> {
  const embedded = await benchDatabase(scale);
  try {
    process.stderr.write(`datasets bench: scale ${scale}: peak RSS of one export\n`);
    const memory = await child(embedded.url, "memory");
    process.stderr.write(
      `datasets bench: scale ${scale}: ${ROUNDS} alternating rounds of Parquet and COPY\n`,
    );
    const timing = await child(embedded.url, "timing");
    const ms = (values: number[]) => values.map((v) => v.toFixed(0)).join(", ");
    process.stderr.write(
      `  ${timing.rows} rows; Parquet ${ms(timing.parquetMs)} ms; COPY ${ms(timing.copyMs)} ms; ` +
        `RSS ${(memory.maxRssKiB / 1024).toFixed(0)} MiB\n`,
    );
    process.stderr.write(
      `datasets bench: scale ${scale}: first byte of public (first and kept), public as of an instant, a training set\n`,
    );
    const first = await firstByte(embedded.url);
    return { scale, timing, memory, firstByte: first };
  } finally {
    await embedded.stop();
  }
}

const rowGroups = (rows: number) => Math.ceil(rows / ROW_GROUP_ROWS);

function timingRow(m: Measured): BenchRow {
  const parquetMs = median(m.timing.parquetMs);
  const copyMs = median(m.timing.copyMs);
  return {
    workload: `full public dataset to Parquet (scale ${m.scale})`,
    baseline: "COPY (same rows) TO STDOUT",
    value: parquetMs,
    baselineValue: copyMs,
    unit: "ms",
    ratio: parquetMs / copyMs,
    target: "≤ 1.5×",
    met: parquetMs / copyMs <= 1.5,
    notes:
      `scale ${m.scale} (${corpusPlan(m.scale).tracks} tracks): ${m.timing.rows} rows × ${m.timing.columns} columns, ` +
      `${(m.timing.bytes / 2 ** 20).toFixed(1)} MiB of Parquet (snappy, ${rowGroups(m.timing.rows)} row groups of ≤ ${ROW_GROUP_ROWS} rows); ` +
      `embedded PGlite in the parent, export and COPY (text, the same statement) in one child process, ` +
      `median of ${ROUNDS} alternating rounds; both outputs dropped in-process; the export a download of ` +
      "public runs (a public dataset spends no rows, so they are not counted before the first)",
  };
}

/** The same export with its rows counted before the first, as a download of a dataset that charges rows runs it. */
function countedRow(m: Measured): BenchRow {
  const countedMs = median(m.timing.countedMs);
  const copyMs = median(m.timing.copyMs);
  return {
    workload: `full public dataset to Parquet, rows counted first (scale ${m.scale})`,
    baseline: "COPY (same rows) TO STDOUT",
    value: countedMs,
    baselineValue: copyMs,
    unit: "ms",
    ratio: countedMs / copyMs,
    target: "reported: what a download of a dataset that charges rows adds (its count)",
    met: true,
    notes: `the same rounds as the row above, alternating with it: a count(*) of the same statement before the first row`,
  };
}

/**
 * The time to first byte of each kind of download, against its own time to its last byte in
 * the same run: the first (encoding) and a kept download of public, public as of an instant, and
 * a point-in-time training set.
 */
function firstByteRows(m: Measured): BenchRow[] {
  const { first, cached, asOf, training, rows } = m.firstByte;
  const row = (which: string, times: FirstByteTimes, against: FirstByteTimes, detail: string): BenchRow => ({
    workload: `time to first byte, ${which} (scale ${m.scale})`,
    baseline: against === times ? "its time to its last byte" : "the first download's time to its last byte",
    value: times.firstByteMs,
    baselineValue: against.wholeMs,
    unit: "ms",
    ratio: times.firstByteMs / against.wholeMs,
    target: "≤ 0.2×",
    met: times.firstByteMs / against.wholeMs <= 0.2,
    notes:
      `${detail}: ${times.rows} rows, ${(times.bytes / 2 ** 20).toFixed(1)} MiB of Parquet, first byte ` +
      `${times.firstByteMs.toFixed(0)} ms, last ${times.wholeMs.toFixed(0)} ms; startDownload into the ` +
      "spool and read back as a response is, sliced reads as on the embedded database",
  });
  return [
    row(
      "first (encoding) Parquet download of public",
      first,
      first,
      `${rows} rows, encoded for this download`,
    ),
    row("kept Parquet download of public", cached, first, "the file the first download kept"),
    row(`public as of ${asOf.instant} (Parquet)`, asOf, asOf, "point-in-time work for the caller"),
    row(
      "point-in-time training set (Parquet)",
      training,
      training,
      "uploaded (track, timestamp, label) rows",
    ),
  ];
}

/**
 * The full `public` dataset to Parquet vs COPY of the same statement to STDOUT (same process,
 * same database, alternating rounds), and the exporting process's peak RSS at two corpus scales.
 * The corpora are kept under .rapfs-bench/ between runs.
 */
export async function benchDatasets(): Promise<BenchRow[]> {
  const results: Measured[] = [];
  for (const scale of SCALES) results.push(await measure(scale));
  const small = results[0] as Measured;
  const large = results.at(-1) as Measured;
  const rss = (m: Measured) => m.memory.maxRssKiB / 1024;
  return [
    ...results.flatMap((m) => [timingRow(m), countedRow(m)]),
    ...results.flatMap(firstByteRows),
    {
      workload: "peak RSS of the Parquet export",
      baseline: `the same export at scale ${small.scale}`,
      value: rss(large),
      baselineValue: rss(small),
      unit: "MiB",
      ratio: rss(large) / rss(small),
      target: "flat (≤ 1.2×)",
      met: rss(large) / rss(small) <= 1.2,
      notes:
        `exporting process only (the database is the parent's PGlite): ${small.memory.rows} rows ` +
        `(${rowGroups(small.memory.rows)} row groups) at scale ${small.scale} vs ${large.memory.rows} ` +
        `(${rowGroups(large.memory.rows)}) at scale ${large.scale}`,
    },
  ];
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const { formatTable } = await import("./report");
  const rows = await benchDatasets();
  process.stdout.write(`${formatTable(rows)}\n`);
  for (const r of rows) if (r.notes) process.stdout.write(`- ${r.workload}: ${r.notes}\n`);
}
