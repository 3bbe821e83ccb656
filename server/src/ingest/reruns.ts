import { analysisReading } from "../corpus/analyses";
import { ANALYZERS } from "../corpus/analyzers";
import { rngFor } from "../corpus/random";
import { type AnalyzerType, corpusPlan } from "../corpus/scale";
import { createContext, trackProfile } from "../corpus/tracks";
import type { AnalysisInput } from "./row-schemas";
import { STREAM_ANALYZERS } from "./stream-analyzers";

export type RerunOptions = {
  /** The demo corpus the database holds (RAPFS_CORPUS_SCALE / RAPFS_CORPUS_SEED). */
  corpus: { scale: number; seed: number };
  /** Randomness of the picks and readings; a different one per stream. */
  seed: number;
  analyzers?: readonly AnalyzerType[];
};

/**
 * New analyses as the platform writes them: an analyzer re-runs a track it analysed before, with
 * its newest model version, reading the track as the corpus generator does (so the values are
 * realistic and the track's artist aggregates move too). No created_at: the write is stamped.
 */
export function corpusReruns(options: RerunOptions): (count: number) => AnalysisInput[] {
  const ctx = createContext(options.corpus.seed, corpusPlan(options.corpus.scale));
  const analyzers = options.analyzers ?? STREAM_ANALYZERS;
  const tracks = ctx.plan.tracks;
  let made = 0;
  const one = (): AnalysisInput => {
    const rng = rngFor(options.seed, made++);
    const type = analyzers[rng.int(analyzers.length)] as AnalyzerType;
    const runs = ctx.layout.runs[type];
    let index = rng.int(tracks);
    while (!runs[index]) index = rng.int(tracks);
    const spec = ANALYZERS[type];
    // Past the corpus's own runs, so a qwen re-run's embedding noise is new too.
    const reading = analysisReading(ctx, trackProfile(ctx, index), type, rng, 1_000 + made);
    const vector = reading.analysis_embedding;
    return {
      track_id: index + 1,
      analyzer_type: type,
      model_version: spec.versions.at(-1)?.name ?? null,
      ...reading,
      analysis_embedding: vector ? Array.from(vector.codes, (code) => code / vector.scale) : null,
    };
  };
  return (count) => Array.from({ length: count }, one);
}
