/** Genres (an artist's sound and subject matter) and moods (a track's feel). */

export type Genre = {
  name: string;
  /** Spotify-style artist genres. */
  tags: string[];
  /** Share of artists in this genre. */
  share: number;
  tempo: number;
  energy: number;
  valence: number;
  danceability: number;
  acousticness: number;
  speechiness: number;
  /** Probability that a line of a track by a typical artist of the genre carries profanity. */
  profanity: number;
  /** −1 … +1 */
  sentiment: number;
  /** Extra weight per theme name. */
  themes: Record<string, number>;
};

const genre = (g: Genre) => g;

export const GENRES: readonly Genre[] = [
  genre({
    name: "trap",
    tags: ["trap", "southern hip hop", "rap"],
    share: 0.2,
    tempo: 140,
    energy: 0.72,
    valence: 0.42,
    danceability: 0.76,
    acousticness: 0.08,
    speechiness: 0.24,
    profanity: 0.3,
    sentiment: 0,
    themes: { money: 3, drugs: 2, party: 1.5, "street life": 2, fame: 1.5 },
  }),
  genre({
    name: "drill",
    tags: ["drill", "uk drill", "rap"],
    share: 0.08,
    tempo: 142,
    energy: 0.78,
    valence: 0.3,
    danceability: 0.64,
    acousticness: 0.06,
    speechiness: 0.3,
    profanity: 0.35,
    sentiment: -0.4,
    themes: { violence: 3, "street life": 3, betrayal: 2, loyalty: 1.5 },
  }),
  genre({
    name: "boom bap",
    tags: ["boom bap", "east coast hip hop", "hip hop"],
    share: 0.1,
    tempo: 92,
    energy: 0.62,
    valence: 0.5,
    danceability: 0.72,
    acousticness: 0.2,
    speechiness: 0.32,
    profanity: 0.2,
    sentiment: 0,
    themes: { struggle: 2, ambition: 2, "street life": 2, nostalgia: 1.5 },
  }),
  genre({
    name: "conscious hip hop",
    tags: ["conscious hip hop", "alternative hip hop", "hip hop"],
    share: 0.08,
    tempo: 94,
    energy: 0.58,
    valence: 0.5,
    danceability: 0.66,
    acousticness: 0.26,
    speechiness: 0.34,
    profanity: 0.1,
    sentiment: 0.1,
    themes: { "social justice": 3, struggle: 2, spirituality: 1.5, family: 1.5 },
  }),
  genre({
    name: "gangsta rap",
    tags: ["gangsta rap", "hardcore hip hop", "rap"],
    share: 0.1,
    tempo: 96,
    energy: 0.7,
    valence: 0.44,
    danceability: 0.74,
    acousticness: 0.1,
    speechiness: 0.28,
    profanity: 0.35,
    sentiment: -0.3,
    themes: { violence: 2, "street life": 3, money: 2, loyalty: 1.5 },
  }),
  genre({
    name: "west coast hip hop",
    tags: ["west coast hip hop", "g funk", "hip hop"],
    share: 0.08,
    tempo: 98,
    energy: 0.66,
    valence: 0.62,
    danceability: 0.8,
    acousticness: 0.12,
    speechiness: 0.24,
    profanity: 0.25,
    sentiment: 0.15,
    themes: { party: 2, "street life": 2, money: 1.5, loyalty: 1.5 },
  }),
  genre({
    name: "southern hip hop",
    tags: ["southern hip hop", "dirty south", "rap"],
    share: 0.1,
    tempo: 145,
    energy: 0.7,
    valence: 0.55,
    danceability: 0.78,
    acousticness: 0.09,
    speechiness: 0.22,
    profanity: 0.28,
    sentiment: 0.1,
    themes: { party: 2, money: 2, drugs: 1.5, "street life": 1.5 },
  }),
  genre({
    name: "emo rap",
    tags: ["emo rap", "cloud rap", "rap"],
    share: 0.07,
    tempo: 125,
    energy: 0.55,
    valence: 0.25,
    danceability: 0.6,
    acousticness: 0.3,
    speechiness: 0.12,
    profanity: 0.2,
    sentiment: -0.5,
    themes: { heartbreak: 3, drugs: 2, struggle: 2, love: 1 },
  }),
  genre({
    name: "pop rap",
    tags: ["pop rap", "melodic rap", "pop"],
    share: 0.11,
    tempo: 105,
    energy: 0.72,
    valence: 0.7,
    danceability: 0.78,
    acousticness: 0.14,
    speechiness: 0.14,
    profanity: 0.08,
    sentiment: 0.5,
    themes: { love: 2, party: 2.5, fame: 2, ambition: 1.5 },
  }),
  genre({
    name: "jazz rap",
    tags: ["jazz rap", "lo-fi hip hop", "hip hop"],
    share: 0.08,
    tempo: 88,
    energy: 0.48,
    valence: 0.6,
    danceability: 0.7,
    acousticness: 0.45,
    speechiness: 0.3,
    profanity: 0.06,
    sentiment: 0.3,
    themes: { nostalgia: 2, love: 1.5, spirituality: 1.5, ambition: 1.5 },
  }),
];

type MoodPrototype = { name: string; sentiment: number; energy: number };

/** Moods placed on the (sentiment, energy) plane; a track takes the nearest one. */
export const MOODS: readonly MoodPrototype[] = [
  { name: "aggressive", sentiment: -0.6, energy: 0.85 },
  { name: "dark", sentiment: -0.5, energy: 0.55 },
  { name: "melancholic", sentiment: -0.6, energy: 0.3 },
  { name: "defiant", sentiment: -0.15, energy: 0.75 },
  { name: "reflective", sentiment: 0, energy: 0.4 },
  { name: "confident", sentiment: 0.35, energy: 0.7 },
  { name: "hype", sentiment: 0.45, energy: 0.9 },
  { name: "euphoric", sentiment: 0.8, energy: 0.8 },
  { name: "chill", sentiment: 0.4, energy: 0.35 },
  { name: "romantic", sentiment: 0.65, energy: 0.45 },
];

export function nearestMood(sentiment: number, energy: number): string {
  let best = MOODS[0] as MoodPrototype;
  let bestDistance = Number.POSITIVE_INFINITY;
  for (const mood of MOODS) {
    const distance = (mood.sentiment - sentiment) ** 2 + (mood.energy - energy) ** 2;
    if (distance < bestDistance) {
      best = mood;
      bestDistance = distance;
    }
  }
  return best.name;
}
