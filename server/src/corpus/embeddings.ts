import type { Artist } from "./artists";
import { type Rng, rngFor, Stream } from "./random";

export const LYRICS_DIMENSIONS = 384;
export const AUDIO_DIMENSIONS = 128;
export const ANALYSIS_DIMENSIONS = 256;
/** Decimals written per component: fixed, so the text (and the stored floats) is byte-identical. */
export const VECTOR_DECIMALS = 5;

const Cluster = {
  lyricsGenre: 1,
  artist: 2,
  lyricsTheme: 3,
  audioGenre: 4,
  audioAxis: 5,
  analysisTheme: 6,
  analysisSentiment: 7,
  analysisMood: 8,
} as const;

export type AudioTraits = {
  danceability: number;
  energy: number;
  valence: number;
  tempo: number;
  loudness: number;
  speechiness: number;
  acousticness: number;
  mode: number;
};

function gaussianUnit(rng: Rng, dimensions: number): Float64Array {
  const v = new Float64Array(dimensions);
  for (let i = 0; i < dimensions; i++) v[i] = rng.normal();
  return normalize(v);
}

export function normalize(v: Float64Array): Float64Array {
  let sum = 0;
  for (let i = 0; i < v.length; i++) sum += (v[i] as number) ** 2;
  const norm = Math.sqrt(sum) || 1;
  for (let i = 0; i < v.length; i++) v[i] = (v[i] as number) / norm;
  return v;
}

/** v += weight · u */
function add(v: Float64Array, u: Float64Array, weight: number): void {
  for (let i = 0; i < v.length; i++) v[i] = (v[i] as number) + weight * (u[i] as number);
}

const SCALE = 10 ** VECTOR_DECIMALS;
let components: { positive: string[]; negative: string[] } | undefined;

/**
 * A vector as the corpus stores it: each component rounded to VECTOR_DECIMALS decimals, kept as
 * the integer of its decimals (binary COPY divides it into the float4 the text makes).
 */
export class FixedVector {
  static readonly SCALE = SCALE;

  constructor(readonly codes: Int32Array) {}

  /** Component i is `codes[i] / scale` (what binary COPY writes). */
  get scale(): number {
    return SCALE;
  }

  static of(v: Float64Array): FixedVector {
    const codes = new Int32Array(v.length);
    for (let i = 0; i < v.length; i++) codes[i] = Math.round((v[i] as number) * SCALE);
    return new FixedVector(codes);
  }

  /**
   * pgvector text. Looks components up in tables of every possible text (toFixed is the slowest
   * step of generation otherwise).
   */
  toString(): string {
    if (!components) {
      const fractions = Array.from({ length: SCALE }, (_, i) => String(i).padStart(VECTOR_DECIMALS, "0"));
      components = { positive: fractions.map((f) => `0.${f}`), negative: fractions.map((f) => `-0.${f}`) };
    }
    const { positive, negative } = components;
    let text = "[";
    for (let i = 0; i < this.codes.length; i++) {
      const n = this.codes[i] as number;
      if (i > 0) text += ",";
      if (n >= SCALE || n <= -SCALE) text += (n / SCALE).toFixed(VECTOR_DECIMALS);
      else text += n < 0 ? negative[-n] : positive[n];
    }
    return `${text}]`;
  }
}

/**
 * Embeddings with known structure: a track's lyrics vector is its artist's direction (itself
 * near its genre's) plus its themes' plus noise, so nearest neighbours share artist or theme; the
 * audio vector is a fixed linear map of the audio features plus a genre direction; the analysis
 * vector mixes the analysis's themes, sentiment and mood.
 */
export class EmbeddingSpace {
  private readonly clusters = new Map<string, Float64Array>();

  constructor(private readonly seed: number) {}

  private cluster(kind: number, index: number, dimensions: number): Float64Array {
    const key = `${kind}:${index}`;
    let v = this.clusters.get(key);
    if (!v) {
      v = gaussianUnit(rngFor(this.seed, Stream.cluster, kind, index), dimensions);
      this.clusters.set(key, v);
    }
    return v;
  }

  private artist(artist: Artist): Float64Array {
    const key = `artist:${artist.index}`;
    let v = this.clusters.get(key);
    if (!v) {
      v = new Float64Array(LYRICS_DIMENSIONS);
      add(v, this.cluster(Cluster.lyricsGenre, artist.genre, LYRICS_DIMENSIONS), 0.5);
      add(v, this.cluster(Cluster.artist, artist.index, LYRICS_DIMENSIONS), 0.87);
      normalize(v);
      this.clusters.set(key, v);
    }
    return v;
  }

  lyrics(rng: Rng, artist: Artist, themes: readonly number[]): Float64Array {
    const v = gaussianUnit(rng, LYRICS_DIMENSIONS);
    for (let i = 0; i < v.length; i++) v[i] = (v[i] as number) * 0.4;
    add(v, this.artist(artist), 0.62);
    add(v, this.cluster(Cluster.lyricsTheme, themes[0] ?? 0, LYRICS_DIMENSIONS), 0.5);
    add(v, this.cluster(Cluster.lyricsTheme, themes[1] ?? 0, LYRICS_DIMENSIONS), 0.2);
    return normalize(v);
  }

  audio(rng: Rng, genre: number, traits: AudioTraits): Float64Array {
    const standardized = [
      (traits.danceability - 0.72) / 0.1,
      (traits.energy - 0.65) / 0.14,
      (traits.valence - 0.5) / 0.2,
      (traits.tempo - 115) / 25,
      (traits.loudness + 7) / 3,
      (traits.speechiness - 0.22) / 0.1,
      (traits.acousticness - 0.15) / 0.14,
      traits.mode ? 0.5 : -0.5,
    ];
    const v = gaussianUnit(rng, AUDIO_DIMENSIONS);
    for (let i = 0; i < v.length; i++) v[i] = (v[i] as number) * 0.3;
    standardized.forEach((x, axis) => {
      add(v, this.cluster(Cluster.audioAxis, axis, AUDIO_DIMENSIONS), 0.35 * x);
    });
    add(v, this.cluster(Cluster.audioGenre, genre, AUDIO_DIMENSIONS), 0.5);
    return normalize(v);
  }

  analysis(rng: Rng, themes: readonly number[], sentiment: number, mood: number): Float64Array {
    const v = gaussianUnit(rng, ANALYSIS_DIMENSIONS);
    for (let i = 0; i < v.length; i++) v[i] = (v[i] as number) * 0.3;
    const weights = [0.7, 0.45, 0.3, 0.2];
    themes.forEach((t, i) => {
      add(v, this.cluster(Cluster.analysisTheme, t, ANALYSIS_DIMENSIONS), weights[i] ?? 0.15);
    });
    add(v, this.cluster(Cluster.analysisSentiment, sentiment, ANALYSIS_DIMENSIONS), 0.35);
    add(v, this.cluster(Cluster.analysisMood, mood, ANALYSIS_DIMENSIONS), 0.3);
    return normalize(v);
  }
}
