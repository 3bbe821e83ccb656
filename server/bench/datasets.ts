import { execFile } from "node:child_process";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import postgres from "postgres";
import { repoRoot } from "../src/config/paths";
import { corpusPlan, generateCorpus } from "../src/corpus/index";
import { IN_MEMORY, startEmbeddedPostgres } from "../src/db/embedded";
import { migrate } from "../src/db/migrate";
import { applyDefinitions } from "../src/definitions/apply";
import { materializeAll } from "../src/materialize/runner";
import type { BenchRow } from "./types";

const SCALES = (process.env.RAPFS_BENCH_DATASET_SCALES ?? "0.1,0.3").split(",").map(Number) as [
  number,
  number,
];
const ROUNDS = 3;
const run = promisify(execFile);
const median = (values: number[]) =>
  [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)] ?? Number.NaN;

type ChildResult = { rows: number; parquetMs: number[]; copyMs: number[]; maxRssKiB: number };

/** An embedded PGlite holding the corpus at `scale`, materialized; the child connects to it by URL. */
async function prepared(scale: number) {
  const embedded = await startEmbeddedPostgres(IN_MEMORY);
  const sql = postgres(embedded.url, { max: 1, onnotice: () => {} });
  await migrate(sql, `${repoRoot}migrations`);
  process.stderr.write(`datasets bench: corpus at scale ${scale}\n`);
  await generateCorpus(sql, { scale, seed: 42 });
  await applyDefinitions(sql, `${repoRoot}feature-definitions`);
  await materializeAll(sql);
  await sql`analyze`;
  // PGlite serves one connection: hand it to the child.
  await sql.end();
  return embedded;
}

async function child(url: string, mode: "timing" | "memory"): Promise<ChildResult> {
  const script = fileURLToPath(new URL("./datasets-export.ts", import.meta.url));
  const tsx = `${repoRoot}node_modules/.bin/tsx`;
  const { stdout } = await run(tsx, [script, String(ROUNDS), mode], {
    env: { ...process.env, DATABASE_URL: url },
    maxBuffer: 1 << 20,
  });
  return JSON.parse(stdout.trim().split("\n").at(-1) as string) as ChildResult;
}

/**
 * The full `public` dataset to Parquet vs COPY of the same rows to STDOUT (same process, same
 * database, alternating rounds), and the exporting process's peak RSS at two corpus scales.
 */
export async function benchDatasets(): Promise<BenchRow[]> {
  const results: { scale: number; timing: ChildResult; memory: ChildResult }[] = [];
  for (const scale of SCALES) {
    const embedded = await prepared(scale);
    try {
      const memory = await child(embedded.url, "memory");
      const timing = await child(embedded.url, "timing");
      results.push({ scale, timing, memory });
    } finally {
      await embedded.stop();
    }
  }
  const [small, large] = results as [(typeof results)[0], (typeof results)[0]];
  const parquetMs = median(large.timing.parquetMs);
  const copyMs = median(large.timing.copyMs);
  const rss = (r: ChildResult) => r.maxRssKiB / 1024;
  const plan = (scale: number) => corpusPlan(scale).tracks;
  return [
    {
      workload: "full public dataset to Parquet",
      baseline: "COPY (same rows) TO STDOUT",
      value: parquetMs,
      baselineValue: copyMs,
      unit: "ms",
      ratio: parquetMs / copyMs,
      target: "≤ 1.5×",
      met: parquetMs / copyMs <= 1.5,
      notes:
        `scale ${large.scale} (${plan(large.scale)} tracks, ${large.timing.rows} dataset rows), embedded PGlite over ` +
        `its socket; median of ${ROUNDS} alternating rounds in one child process; snappy, 65,536-row groups, to /dev/null`,
    },
    {
      workload: "peak RSS of the Parquet export",
      baseline: `the same export at scale ${small.scale}`,
      value: rss(large.memory),
      baselineValue: rss(small.memory),
      unit: "MiB",
      ratio: rss(large.memory) / rss(small.memory),
      target: "flat (≤ 1.2×)",
      met: rss(large.memory) / rss(small.memory) <= 1.2,
      notes:
        `exporting process only (the database is the parent's PGlite): ${small.memory.rows} rows at scale ${small.scale} ` +
        `vs ${large.memory.rows} at ${large.scale}`,
    },
  ];
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const { formatTable } = await import("./report");
  const rows = await benchDatasets();
  process.stdout.write(`${formatTable(rows)}\n`);
  for (const r of rows) if (r.notes) process.stdout.write(`- ${r.workload}: ${r.notes}\n`);
}
