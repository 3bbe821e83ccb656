import { type Rng, rngFor, Stream } from "./random";
import { GENRES } from "./styles";
import { AD_LIBS, NAME_CORES, NAME_PREFIXES, NAME_SUFFIXES, THEMES } from "./vocab";

/** An artist's style: everything its tracks inherit, so features correlate by artist. */
export type Artist = {
  index: number;
  name: string;
  genre: number;
  /** Relative weight per entry of THEMES: an artist writes mostly about two or three themes. */
  themeWeights: number[];
  sentiment: number;
  energy: number;
  valence: number;
  danceability: number;
  tempo: number;
  acousticness: number;
  speechiness: number;
  /** Chance that a line carries profanity. */
  profanity: number;
  /** Chance that a couplet rhymes. */
  rhymeSkill: number;
  /** Chance that a line borrows words from outside the track's themes (more unique words). */
  range: number;
  /** 0 (unknown) … 1 (star); most artists are obscure. */
  fame: number;
  skill: number;
  careerStart: number;
  albumSize: number;
  adLibs: string[];
  /** Relative share of the corpus's tracks. */
  trackWeight: number;
};

const YEAR = 365.25 * 86_400_000;
const clamp = (x: number, lo: number, hi: number) => Math.min(hi, Math.max(lo, x));

/** A stride coprime with `size`, so k ↦ (k·stride + offset) mod size is a bijection. */
export function coprimeStride(size: number, rng: Rng): number {
  const gcd = (a: number, b: number): number => (b === 0 ? a : gcd(b, a % b));
  let stride = Math.floor(size * (0.38 + 0.24 * rng.next())) || 1;
  while (gcd(stride, size) !== 1) stride++;
  return stride;
}

export function buildRoster(seed: number, count: number): Artist[] {
  const maxNames = NAME_CORES.length * NAME_SUFFIXES.length;
  if (count > maxNames) throw new Error(`at most ${maxNames} distinct artist names, ${count} requested`);
  const naming = rngFor(seed, Stream.artist, -1);
  const stride = coprimeStride(NAME_CORES.length, naming);
  const offset = naming.int(NAME_CORES.length);
  return Array.from({ length: count }, (_, index) => {
    const rng = rngFor(seed, Stream.artist, index);
    // The core is unique per artist below NAME_CORES.length; the suffix tier keeps the rest unique.
    const core = NAME_CORES[(index * stride + offset) % NAME_CORES.length] as string;
    const suffix = NAME_SUFFIXES[Math.floor(index / NAME_CORES.length)] as string;
    const prefix = rng.chance(0.45) ? (NAME_PREFIXES[1 + rng.int(NAME_PREFIXES.length - 1)] as string) : "";
    return styleArtist(rng, index, [prefix, core, suffix].filter(Boolean).join(" "));
  });
}

function styleArtist(rng: Rng, index: number, name: string): Artist {
  const genreIndex = rng.weighted(GENRES.map((g) => g.share));
  const genre = GENRES[genreIndex] as (typeof GENRES)[number];
  const themeWeights = THEMES.map((t) => 0.15 + (genre.themes[t.name] ?? 0));
  for (let i = 0; i < 2 + rng.int(2); i++) {
    const favourite = rng.weighted(themeWeights);
    themeWeights[favourite] = (themeWeights[favourite] ?? 0) * rng.between(2.5, 5);
  }
  const fame = rng.next() ** 2.2;
  const adLibs = [rng.pick(AD_LIBS), rng.pick(AD_LIBS)];
  return {
    index,
    name,
    genre: genreIndex,
    themeWeights,
    sentiment: clamp(genre.sentiment + rng.normal(0, 0.2), -1, 1),
    energy: clamp(genre.energy + rng.normal(0, 0.07), 0.15, 0.97),
    valence: clamp(genre.valence + rng.normal(0, 0.08), 0.05, 0.95),
    danceability: clamp(genre.danceability + rng.normal(0, 0.06), 0.2, 0.97),
    tempo: genre.tempo + rng.normal(0, 6),
    acousticness: clamp(genre.acousticness + rng.normal(0, 0.06), 0.005, 0.9),
    speechiness: clamp(genre.speechiness + rng.normal(0, 0.05), 0.04, 0.6),
    // Some artists never swear; how many depends on the genre.
    profanity: rng.chance(clamp(0.6 - 1.6 * genre.profanity, 0.03, 0.6))
      ? 0
      : clamp(genre.profanity * rng.between(0.3, 1.6), 0, 0.6),
    rhymeSkill: rng.between(0.35, 0.95),
    range: rng.between(0.02, 0.35),
    fame,
    skill: rng.between(0.15, 1),
    careerStart: Date.UTC(1994, 0, 1) + rng.next() * 28 * YEAR,
    albumSize: 8 + rng.int(9),
    adLibs,
    trackWeight: (0.25 + 3 * fame) * rng.between(0.5, 1.5),
  };
}
