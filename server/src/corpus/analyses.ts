import type postgres from "postgres";
import { ANALYZERS, type AnalyzerSpec, analysisTimes, formatTimestamp } from "./analyzers";
import { FixedVector } from "./embeddings";
import { AnalysisFlag } from "./layout";
import { round, simplifiedFeatures } from "./lyrics-stats";
import { type Rng, rngFor, Stream } from "./random";
import { ANALYZER_TYPES, type AnalyzerType } from "./scale";
import { MOODS } from "./styles";
import type { CorpusContext, TrackProfile } from "./tracks";
import { THEMES } from "./vocab";

export type AnalysisRow = {
  id: number;
  track_id: number;
  analyzer_type: string;
  sentiment: string | null;
  confidence: number | null;
  /** JSON array text, e.g. '["money","fame"]'. */
  themes: string | null;
  analysis_data: postgres.JSONValue;
  created_at: string;
  complexity_score: number | null;
  processing_time_ms: number;
  model_version: string;
  analysis_embedding: FixedVector | null;
};

type Reading = Omit<AnalysisRow, "id" | "track_id" | "analyzer_type" | "created_at" | "model_version">;

export const SENTIMENTS = ["positive", "negative", "neutral", "mixed"] as const;
const clamp = (x: number, lo = 0, hi = 1) => Math.min(hi, Math.max(lo, x));
const OUT_OF_RANGE_CONFIDENCE = [1.7, 1.25, 2, 17];
const OUT_OF_RANGE_QUALITY = [0, 11, 12, 15];

function sentimentLabel(score: number): (typeof SENTIMENTS)[number] {
  if (score > 0.3) return "positive";
  if (score < -0.3) return "negative";
  return Math.abs(score) < 0.1 ? "neutral" : "mixed";
}

function latency(rng: Rng, spec: AnalyzerSpec, words: number): number {
  return Math.max(1, Math.round(spec.latencyMs * Math.sqrt(words / 300) * Math.exp(rng.normal(0, 0.35))));
}

function llm(
  ctx: CorpusContext,
  p: TrackProfile,
  spec: AnalyzerSpec,
  rng: Rng,
  run: number,
  outOfRange: number,
) {
  const noise = spec.noise;
  const label = sentimentLabel(p.sentiment + rng.normal(0, noise * 1.5));
  const themes = p.themes.slice();
  if (rng.chance(noise)) themes[themes.length - 1] = rng.int(THEMES.length);
  const names = [...new Set(themes.map((t) => THEMES[t]?.name ?? ""))];
  const mood = rng.chance(1 - noise) ? p.mood : rng.pick(MOODS).name;
  const energy = round(clamp(p.audio.energy + rng.normal(0, 0.06 + noise / 2)), 2);
  let quality = Math.round(clamp(1 + 9 * (p.quality + rng.normal(0, noise)), 1, 10));
  if (outOfRange & AnalysisFlag.qualityOutOfRange) quality = rng.pick(OUT_OF_RANGE_QUALITY);
  const fame = p.artist.fame;
  const reading: Reading = {
    sentiment: label,
    confidence:
      outOfRange & AnalysisFlag.confidenceOutOfRange
        ? rng.pick(OUT_OF_RANGE_CONFIDENCE)
        : round(clamp(spec.confidence + rng.normal(0, 0.06), 0.3, 0.99), 3),
    themes: JSON.stringify(names),
    analysis_data: {
      sentiment: label,
      themes: names,
      mood,
      energy,
      quality_score: quality,
      commercial_potential: round(
        clamp(
          0.5 * (p.popularity / 100) + 0.3 * p.audio.danceability + 0.2 * fame + rng.normal(0, noise) - 0.1,
        ),
        2,
      ),
      viral_potential: round(
        clamp(0.45 * p.audio.energy + 0.35 * fame + 0.3 * p.audio.danceability + rng.normal(0, noise) - 0.25),
        2,
      ),
      longevity: round(clamp(0.6 * p.quality + 0.3 * p.complexity + rng.normal(0, noise) + 0.05), 2),
    },
    complexity_score: round(clamp(p.complexity + rng.normal(0, noise)), 3),
    processing_time_ms: latency(rng, spec, p.lyricsStats.word_count),
    analysis_embedding: null,
  };
  if (spec.type === "qwen-3-4b-fp8") {
    const moodIndex = MOODS.findIndex((m) => m.name === mood);
    const noiseRng = rngFor(ctx.seed, Stream.embeddingNoise, p.index, 100 + run);
    const vector = ctx.space.analysis(noiseRng, themes, SENTIMENTS.indexOf(label), moodIndex);
    reading.analysis_embedding = FixedVector.of(vector);
  }
  return reading;
}

const EMOTIONS = ["joy", "sadness", "anger", "fear", "surprise", "love"] as const;

/** Scores in ten-thousandths that sum to exactly 10,000, so the stored decimals sum to 1. */
function softmax10k(logits: number[]): number[] {
  const max = Math.max(...logits);
  const exp = logits.map((x) => Math.exp(x - max));
  const sum = exp.reduce((a, b) => a + b, 0);
  const exact = exp.map((e) => (e / sum) * 10_000);
  const parts = exact.map(Math.floor);
  let left = 10_000 - parts.reduce((a, b) => a + b, 0);
  const order = exact
    .map((x, i) => [x - Math.floor(x), i] as const)
    .sort((a, b) => b[0] - a[0] || a[1] - b[1]);
  for (const [, i] of order) if (left-- > 0) parts[i] = (parts[i] ?? 0) + 1;
  return parts;
}

function emotion(p: TrackProfile, spec: AnalyzerSpec, rng: Rng, outOfRange: number): Reading {
  const has = (...names: string[]) => (p.themes.some((t) => names.includes(THEMES[t]?.name ?? "")) ? 1 : 0);
  const s = p.sentiment;
  const e = p.audio.energy - 0.5;
  const logits = [
    2.2 * s + 0.8 * e,
    -2 * s - 0.5 * e + 1.2 * has("heartbreak", "struggle"),
    -1.2 * s + 2 * e + 1.2 * has("violence", "betrayal"),
    -0.8 * s + 0.8 * has("violence", "drugs") - 0.3,
    -0.6,
    s + 1.6 * has("love", "family") - 0.4,
  ].map((x) => x + rng.normal(0, spec.noise));
  const parts = softmax10k(logits);
  const scores = Object.fromEntries(EMOTIONS.map((name, i) => [name, (parts[i] ?? 0) / 10_000]));
  const top = parts.indexOf(Math.max(...parts));
  const balance = (parts[0] ?? 0) + (parts[5] ?? 0) - (parts[1] ?? 0) - (parts[2] ?? 0) - (parts[3] ?? 0);
  return {
    sentiment: balance > 1500 ? "positive" : balance < -1500 ? "negative" : "neutral",
    confidence:
      outOfRange & AnalysisFlag.confidenceOutOfRange
        ? rng.pick(OUT_OF_RANGE_CONFIDENCE)
        : round((parts[top] ?? 0) / 10_000, 3),
    themes: null,
    analysis_data: { ...scores, dominant: EMOTIONS[top] },
    complexity_score: null,
    processing_time_ms: latency(rng, spec, p.lyricsStats.word_count),
    analysis_embedding: null,
  };
}

function algorithmic(p: TrackProfile, spec: AnalyzerSpec, rng: Rng): Reading {
  const f = p.lyricsStats;
  return {
    sentiment: null,
    confidence: null,
    themes: null,
    analysis_data: { ...f },
    complexity_score: round(
      0.5 * f.lexical_diversity + 0.3 * f.rhyme_density + 0.2 * Math.min(1, f.avg_line_length / 12),
      3,
    ),
    processing_time_ms: latency(rng, spec, f.word_count),
    analysis_embedding: null,
  };
}

function simplified(p: TrackProfile, spec: AnalyzerSpec, rng: Rng): Reading {
  const f = simplifiedFeatures(p.lyrics);
  return {
    sentiment: f.sentiment_score > 0.2 ? "positive" : f.sentiment_score < -0.2 ? "negative" : "neutral",
    confidence: round(Math.min(1, 0.5 + Math.abs(f.sentiment_score) / 2), 3),
    themes: null,
    analysis_data: { ...f },
    complexity_score: round(1 - f.readability / 100, 3),
    processing_time_ms: latency(rng, spec, f.word_count),
    analysis_embedding: null,
  };
}

export type AnalysisReading = Reading;

/**
 * What one run of an analyzer reads from a track: every column but the row's identity, time and
 * model version. `run` (0 the first) varies the qwen embedding's noise; `outOfRange` plants the
 * corpus's out-of-range values (AnalysisFlag).
 */
export function analysisReading(
  ctx: CorpusContext,
  p: TrackProfile,
  type: AnalyzerType,
  rng: Rng,
  run: number,
  outOfRange = 0,
): AnalysisReading {
  const spec = ANALYZERS[type];
  if (spec.kind === "llm") return llm(ctx, p, spec, rng, run, outOfRange);
  if (spec.kind === "emotion") return emotion(p, spec, rng, outOfRange);
  return spec.kind === "algorithmic" ? algorithmic(p, spec, rng) : simplified(p, spec, rng);
}

/** All analyses of one track, analyzer by analyzer, each pair's runs oldest first. */
export function analysisRows(ctx: CorpusContext, p: TrackProfile, nextId: () => number): AnalysisRow[] {
  const rows: AnalysisRow[] = [];
  ANALYZER_TYPES.forEach((type, a) => {
    const runs = ctx.layout.runs[type][p.index] as number;
    if (!runs) return;
    const spec = ANALYZERS[type];
    const timing = rngFor(ctx.seed, Stream.analysis, a, p.index);
    analysisTimes(spec, p.createdAt, runs, timing).forEach((time, run) => {
      const rng = rngFor(ctx.seed, Stream.analysis, a, p.index, run);
      const outOfRange = run === 0 ? (ctx.layout.analysisFlags[type][p.index] as number) : 0;
      const reading = analysisReading(ctx, p, type, rng, run, outOfRange);
      rows.push({
        id: nextId(),
        track_id: p.index + 1,
        analyzer_type: type,
        created_at: formatTimestamp(time.at),
        model_version: time.version,
        ...reading,
      });
    });
  });
  return rows;
}
