import postgres from "postgres";
import { ADMIN_URL, databaseName, databaseUrl } from "./scale-data";
import type { BenchRow } from "./types";

/** The scale bench's larger scale. */
const SCALE = Math.max(...(process.env.RAPFS_BENCH_SCALE_SCALES ?? "1,10").split(",").map(Number));

async function admin<T>(work: (sql: postgres.Sql) => Promise<T>): Promise<T> {
  const sql = postgres(ADMIN_URL, { max: 1, onnotice: () => {} });
  try {
    return await work(sql);
  } finally {
    await sql.end();
  }
}

/**
 * `pnpm bench scale-freshness`: `pnpm bench freshness-servers` (three processes, 50 new analyses a
 * second, a bystander's lookups) and `freshness-keyed` (one back-dated, updated or deleted row
 * against the view's full run) at the scale bench's larger scale, on a copy of the database
 * `pnpm bench scale` prepared: both change rows, and the scale bench's data is kept between runs.
 */
export async function benchScaleFreshness(): Promise<BenchRow[]> {
  const source = databaseName(SCALE);
  const copy = `${source}_fresh`;
  const exists = await admin((sql) => sql`select 1 from pg_database where datname = ${source}`);
  if (exists.length === 0) {
    process.stderr.write(`scale-freshness: no ${source}; run pnpm bench scale first. Skipped\n`);
    return [];
  }
  await admin(async (sql) => {
    await sql.unsafe(`drop database if exists ${copy}`);
    await sql.unsafe(`create database ${copy} template ${source}`);
  });
  const url = databaseUrl(SCALE).replace(`/${source}`, `/${copy}`);
  // The freshness benches read their scale and database when imported.
  process.env.RAPFS_BENCH_FRESHNESS_SCALE = String(SCALE);
  process.env.RAPFS_BENCH_FRESHNESS_DATABASE_URL = url;
  try {
    const { benchFreshnessServers } = await import("./freshness");
    const { benchFreshnessKeyed } = await import("./freshness-keyed");
    const stream = await benchFreshnessServers();
    const keyed = await benchFreshnessKeyed();
    return [...stream, ...keyed].map((row) => ({ ...row, workload: `scale ${SCALE}: ${row.workload}` }));
  } finally {
    await admin((sql) => sql.unsafe(`drop database if exists ${copy} with (force)`));
  }
}
