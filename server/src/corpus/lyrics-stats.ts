import { NEGATIVE_WORDS, POSITIVE_WORDS, PROFANITY } from "./vocab";

/**
 * What the rule-based analyzers measure, computed from the stored lyrics so anyone can check
 * them. Definitions:
 * - a line is a non-empty line that is not a section header such as "[Verse 1]";
 * - a word is a whitespace-separated token of a line, compared lowercased;
 * - two lines rhyme when the letters of their last words end in the same two letters.
 */
export type AlgorithmicFeatures = {
  word_count: number;
  unique_words: number;
  /** unique_words / word_count */
  lexical_diversity: number;
  /** Share of consecutive line pairs that rhyme. */
  rhyme_density: number;
  line_count: number;
  /** Words per line. */
  avg_line_length: number;
  /** 1 − coefficient of variation of words per line, floored at 0: steady lines flow. */
  flow_score: number;
  /** Share of words in PROFANITY. */
  profanity_ratio: number;
};

export type SimplifiedFeatures = {
  word_count: number;
  line_count: number;
  /** (positive − negative) / (positive + negative) lexicon words; 0 without any. */
  sentiment_score: number;
  /** Flesch reading ease with lines as sentences, clamped to 0–100. */
  readability: number;
  avg_word_length: number;
};

const HEADER = /^\[.*\]$/;
const PROFANE = new Set(PROFANITY);

export const round = (x: number, digits: number) => {
  const f = 10 ** digits;
  return Math.round(x * f) / f;
};

export function lyricLines(lyrics: string): string[][] {
  const lines: string[][] = [];
  for (const raw of lyrics.split("\n")) {
    const line = raw.trim();
    if (line === "" || HEADER.test(line)) continue;
    lines.push(line.toLowerCase().split(/\s+/));
  }
  return lines;
}

const rhymeKey = (word: string) => word.replace(/[^a-z]/g, "").slice(-2);

export function algorithmicFeatures(lyrics: string): AlgorithmicFeatures {
  const lines = lyricLines(lyrics);
  const unique = new Set<string>();
  let words = 0;
  let profane = 0;
  let rhymes = 0;
  let sumSquares = 0;
  lines.forEach((line, i) => {
    words += line.length;
    sumSquares += line.length * line.length;
    for (const word of line) {
      unique.add(word);
      if (PROFANE.has(word)) profane++;
    }
    const previous = lines[i - 1];
    if (previous && rhymeKey(previous.at(-1) ?? "") === rhymeKey(line.at(-1) ?? "")) rhymes++;
  });
  const count = lines.length;
  const mean = count ? words / count : 0;
  const sd = count ? Math.sqrt(Math.max(0, sumSquares / count - mean * mean)) : 0;
  return {
    word_count: words,
    unique_words: unique.size,
    lexical_diversity: words ? round(unique.size / words, 4) : 0,
    rhyme_density: count > 1 ? round(rhymes / (count - 1), 4) : 0,
    line_count: count,
    avg_line_length: round(mean, 2),
    flow_score: mean ? round(Math.max(0, 1 - sd / mean), 4) : 0,
    profanity_ratio: words ? round(profane / words, 4) : 0,
  };
}

type WordShape = { letters: number; syllables: number };
// The vocabulary is small, so each word is measured once.
const shapes = new Map<string, WordShape>();

function shape(word: string): WordShape {
  let known = shapes.get(word);
  if (!known) {
    const letters = word.replace(/[^a-z]/g, "");
    let syllables = letters.match(/[aeiouy]+/g)?.length ?? 0;
    if (syllables > 1 && letters.endsWith("e") && !letters.endsWith("le")) syllables--;
    known = { letters: letters.length, syllables: Math.max(1, syllables) };
    shapes.set(word, known);
  }
  return known;
}

export function simplifiedFeatures(lyrics: string): SimplifiedFeatures {
  const lines = lyricLines(lyrics);
  let words = 0;
  let letters = 0;
  let syllableCount = 0;
  let positive = 0;
  let negative = 0;
  for (const line of lines) {
    for (const word of line) {
      words++;
      const { letters: l, syllables: s } = shape(word);
      letters += l;
      syllableCount += s;
      if (POSITIVE_WORDS.has(word)) positive++;
      if (NEGATIVE_WORDS.has(word)) negative++;
    }
  }
  const count = lines.length;
  const flesch = words ? 206.835 - 1.015 * (words / count) - 84.6 * (syllableCount / words) : 0;
  return {
    word_count: words,
    line_count: count,
    sentiment_score: positive + negative ? round((positive - negative) / (positive + negative), 4) : 0,
    readability: round(Math.min(100, Math.max(0, flesch)), 1),
    avg_word_length: words ? round(letters / words, 2) : 0,
  };
}
