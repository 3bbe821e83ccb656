/**
 * The deterministic synthetic corpus: tracks and analyses shaped like the real platform's
 * (which cannot be shipped), seeded and scalable. See plan.ts for the exact counts.
 */
export { ANALYZERS } from "./analyzers";
export { ANALYSIS_DIMENSIONS, AUDIO_DIMENSIONS, LYRICS_DIMENSIONS, VECTOR_DECIMALS } from "./embeddings";
export {
  type AlgorithmicFeatures,
  algorithmicFeatures,
  type SimplifiedFeatures,
  simplifiedFeatures,
} from "./lyrics-stats";
export {
  ANALYZER_TYPES,
  type AnalyzerPlan,
  type AnalyzerType,
  assertScale,
  type CorpusPlan,
  CorpusPlanError,
  corpusPlan,
  MAX_SCALE,
  MINIMUMS,
} from "./scale";
export {
  CorpusExistsError,
  type CorpusOptions,
  type CorpusSummary,
  corpusExists,
  corpusStatus,
  generateCorpus,
  PROGRESS_PHASE,
} from "./writer";
