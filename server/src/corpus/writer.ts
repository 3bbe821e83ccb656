import { Readable } from "node:stream";
import { pipeline } from "node:stream/promises";
import type postgres from "postgres";
import { corpusColumns } from "../db/corpus-tables";
import type { Database, EmbeddedDatabase, Sql } from "../db/database";
import { isPgliteOverWire } from "../db/pglite-over-wire";
import { noProgress, type ProgressReporter } from "../log/progress";
import { type CopyFormat, copyColumns, copyStatement } from "./copy-text";
import { deferIndexes } from "./deferred-indexes";
import { corpusChunks, defaultGeneratorThreads } from "./produce";
import { ANALYZER_TYPES, type AnalyzerType, corpusPlan } from "./scale";
import { createContext } from "./tracks";

export type CorpusOptions = {
  scale: number;
  seed: number;
  onProgress?: ProgressReporter;
  /** Replace an existing corpus (in the same transaction) instead of refusing. */
  replace?: boolean;
  /** Worker threads generating rows while the database loads them (0: generate on this thread). */
  threads?: number;
};

export type CorpusSummary = {
  scale: number;
  seed: number;
  tracks: number;
  analyses: number;
  analysesByAnalyzer: Record<AnalyzerType, number>;
};

/** Where the corpus goes: the embedded PGlite in-process when there is one, else COPY over postgres.js. */
export type CorpusDatabase = Pick<Database, "sql"> & Partial<Pick<EmbeddedDatabase, "copyFromBlob">>;

export class CorpusExistsError extends Error {
  override name = "CorpusExistsError";
}

export const PROGRESS_PHASE = "generating corpus";
const CORPUS_LOCK_ID = "7261990422";
const COUNTS = `select (select count(*) from tracks)::int as tracks,
  (select count(*) from analysis_results)::int as analyses`;

/** Whether any track exists (after migrations): what a start asks, without counting every row. */
export async function corpusExists(sql: Sql): Promise<boolean> {
  const [row] = await sql<{ present: boolean }[]>`select exists (select 1 from tracks) as present`;
  return row?.present === true;
}

/** Cheap "is there a corpus?" check; zero counts when the schema is not there yet. */
export async function corpusStatus(
  sql: Sql | postgres.TransactionSql,
): Promise<{ tracks: number; analyses: number }> {
  const [schema] = await sql<{ ready: boolean }[]>`
    select to_regclass('tracks') is not null and to_regclass('analysis_results') is not null as ready`;
  if (!schema?.ready) return { tracks: 0, analyses: 0 };
  const [counts] = await sql.unsafe<{ tracks: number; analyses: number }[]>(COUNTS);
  return counts ?? { tracks: 0, analyses: 0 };
}

/** One transaction of the load: statements, and COPY of a chunk of rows in the format it takes. */
type LoadTransaction = {
  format: CopyFormat;
  query(text: string): Promise<Record<string, unknown>[]>;
  copy(table: string, columns: readonly string[], rows: Uint8Array<ArrayBuffer>): Promise<void>;
};

/**
 * Loads the corpus in one transaction: other connections see no corpus, then all of it, and a
 * crash leaves the previous state. Rows are generated on worker threads while the database
 * loads the chunks before them with binary COPY (PGlite in-process from a blob: its socket cannot
 * carry COPY FROM STDIN; text over the wire to a PGlite socket). Ids are written explicitly (sequences move even in rolled-back
 * transactions), so the same seed gives the same bytes.
 */
export async function generateCorpus(db: CorpusDatabase, options: CorpusOptions): Promise<CorpusSummary> {
  const plan = corpusPlan(options.scale);
  const report = options.onProgress ?? noProgress;
  const ctx = createContext(options.seed, plan);
  const byAnalyzer = Object.fromEntries(ANALYZER_TYPES.map((t) => [t, 0])) as Record<AnalyzerType, number>;
  let analyses = 0;

  await inLoadTransaction(db, async (tx) => {
    const [existing] = (await tx.query(COUNTS)) as { tracks: number; analyses: number }[];
    if (existing && (existing.tracks > 0 || existing.analyses > 0)) {
      if (!options.replace) {
        throw new CorpusExistsError(
          `a corpus already exists (${existing.tracks} tracks, ${existing.analyses} analyses)`,
        );
      }
      await tx.query("truncate analysis_results, tracks restart identity");
    }
    const restore = await deferIndexes(tx.query);
    const total = plan.tracks + plan.analyses;
    report({ phase: PROGRESS_PHASE, done: 0, total });
    const threads = options.threads ?? defaultGeneratorThreads();
    for await (const chunk of corpusChunks(ctx, threads, tx.format)) {
      await tx.copy("tracks", corpusColumns("tracks"), chunk.tracks);
      await tx.copy("analysis_results", corpusColumns("analysis_results"), chunk.analyses);
      analyses += chunk.analysisCount;
      for (const type of ANALYZER_TYPES) byAnalyzer[type] += chunk.byAnalyzer[type];
      report({ phase: PROGRESS_PHASE, done: chunk.end + analyses, total });
    }
    if (analyses !== plan.analyses) {
      throw new Error(`generated ${analyses} analyses, the plan says ${plan.analyses}`);
    }
    for (const statement of restore) await tx.query(statement);
    // PGlite runs no autovacuum: without statistics the materialization plans guess every size.
    await tx.query("analyze tracks, analysis_results, rapfs_track_pairs");
    await tx.query(`select setval(pg_get_serial_sequence('tracks', 'id'), ${plan.tracks})`);
    await tx.query(`select setval(pg_get_serial_sequence('analysis_results', 'id'), ${plan.analyses})`);
  });
  return {
    scale: plan.scale,
    seed: options.seed,
    tracks: plan.tracks,
    analyses,
    analysesByAnalyzer: byAnalyzer,
  };
}

async function inLoadTransaction(
  db: CorpusDatabase,
  load: (tx: LoadTransaction) => Promise<void>,
): Promise<void> {
  const { copyFromBlob } = db;
  if (copyFromBlob) {
    // One process owns the embedded database (the data-directory lock), and the transaction holds
    // PGlite's one backend until it ends: other connections wait, no advisory lock needed. COPY
    // runs in the database's worker, inside this transaction, from a blob.
    await db.sql.begin((tx) =>
      load({
        format: "binary",
        query: (text) => tx.unsafe(text),
        copy: (table, columns, rows) =>
          copyFromBlob(copyStatement(table, columns, "'/dev/blob'", "binary"), rows),
      }),
    );
    return;
  }
  await db.sql.begin(async (tx) => {
    // Servers starting together on an empty database: one generates, the others wait here and
    // then find the corpus present.
    await tx`select pg_advisory_xact_lock(${CORPUS_LOCK_ID}::bigint)`;
    // PGlite reached over the wire (a test stack's shared PGlite) has no COPY FROM STDIN.
    const pglite = await isPgliteOverWire(tx);
    await load(
      pglite
        ? {
            format: "text",
            query: (text) => tx.unsafe(text),
            copy: (table, columns, rows) => insertCopyText(tx, table, columns, rows),
          }
        : {
            format: "binary",
            query: (text) => tx.unsafe(text),
            copy: async (table, columns, rows) => {
              const copy = await tx.unsafe(copyStatement(table, columns, "stdin", "binary")).writable();
              await pipeline(Readable.from([rows]), copy);
            },
          },
    );
  });
}

const decoder = new TextDecoder();

/**
 * COPY text as one INSERT … SELECT FROM unnest(text arrays): each field goes through its type's
 * input function, as COPY would put it, so the rows are the same bytes.
 */
async function insertCopyText(
  tx: postgres.TransactionSql,
  table: string,
  columns: readonly string[],
  rows: Uint8Array,
): Promise<void> {
  const types = await tx<{ name: string; type: string }[]>`
    select attname as name, format_type(atttypid, null) as type from pg_attribute
    where attrelid = ${table}::regclass and attnum > 0 and not attisdropped`;
  const typeOf = new Map(types.map((t) => [t.name, t.type]));
  const fields = columns.map((column, i) => `u.c${i}::${typeOf.get(column)}`);
  const arrays = columns.map((_, i) => `$${i + 1}::text[]`);
  const names = columns.map((_, i) => `c${i}`);
  await tx.unsafe(
    `insert into ${table} (${columns.join(", ")}) select ${fields.join(", ")} from unnest(${arrays.join(", ")}) as u(${names.join(", ")})`,
    copyColumns(decoder.decode(rows), columns.length) as never,
  );
}
