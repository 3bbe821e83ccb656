import type postgres from "postgres";
import { DAY, formatTimestamp } from "./analyzers";
import { type Artist, buildRoster, coprimeStride } from "./artists";
import { EmbeddingSpace, FixedVector } from "./embeddings";
import { buildLayout, type Layout, TrackFlag } from "./layout";
import { writeLyrics } from "./lyrics";
import { type AlgorithmicFeatures, algorithmicFeatures, round } from "./lyrics-stats";
import { rngFor, Stream } from "./random";
import type { CorpusPlan } from "./scale";
import { GENRES, nearestMood } from "./styles";
import { ALBUM_PATTERNS, THEMES, TITLE_FIRST, TITLE_SECOND, TITLE_SUFFIXES } from "./vocab";

export type CorpusContext = {
  seed: number;
  plan: CorpusPlan;
  roster: Artist[];
  layout: Layout;
  space: EmbeddingSpace;
};

export function createContext(seed: number, plan: CorpusPlan): CorpusContext {
  const roster = buildRoster(seed, plan.artists);
  return { seed, plan, roster, layout: buildLayout(seed, plan, roster), space: new EmbeddingSpace(seed) };
}

const CREATED_FROM = Date.UTC(2019, 0, 1);
const CREATED_UNTIL = Date.UTC(2025, 6, 1);
const clamp = (x: number, lo = 0, hi = 1) => Math.min(hi, Math.max(lo, x));

/** Tracks were ingested steadily from 2019 to mid-2025, in id order. */
export function trackCreatedAt(ctx: CorpusContext, index: number): number {
  const jitter = rngFor(ctx.seed, Stream.trackTime, index).next();
  const ms = CREATED_FROM + ((index + jitter) * (CREATED_UNTIL - CREATED_FROM)) / ctx.plan.tracks;
  return Math.floor(ms / 1000) * 1000;
}

/** The true character of a track; its row and every analysis of it are readings of this. */
export type TrackProfile = {
  index: number;
  /** The track whose content this one carries: itself, or the source of a duplicate. */
  content: number;
  artist: Artist;
  title: string;
  album: string;
  releaseDate: string;
  createdAt: number;
  themes: number[];
  sentiment: number;
  mood: string;
  quality: number;
  complexity: number;
  popularity: number;
  audio: {
    danceability: number;
    energy: number;
    valence: number;
    tempo: number;
    loudness: number;
    speechiness: number;
    acousticness: number;
    durationMs: number;
    key: number;
    mode: number;
  };
  lyrics: string;
  lyricsStats: AlgorithmicFeatures;
};

function title(ctx: CorpusContext, artist: number, k: number): string {
  const space = TITLE_FIRST.length * TITLE_SECOND.length;
  const rng = rngFor(ctx.seed, Stream.artist, artist, 1);
  // A bijection per artist over the plain titles keeps (artist, title) unique except for planned duplicates.
  const idx = ((k % space) * coprimeStride(space, rng) + rng.int(space)) % space;
  const suffix = TITLE_SUFFIXES[Math.floor(k / space)];
  if (suffix === undefined) throw new Error(`artist ${artist} has more tracks than distinct titles`);
  return `${TITLE_FIRST[idx % TITLE_FIRST.length]} ${TITLE_SECOND[Math.floor(idx / TITLE_FIRST.length)]}${suffix}`;
}

function pickThemes(rng: ReturnType<typeof rngFor>, weights: number[]): number[] {
  const left = weights.slice();
  const themes: number[] = [];
  const count = 2 + rng.int(3);
  while (themes.length < count) {
    const t = rng.weighted(left);
    themes.push(t);
    left[t] = 0;
  }
  return themes;
}

export function trackProfile(ctx: CorpusContext, index: number): TrackProfile {
  const { layout, roster, seed } = ctx;
  const duplicateOf = layout.duplicateOf[index] ?? -1;
  const content = duplicateOf >= 0 ? duplicateOf : index;
  const a = layout.artistOf[content] as number;
  const artist = roster[a] as Artist;
  const k = layout.localIndex[content] as number;
  const rng = rngFor(seed, Stream.track, content);

  const themes = pickThemes(rng, artist.themeWeights);
  const [t0, t1] = themes.map((t) => THEMES[t] ?? (THEMES[0] as (typeof THEMES)[number]));
  const sentiment = clamp(
    0.45 * artist.sentiment +
      0.45 * (0.7 * (t0?.valence ?? 0) + 0.3 * (t1?.valence ?? 0)) +
      rng.normal(0, 0.15),
    -1,
  );
  const energy = clamp(artist.energy + 0.12 * (t0?.energy ?? 0) + rng.normal(0, 0.06), 0.05, 0.99);
  const valence = clamp(
    0.5 * artist.valence + 0.5 * (0.5 + 0.4 * sentiment) + rng.normal(0, 0.06),
    0.02,
    0.98,
  );
  const quality = clamp(0.45 * artist.skill + 0.2 * artist.fame + 0.35 * rng.next());
  const cleanVersion = rng.chance(0.12);
  const lyrics = writeLyrics(
    rngFor(seed, Stream.lyrics, content),
    artist,
    themes,
    cleanVersion ? 0 : artist.profanity,
  );
  const lyricsStats = algorithmicFeatures(lyrics);

  const albumNumber = Math.floor(k / artist.albumSize);
  const albumRng = rngFor(seed, Stream.album, a, albumNumber);
  const firstOfAlbum = layout.members[
    (layout.memberStart[a] as number) + albumNumber * artist.albumSize
  ] as number;
  const albumDay = trackCreatedAt(ctx, firstOfAlbum);
  const release =
    artist.careerStart < albumDay
      ? artist.careerStart + albumRng.next() * (albumDay - artist.careerStart)
      : albumDay - albumRng.next() * 30 * DAY;

  return {
    index,
    content,
    artist,
    title: title(ctx, a, k),
    album: albumRng
      .pick(ALBUM_PATTERNS)
      .replace("{first}", albumRng.pick(TITLE_FIRST))
      .replace("{second}", albumRng.pick(TITLE_SECOND)),
    releaseDate: formatTimestamp(release).slice(0, 10),
    createdAt: trackCreatedAt(ctx, index),
    themes,
    sentiment,
    mood: nearestMood(sentiment + rng.normal(0, 0.1), energy + rng.normal(0, 0.08)),
    quality,
    complexity: clamp(0.45 * artist.rhymeSkill + 0.35 * (artist.range / 0.35) + 0.2 * rng.next()),
    popularity: Math.round(clamp(8 + 55 * artist.fame + 30 * quality + rng.normal(0, 7), 0, 100)),
    audio: {
      danceability: clamp(artist.danceability + rng.normal(0, 0.06), 0.2, 0.98),
      energy,
      valence,
      tempo: clamp(artist.tempo + rng.normal(0, 7), 60, 200),
      loudness: clamp(-16 + 11 * energy + rng.normal(0, 1.2), -25, -1.5),
      speechiness: clamp(artist.speechiness + rng.normal(0, 0.05), 0.03, 0.7),
      acousticness: clamp(artist.acousticness * (1.3 - energy) + rng.normal(0, 0.04), 0.001, 0.95),
      durationMs: Math.round(
        clamp(60_000 + lyricsStats.word_count * 330 + rng.normal(0, 15_000), 95_000, 420_000),
      ),
      key: rng.int(12),
      mode: rng.chance(0.3 + 0.4 * valence) ? 1 : 0,
    },
    lyrics,
    lyricsStats,
  };
}

export type TrackRow = {
  id: number;
  title: string;
  artist: string;
  lyrics: string | null;
  url: string;
  created_at: string;
  spotify_data: postgres.JSONValue;
  audio_features: postgres.JSONValue;
  lyrics_embedding: FixedVector | null;
  audio_embedding: FixedVector | null;
};

const slug = (s: string) =>
  s
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, "-")
    .replace(/^-|-$/g, "");

export function trackRow(ctx: CorpusContext, p: TrackProfile): TrackRow {
  const flags = ctx.layout.flags[p.index] as number;
  const quirks = rngFor(ctx.seed, Stream.track, p.index, 1);
  const hasSpotify = !(flags & TrackFlag.withoutSpotify);
  const noise = (n: number) => rngFor(ctx.seed, Stream.embeddingNoise, p.content, n);
  let popularity = p.popularity;
  if (flags & TrackFlag.popularityOutOfRange)
    popularity = quirks.chance(0.5) ? 101 + quirks.int(60) : -1 - quirks.int(5);
  const tempo = round(p.audio.tempo, 3) * (flags & TrackFlag.tempoOutOfRange ? -1 : 1);
  return {
    id: p.index + 1,
    title: p.title,
    artist: p.artist.name,
    lyrics: flags & TrackFlag.nullLyrics ? null : p.lyrics,
    url: `https://genius.com/${slug(p.artist.name)}-${slug(p.title)}-lyrics`,
    created_at: formatTimestamp(p.createdAt),
    spotify_data: hasSpotify
      ? {
          popularity,
          release_date: p.releaseDate,
          album: p.album,
          explicit: p.lyricsStats.profanity_ratio > 0,
          genres: GENRES[p.artist.genre]?.tags ?? [],
        }
      : null,
    audio_features: hasSpotify
      ? {
          danceability: round(p.audio.danceability, 3),
          energy: round(p.audio.energy, 3),
          valence: round(p.audio.valence, 3),
          tempo,
          loudness: round(p.audio.loudness, 3),
          speechiness: round(p.audio.speechiness, 4),
          acousticness: round(p.audio.acousticness, 4),
          duration_ms: p.audio.durationMs,
          key: p.audio.key,
          mode: p.audio.mode,
        }
      : null,
    lyrics_embedding:
      flags & TrackFlag.nullLyrics ? null : FixedVector.of(ctx.space.lyrics(noise(0), p.artist, p.themes)),
    audio_embedding: hasSpotify ? FixedVector.of(ctx.space.audio(noise(1), p.artist.genre, p.audio)) : null,
  };
}
