import type postgres from "postgres";
import type { Sql } from "../db/database";
import { noProgress, type ProgressReporter } from "../log/progress";
import { ANALYSIS_COLUMNS, type AnalysisRow, analysisRows } from "./analyses";
import { ANALYZER_TYPES, type AnalyzerType, corpusPlan } from "./plan";
import { createContext, TRACK_COLUMNS, type TrackRow, trackProfile, trackRow } from "./tracks";

export type CorpusOptions = {
  scale: number;
  seed: number;
  onProgress?: ProgressReporter;
  /** Replace an existing corpus (in the same transaction) instead of refusing. */
  replace?: boolean;
};

export type CorpusSummary = {
  scale: number;
  seed: number;
  tracks: number;
  analyses: number;
  analysesByAnalyzer: Record<AnalyzerType, number>;
};

export class CorpusExistsError extends Error {
  override name = "CorpusExistsError";
}

export const PROGRESS_PHASE = "generating corpus";
const CORPUS_LOCK_ID = "7261990422";
/**
 * Tracks per round trip. A batch of tracks and their ≈4.7 analyses each stays well under the
 * 65,535 bind parameters of one statement and keeps memory flat at any scale.
 */
const TRACKS_PER_BATCH = 1000;
const ANALYSES_PER_INSERT = 2500;

/** Cheap "is there a corpus?" check; zero counts when the schema is not there yet. */
export async function corpusStatus(
  sql: Sql | postgres.TransactionSql,
): Promise<{ tracks: number; analyses: number }> {
  const [schema] = await sql<{ ready: boolean }[]>`
    select to_regclass('tracks') is not null and to_regclass('analysis_results') is not null as ready`;
  if (!schema?.ready) return { tracks: 0, analyses: 0 };
  const [counts] = await sql<{ tracks: number; analyses: number }[]>`
    select (select count(*) from tracks)::int as tracks,
           (select count(*) from analysis_results)::int as analyses`;
  return counts ?? { tracks: 0, analyses: 0 };
}

/**
 * Streams the corpus into the database in one transaction: other connections see no corpus,
 * then all of it, and a crash leaves the previous state. Ids are written explicitly (sequences
 * move even in rolled-back transactions), so the same seed gives the same ids.
 */
export async function generateCorpus(sql: Sql, options: CorpusOptions): Promise<CorpusSummary> {
  const plan = corpusPlan(options.scale);
  const report = options.onProgress ?? noProgress;
  const ctx = createContext(options.seed, plan);
  const total = plan.tracks + plan.analyses;
  const byAnalyzer = Object.fromEntries(ANALYZER_TYPES.map((t) => [t, 0])) as Record<AnalyzerType, number>;
  let analysisId = 0;

  await sql.begin(async (tx) => {
    // Servers starting together on an empty database: one generates, the others wait here and
    // then find the corpus present.
    await tx`select pg_advisory_xact_lock(${CORPUS_LOCK_ID}::bigint)`;
    const existing = await corpusStatus(tx);
    if (existing.tracks > 0 || existing.analyses > 0) {
      if (!options.replace) {
        throw new CorpusExistsError(
          `a corpus already exists (${existing.tracks} tracks, ${existing.analyses} analyses)`,
        );
      }
      await tx`truncate analysis_results, tracks restart identity`;
    }
    report({ phase: PROGRESS_PHASE, done: 0, total });
    for (let start = 0; start < plan.tracks; start += TRACKS_PER_BATCH) {
      const tracks: TrackRow[] = [];
      const analyses: AnalysisRow[] = [];
      for (let i = start; i < Math.min(plan.tracks, start + TRACKS_PER_BATCH); i++) {
        const profile = trackProfile(ctx, i);
        tracks.push(trackRow(ctx, profile));
        for (const row of analysisRows(ctx, profile, () => ++analysisId)) {
          analyses.push(row);
          byAnalyzer[row.analyzer_type as AnalyzerType]++;
        }
      }
      await tx`insert into tracks ${tx(tracks, ...TRACK_COLUMNS)}`;
      for (let a = 0; a < analyses.length; a += ANALYSES_PER_INSERT) {
        await tx`insert into analysis_results ${tx(analyses.slice(a, a + ANALYSES_PER_INSERT), ...ANALYSIS_COLUMNS)}`;
      }
      report({ phase: PROGRESS_PHASE, done: start + tracks.length + analysisId, total });
    }
    if (analysisId !== plan.analyses) {
      throw new Error(`generated ${analysisId} analyses, the plan says ${plan.analyses}`);
    }
    await tx`select setval(pg_get_serial_sequence('tracks', 'id'), ${plan.tracks})`;
    await tx`select setval(pg_get_serial_sequence('analysis_results', 'id'), ${plan.analyses})`;
  });
  return {
    scale: plan.scale,
    seed: options.seed,
    tracks: plan.tracks,
    analyses: analysisId,
    analysesByAnalyzer: byAnalyzer,
  };
}
