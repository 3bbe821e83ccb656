import type { Artist } from "./artists";
import { rngFor, Stream } from "./random";
import { ANALYZER_TYPES, type AnalyzerType, type CorpusPlan } from "./scale";

/** Per-track flags (bits of Layout.flags). */
export const TrackFlag = {
  nullLyrics: 1,
  withoutSpotify: 2,
  popularityOutOfRange: 4,
  tempoOutOfRange: 8,
} as const;

/** Per-(track, analyzer) flags for the first analysis of the pair. */
export const AnalysisFlag = { confidenceOutOfRange: 1, qualityOutOfRange: 2 } as const;

/**
 * Which track is what, as small typed arrays (a few bytes per track): the artist of each track,
 * which tracks are special, and how many analyses each analyzer made of each track. Rows are
 * generated from this one track at a time.
 */
export type Layout = {
  artistOf: Uint32Array;
  /** Position of a track among its artist's tracks, in id order. */
  localIndex: Uint32Array;
  /** Tracks of artist a are members[memberStart[a] … memberStart[a+1]), in id order. */
  memberStart: Uint32Array;
  members: Uint32Array;
  flags: Uint8Array;
  /** Index of the earlier track a duplicate repeats, or -1. */
  duplicateOf: Int32Array;
  runs: Record<AnalyzerType, Uint8Array>;
  analysisFlags: Record<AnalyzerType, Uint8Array>;
};

/** Largest-remainder split of `total` by weight, every share at least `minimum`. */
export function apportion(total: number, weights: number[], minimum: number): number[] {
  const spare = total - minimum * weights.length;
  if (spare < 0) throw new Error(`cannot give ${weights.length} artists ${minimum} of ${total} tracks`);
  const sum = weights.reduce((a, b) => a + b, 0);
  const exact = weights.map((w) => (w / sum) * spare);
  const counts = exact.map((x) => minimum + Math.floor(x));
  let left = total - counts.reduce((a, b) => a + b, 0);
  const byRemainder = exact
    .map((x, i) => [x - Math.floor(x), i] as const)
    .sort((a, b) => b[0] - a[0] || a[1] - b[1]);
  for (const [, i] of byRemainder) {
    if (left-- <= 0) break;
    counts[i] = (counts[i] ?? 0) + 1;
  }
  return counts;
}

export function buildLayout(seed: number, plan: CorpusPlan, roster: Artist[]): Layout {
  const n = plan.tracks;
  const rng = rngFor(seed, Stream.layout);
  const counts = apportion(
    n,
    roster.map((a) => a.trackWeight),
    Math.min(3, Math.floor(n / roster.length)),
  );
  const artistOf = new Uint32Array(n);
  let at = 0;
  counts.forEach((count, artist) => {
    artistOf.fill(artist, at, at + count);
    at += count;
  });
  rng.shuffle(artistOf);

  const memberStart = new Uint32Array(roster.length + 1);
  for (let a = 0; a < roster.length; a++)
    memberStart[a + 1] = (memberStart[a] as number) + (counts[a] as number);
  const members = new Uint32Array(n);
  const localIndex = new Uint32Array(n);
  const filled = new Uint32Array(roster.length);
  for (let i = 0; i < n; i++) {
    const a = artistOf[i] as number;
    const k = filled[a] as number;
    filled[a] = k + 1;
    localIndex[i] = k;
    members[(memberStart[a] as number) + k] = i;
  }

  const flags = new Uint8Array(n);
  const duplicateOf = new Int32Array(n).fill(-1);
  const order = rng.shuffle(Uint32Array.from({ length: n }, (_, i) => i));
  let cursor = 0;
  const take = (count: number, flag: number) => {
    for (let i = 0; i < count; i++) {
      const t = order[cursor++] as number;
      flags[t] = (flags[t] as number) | flag;
    }
  };
  take(plan.nullLyrics, TrackFlag.nullLyrics);
  take(plan.withoutSpotify, TrackFlag.withoutSpotify);
  take(plan.outOfRange.popularity, TrackFlag.popularityOutOfRange);
  take(plan.outOfRange.tempo, TrackFlag.tempoOutOfRange);

  const isSource = new Uint8Array(n);
  let duplicates = 0;
  for (; cursor < n && duplicates < plan.duplicates; cursor++) {
    const i = order[cursor] as number;
    const k = localIndex[i] as number;
    if (k === 0 || isSource[i]) continue;
    const source = members[(memberStart[artistOf[i] as number] as number) + rng.int(k)] as number;
    if (isSource[source] || duplicateOf[source] !== -1 || (flags[source] as number) & TrackFlag.nullLyrics)
      continue;
    duplicateOf[i] = source;
    isSource[source] = 1;
    duplicates++;
  }
  if (duplicates < plan.duplicates) throw new Error(`found only ${duplicates} duplicate candidates`);

  const withLyrics = new Uint32Array(plan.tracksWithLyrics);
  for (let i = 0, j = 0; i < n; i++) if (!((flags[i] as number) & TrackFlag.nullLyrics)) withLyrics[j++] = i;
  const runs = {} as Record<AnalyzerType, Uint8Array>;
  const analysisFlags = {} as Record<AnalyzerType, Uint8Array>;
  ANALYZER_TYPES.forEach((type, a) => {
    const p = plan.analyzers[type];
    const covered = rngFor(seed, Stream.coverage, a).shuffle(withLyrics.slice());
    const r = new Uint8Array(n);
    for (let j = 0; j < p.pairs; j++) {
      r[covered[j] as number] = j < p.tripleRunPairs ? 3 : j < p.rerunPairs ? 2 : 1;
    }
    runs[type] = r;
    analysisFlags[type] = new Uint8Array(n);
  });

  markAnalyses(
    rng,
    order,
    runs,
    analysisFlags,
    plan.outOfRange.confidence,
    AnalysisFlag.confidenceOutOfRange,
    ["qwen-3-4b-fp8", "gemma-3-27b-it", "emotion-distilroberta"],
  );
  markAnalyses(
    rng,
    order,
    runs,
    analysisFlags,
    plan.outOfRange.qualityScore,
    AnalysisFlag.qualityOutOfRange,
    ["qwen-3-4b-fp8", "gemma-3-27b-it", "ollama-llama3.1-8b"],
  );
  return { artistOf, localIndex, memberStart, members, flags, duplicateOf, runs, analysisFlags };
}

/** Flags `count` analysed pairs, taking the analyzers in turn. */
function markAnalyses(
  rng: ReturnType<typeof rngFor>,
  order: Uint32Array,
  runs: Record<AnalyzerType, Uint8Array>,
  analysisFlags: Record<AnalyzerType, Uint8Array>,
  count: number,
  flag: number,
  analyzers: AnalyzerType[],
): void {
  let start = rng.int(order.length);
  for (let m = 0; m < count; m++) {
    const type = analyzers[m % analyzers.length] as AnalyzerType;
    let step = 0;
    for (; step < order.length; step++) {
      const i = order[(start + step) % order.length] as number;
      if (runs[type][i] && !analysisFlags[type][i]) {
        analysisFlags[type][i] = flag;
        break;
      }
    }
    if (step === order.length) throw new Error(`no ${type} analysis left to flag`);
    start = (start + step + 1) % order.length;
  }
}
