/**
 * Child process of the datasets benchmark: connects to the database at DATABASE_URL (the
 * parent's embedded PGlite, so the database's memory is not counted here), runs the export and
 * its COPY baseline in alternating rounds, and prints timings and its own peak RSS as JSON.
 *
 *   DATABASE_URL=… tsx bench/datasets-export.ts <rounds> <timing|memory>
 */
import { createWriteStream } from "node:fs";
import { Writable } from "node:stream";
import { pipeline } from "node:stream/promises";
import postgres from "postgres";
import { exportRows } from "../src/datasets/export";
import { planDownload } from "../src/datasets/plan";
import { currentRows, rowsStatement } from "../src/datasets/query";

const rounds = Number(process.argv[2] ?? 3);
const mode = process.argv[3] ?? "timing";
const sql = postgres(process.env.DATABASE_URL as string, { max: 1, onnotice: () => {} });
const plan = await planDownload(sql, { dataset: "public" });
const statement = rowsStatement(currentRows(plan));

const sink = () => createWriteStream("/dev/null");

async function parquet(): Promise<number> {
  const out = sink();
  const result = await exportRows(
    sql,
    plan,
    (chunk) => new Promise((ok, fail) => out.write(chunk, (e) => (e ? fail(e) : ok()))),
    {
      format: "parquet",
    },
  );
  await new Promise((ok) => out.end(ok));
  return result.rows;
}

/** The same rows as COPY … TO STDOUT text, streamed and discarded. */
async function copy(): Promise<void> {
  const params = statement.params.map((p) => (typeof p === "number" ? String(p) : `'${String(p)}'`));
  // COPY takes no bind parameters; the dataset's filter values are numbers, inlined here only.
  const text = statement.text.replace(
    /\$(\d+)(::[a-z ]+)?/g,
    (_, n: string, cast = "") => `${params[Number(n) - 1]}${cast}`,
  );
  const readable = await sql.unsafe(`copy (${text}) to stdout`).readable();
  await pipeline(readable, new Writable({ write: (_chunk, _enc, done) => done() }));
}

const timed = async (run: () => Promise<unknown>) => {
  const started = performance.now();
  await run();
  return performance.now() - started;
};

const result: Record<string, unknown> = { rows: 0, parquetMs: [], copyMs: [] };
if (mode === "timing") {
  await parquet(); // warm-up: WebAssembly compile, plans, caches
  await copy();
  for (let i = 0; i < rounds; i++) {
    (result.copyMs as number[]).push(await timed(copy));
    (result.parquetMs as number[]).push(await timed(async () => (result.rows = await parquet())));
  }
} else {
  result.rows = await parquet();
}
result.maxRssKiB = process.resourceUsage().maxRSS;
await sql.end();
process.stdout.write(`${JSON.stringify(result)}\n`);
