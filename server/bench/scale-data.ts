import { fileURLToPath } from "node:url";
import postgres from "postgres";
import { repoRoot } from "../src/config/paths";
import { corpusPlan, corpusStatus, generateCorpus } from "../src/corpus/index";
import { type Database, openDatabase } from "../src/db/database";
import { migrate } from "../src/db/migrate";
import { terminalProgress } from "../src/log/progress";
import { materializeAll } from "../src/materialize/runner";
import { applyDefinitions } from "../src/registry/apply";

/**
 * The server PostgreSQL the scale bench keeps its databases on (one per scale, kept between runs:
 * scale 10's corpus and indexes take most of an hour to build). It needs pgvector installed; the
 * development server has none unless built from its source for the run.
 */
export const ADMIN_URL =
  process.env.RAPFS_BENCH_SCALE_POSTGRES_URL ??
  process.env.TEST_POSTGRES_URL ??
  "postgres://postgres@127.0.0.1:5432/postgres";

export const databaseName = (scale: number) => `rapfs_bench_s${String(scale).replace(".", "_")}`;

export function databaseUrl(scale: number): string {
  const url = new URL(ADMIN_URL);
  url.pathname = `/${databaseName(scale)}`;
  return url.toString();
}

/** Why the bench cannot run on this server, or undefined when it can. */
export async function missingPgvector(): Promise<string | undefined> {
  const admin = postgres(ADMIN_URL, { max: 1, onnotice: () => {}, connect_timeout: 5 });
  try {
    const [row] = await admin<{ version: string | null }[]>`
      select (select default_version from pg_available_extensions where name = 'vector') as version`;
    if (row?.version) return undefined;
    return `PostgreSQL at ${new URL(ADMIN_URL).host} has no pgvector (pg_available_extensions has no vector)`;
  } catch (error) {
    return `no PostgreSQL at ${new URL(ADMIN_URL).host}: ${(error as Error).message}`;
  } finally {
    await admin.end();
  }
}

/** A one-time phase of a scale's data (corpus load, HNSW builds, first materialization), as it ran. */
export type PreparedPhase = { phase: string; ms: number; rows: number; at: string };

async function ensureDatabase(scale: number): Promise<void> {
  const admin = postgres(ADMIN_URL, { max: 1, onnotice: () => {} });
  try {
    const name = databaseName(scale);
    const [exists] = await admin`select 1 from pg_database where datname = ${name}`;
    if (!exists) await admin.unsafe(`create database ${name}`);
  } finally {
    await admin.end();
  }
}

/** The phases' own record, in the bench's database beside the corpus it describes. */
async function record(db: Database, phase: string, ms: number, rows: number): Promise<void> {
  await db.sql`
    insert into bench_prepared (phase, ms, rows) values (${phase}, ${Math.round(ms)}, ${rows})
    on conflict (phase) do update set ms = excluded.ms, rows = excluded.rows, at = now()`;
}

export async function preparedPhases(db: Database): Promise<PreparedPhase[]> {
  return db.sql<PreparedPhase[]>`
    select phase, ms::float8 as ms, rows::float8 as rows, at::text as at from bench_prepared order by at`;
}

/**
 * The scale's database, built once: the corpus (binary COPY, timed), the shipped definitions with
 * the server's HNSW indexes (each build timed) and a first full materialization. Later runs find
 * it all and only open it.
 */
export async function prepareScale(scale: number): Promise<{ db: Database; phases: PreparedPhase[] }> {
  await ensureDatabase(scale);
  const db = await openDatabase({
    databaseUrl: databaseUrl(scale),
    dataDir: `${repoRoot}.rapfs-bench/unused`,
  });
  try {
    const { sql } = db;
    await migrate(sql, `${repoRoot}migrations`);
    await sql`create table if not exists bench_prepared (phase text primary key, ms bigint not null,
      rows bigint not null, at timestamptz not null default now())`;
    const plan = corpusPlan(scale);
    if ((await corpusStatus(sql)).tracks === 0) {
      process.stderr.write(`scale bench: corpus at scale ${scale} into ${databaseName(scale)}\n`);
      const progress = terminalProgress();
      const started = performance.now();
      await generateCorpus(db, { scale, seed: 42, onProgress: progress });
      progress.stop();
      await record(db, "corpus load", performance.now() - started, plan.tracks + plan.analyses);
    }
    const applied = await applyDefinitions(sql, `${repoRoot}feature-definitions`, { vectorIndex: "hnsw" });
    for (const [embedding, build] of Object.entries(applied.indexes ?? {})) {
      if (build.action !== "unchanged") await record(db, `hnsw ${embedding}`, build.ms, build.rows);
    }
    const [built] = await sql<{ pending: boolean }[]>`
      select not exists (select 1 from bench_prepared where phase = 'first materialization') as pending`;
    if (built?.pending) {
      const started = performance.now();
      const runs = await materializeAll(sql, { full: true });
      const rows = runs.reduce((n, r) => n + r.rowsWritten, 0);
      await record(db, "first materialization", performance.now() - started, rows);
    }
    return { db, phases: await preparedPhases(db) };
  } catch (error) {
    await db.close();
    throw error;
  }
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const missing = await missingPgvector();
  if (missing) {
    process.stderr.write(`scale bench: ${missing}; nothing prepared\n`);
    process.exit(2);
  }
  for (const scale of process.argv.slice(2).map(Number)) {
    const { db, phases } = await prepareScale(scale);
    for (const p of phases)
      process.stderr.write(`  ${databaseName(scale)} ${p.phase}: ${p.ms} ms, ${p.rows} rows\n`);
    await db.close();
  }
}
