/**
 * Child process of the datasets benchmark: connects to the database at DATABASE_URL (the
 * parent's embedded PGlite, so the database's memory is not counted here), runs the export and
 * its COPY baseline in alternating rounds, and prints timings and its own peak RSS as JSON.
 *
 *   DATABASE_URL=… tsx bench/datasets-export.ts <rounds> <timing|memory> [rowGroupRows]
 */
import { Writable } from "node:stream";
import { pipeline } from "node:stream/promises";
import postgres from "postgres";
import { rowsCountedFirst } from "../src/datasets/delivery/download";
import { DEFAULT_EXPORT_SETTINGS, exportRows } from "../src/datasets/delivery/export";
import { planDownload, standalonePlanSource } from "../src/datasets/plan/dataset-plan";
import { copyOut } from "../src/datasets/snapshot/copy-out";
import { inlineParams } from "../src/datasets/snapshot/copy-statement";
import { currentRows, rowsStatement } from "../src/datasets/snapshot/query";
import type { Sql } from "../src/db/database";

const rounds = Number(process.argv[2] ?? 3);
const mode = process.argv[3] ?? "timing";
const rowGroupRows = Number(process.argv[4] ?? DEFAULT_EXPORT_SETTINGS.rowGroupRows);
const sql = postgres(process.env.DATABASE_URL as string, { max: 1, onnotice: () => {} }) as unknown as Sql;
const plan = await planDownload(standalonePlanSource(sql), { dataset: "public" });
const statement = rowsStatement(currentRows(plan));

/**
 * The whole `public` dataset as Parquet, its bytes counted and dropped: the export a download of
 * it runs, so its rows are counted first only where a download's are (not for a public dataset).
 */
async function parquet(countFirst = rowsCountedFirst(plan)): Promise<{ rows: number; bytes: number }> {
  const result = await exportRows(sql, plan, async () => {}, { format: "parquet", rowGroupRows, countFirst });
  return { rows: result.rows, bytes: result.bytes };
}

/** The same statement (rows, columns, order) as COPY … TO STDOUT text, streamed and dropped. */
async function copy(): Promise<void> {
  const text = `copy (${inlineParams(statement.text, statement.params)}) to stdout`;
  await pipeline(await copyOut(sql, text), new Writable({ write: (_chunk, _enc, done) => done() }));
}

const timed = async (run: () => Promise<unknown>) => {
  const started = performance.now();
  await run();
  return performance.now() - started;
};

const result = {
  columns: plan.features.length + 1,
  rows: 0,
  bytes: 0,
  parquetMs: [] as number[],
  copyMs: [] as number[],
  /** The same export with its rows counted first, as a download of a dataset that charges rows runs it. */
  countedMs: [] as number[],
  maxRssKiB: 0,
};
if (mode === "timing") {
  await parquet(); // warm-up: WebAssembly compile, plans, caches
  await copy();
  for (let i = 0; i < rounds; i++) {
    // Alternating which goes first, so neither always runs on the other's warm caches.
    const order = i % 2 === 0 ? ["copy", "parquet", "counted"] : ["counted", "parquet", "copy"];
    for (const side of order) {
      if (side === "copy") result.copyMs.push(await timed(copy));
      else if (side === "counted") result.countedMs.push(await timed(() => parquet(true)));
      else result.parquetMs.push(await timed(async () => Object.assign(result, await parquet())));
    }
  }
} else {
  Object.assign(result, await parquet());
}
result.maxRssKiB = process.resourceUsage().maxRSS;
await sql.end();
process.stdout.write(`${JSON.stringify(result)}\n`);
