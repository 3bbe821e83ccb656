/**
 * The exact counts the generator produces at a scale. Counts at scale 1.0 are the real
 * platform's; other scales multiply them and round (Math.round), and a few counts have minimums
 * so that even a tiny corpus (scale 0.01 ≈ 577 tracks) keeps every case a feature engineer has
 * to handle: NULL lyrics, missing Spotify data, duplicates, out-of-range values, re-runs and
 * every analyzer.
 */

export const ANALYZER_TYPES = [
  "qwen-3-4b-fp8",
  "gemma-3-27b-it",
  "algorithmic",
  "emotion-distilroberta",
  "simplified_features",
  "ollama-llama3.1-8b",
] as const;
export type AnalyzerType = (typeof ANALYZER_TYPES)[number];

export const FULL_SCALE = {
  tracks: 57_718,
  artists: 345,
  nullLyrics: 2,
  duplicates: 12,
  analyses: {
    "qwen-3-4b-fp8": 57_716,
    "gemma-3-27b-it": 34_320,
    algorithmic: 57_716,
    "emotion-distilroberta": 57_716,
    simplified_features: 57_716,
    "ollama-llama3.1-8b": 4_462,
  } satisfies Record<AnalyzerType, number>,
} as const;

/** Share of tracks with spotify_data (and audio features) NULL. */
const WITHOUT_SPOTIFY_RATE = 0.08;
/** Re-run pairs per analysis row; gives ≈6.4% of (track, analyzer) pairs with several analyses. */
const RERUN_RATE = 0.06;
/** Share of re-run pairs that were re-run twice (three analyses). */
const SECOND_RERUN_RATE = 0.1;

export const MINIMUMS = {
  tracks: 200,
  artists: 12,
  nullLyrics: 2,
  withoutSpotify: 2,
  duplicates: 3,
  outOfRange: 2,
  analysesPerAnalyzer: 20,
  rerunPairs: 2,
  tripleRunPairs: 1,
} as const;

export type AnalyzerPlan = {
  /** analysis_results rows of this analyzer. */
  rows: number;
  /** Distinct tracks it analysed = (track, analyzer) pairs; rows = pairs + rerunPairs + tripleRunPairs. */
  pairs: number;
  /** Pairs with at least two analyses (a later one with a newer model_version). */
  rerunPairs: number;
  /** Of those, pairs with three analyses. */
  tripleRunPairs: number;
};

export type CorpusPlan = {
  scale: number;
  tracks: number;
  artists: number;
  /** Tracks whose lyrics (and lyrics_embedding) are NULL; they have no analyses. */
  nullLyrics: number;
  tracksWithLyrics: number;
  /** Tracks whose spotify_data, audio_features and audio_embedding are NULL. */
  withoutSpotify: number;
  /** Tracks that repeat the (artist, title) of an earlier track: that many pairs occur twice. */
  duplicates: number;
  outOfRange: {
    /** spotify_data.popularity outside 0–100 (e.g. 140, -3). */
    popularity: number;
    /** audio_features.tempo negative. */
    tempo: number;
    /** analysis_results.confidence above 1 (LLM and emotion analyses). */
    confidence: number;
    /** analysis_data.quality_score outside 1–10 (LLM analyses). */
    qualityScore: number;
  };
  analyzers: Record<AnalyzerType, AnalyzerPlan>;
  /** Total analysis_results rows. */
  analyses: number;
  /** Total distinct (track, analyzer) pairs. */
  pairs: number;
  /** Total pairs with several analyses. */
  rerunPairs: number;
};

export class CorpusPlanError extends Error {
  override name = "CorpusPlanError";
}

export const MAX_SCALE = 10;

export function assertScale(scale: number): void {
  if (!Number.isFinite(scale) || scale <= 0 || scale > MAX_SCALE) {
    throw new CorpusPlanError(`corpus scale must be a number in (0, ${MAX_SCALE}], got ${scale}`);
  }
}

const scaled = (fullScale: number, scale: number, minimum: number) =>
  Math.max(minimum, Math.round(fullScale * scale));

function analyzerPlan(fullRows: number, scale: number, tracksWithLyrics: number): AnalyzerPlan {
  const rows = scaled(fullRows, scale, MINIMUMS.analysesPerAnalyzer);
  const rerunPairs = Math.max(MINIMUMS.rerunPairs, Math.round(rows * RERUN_RATE));
  const tripleRunPairs = Math.max(MINIMUMS.tripleRunPairs, Math.round(rerunPairs * SECOND_RERUN_RATE));
  const pairs = rows - rerunPairs - tripleRunPairs;
  if (pairs > tracksWithLyrics) {
    throw new CorpusPlanError(`${rows} analyses need ${pairs} tracks with lyrics, only ${tracksWithLyrics}`);
  }
  return { rows, pairs, rerunPairs, tripleRunPairs };
}

export function corpusPlan(scale: number): CorpusPlan {
  assertScale(scale);
  const tracks = scaled(FULL_SCALE.tracks, scale, MINIMUMS.tracks);
  const nullLyrics = scaled(FULL_SCALE.nullLyrics, scale, MINIMUMS.nullLyrics);
  const tracksWithLyrics = tracks - nullLyrics;
  const outOfRange = (full: number) => scaled(full, scale, MINIMUMS.outOfRange);
  const analyzers = Object.fromEntries(
    ANALYZER_TYPES.map((type) => [type, analyzerPlan(FULL_SCALE.analyses[type], scale, tracksWithLyrics)]),
  ) as Record<AnalyzerType, AnalyzerPlan>;
  const sum = (f: (p: AnalyzerPlan) => number) =>
    ANALYZER_TYPES.reduce((total, type) => total + f(analyzers[type]), 0);
  return {
    scale,
    tracks,
    artists: scaled(FULL_SCALE.artists, scale, MINIMUMS.artists),
    nullLyrics,
    tracksWithLyrics,
    withoutSpotify: scaled(tracks * WITHOUT_SPOTIFY_RATE, 1, MINIMUMS.withoutSpotify),
    duplicates: scaled(FULL_SCALE.duplicates, scale, MINIMUMS.duplicates),
    outOfRange: {
      popularity: outOfRange(8),
      tempo: outOfRange(6),
      confidence: outOfRange(8),
      qualityScore: outOfRange(5),
    },
    analyzers,
    analyses: sum((p) => p.rows),
    pairs: sum((p) => p.pairs),
    rerunPairs: sum((p) => p.rerunPairs),
  };
}
