import { describe, expect, it } from "vitest";
import { parseScale, parseSeed } from "../../src/cli/actions/corpus-options";
import { CliError, ExitCode } from "../../src/cli/run";
import { algorithmicFeatures, simplifiedFeatures } from "../../src/corpus";

const LYRICS = `[Verse 1]
I got the money every day
Damn they keep hatin' on my way

[Chorus]
Love in the night
Love in the light`;

describe("the rule-based analyzers' measures", () => {
  it("count lines and words without section headers, and rhymes by the last two letters", () => {
    expect(algorithmicFeatures(LYRICS)).toEqual({
      word_count: 21,
      unique_words: 17,
      lexical_diversity: 0.8095,
      rhyme_density: 0.6667,
      line_count: 4,
      avg_line_length: 5.25,
      flow_score: 0.7526,
      profanity_ratio: 0.0476,
    });
  });

  it("score sentiment with the lexicon", () => {
    const f = simplifiedFeatures(LYRICS);
    expect(f).toMatchObject({ word_count: 21, line_count: 4 });
    // positive: love, love; negative: hatin'
    expect(f.sentiment_score).toBeCloseTo(1 / 3, 4);
    expect(f.readability).toBeGreaterThan(50);
  });

  it("handle empty lyrics", () => {
    expect(algorithmicFeatures("")).toMatchObject({ word_count: 0, line_count: 0, lexical_diversity: 0 });
  });
});

describe("corpus generate arguments", () => {
  it.each(["0", "-1", "10.5", "abc", "", " "])("refuses --scale %j as a usage error", (raw) => {
    const error = (() => {
      try {
        parseScale(raw);
      } catch (e) {
        return e;
      }
    })();
    expect(error).toBeInstanceOf(CliError);
    expect((error as CliError).exitCode).toBe(ExitCode.usage);
    expect((error as CliError).message).toMatch(/--scale must be a number greater than 0 and at most 10/);
  });

  it("accepts scales in (0, 10] and whole seeds", () => {
    expect(parseScale("0.01")).toBe(0.01);
    expect(parseScale("10")).toBe(10);
    expect(parseSeed("7")).toBe(7);
    expect(() => parseSeed("1.5")).toThrow(CliError);
  });
});
