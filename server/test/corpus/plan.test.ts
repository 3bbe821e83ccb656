import { describe, expect, it } from "vitest";
import { ANALYZER_TYPES, CorpusPlanError, corpusPlan, MINIMUMS } from "../../src/corpus";

describe("corpusPlan", () => {
  it("gives the real platform's counts at scale 1", () => {
    const plan = corpusPlan(1);
    expect(plan.tracks).toBe(57_718);
    expect(plan.artists).toBe(345);
    expect(plan.nullLyrics).toBe(2);
    expect(plan.tracksWithLyrics).toBe(57_716);
    expect(plan.analyses).toBe(269_646);
    expect(Object.fromEntries(ANALYZER_TYPES.map((t) => [t, plan.analyzers[t].rows]))).toEqual({
      "qwen-3-4b-fp8": 57_716,
      "gemma-3-27b-it": 34_320,
      algorithmic: 57_716,
      "emotion-distilroberta": 57_716,
      simplified_features: 57_716,
      "ollama-llama3.1-8b": 4_462,
    });
    expect(plan.withoutSpotify / plan.tracks).toBeCloseTo(0.08, 3);
    expect(plan.duplicates).toBeGreaterThanOrEqual(3);
  });

  it.each([0.01, 0.1, 1, 3.7, 10])(
    "keeps rows = pairs + re-runs and ≥5%% re-run pairs at scale %s",
    (scale) => {
      const plan = corpusPlan(scale);
      let rows = 0;
      for (const type of ANALYZER_TYPES) {
        const a = plan.analyzers[type];
        expect(a.rows).toBe(a.pairs + a.rerunPairs + a.tripleRunPairs);
        expect(a.pairs).toBeLessThanOrEqual(plan.tracksWithLyrics);
        expect(a.rerunPairs / a.pairs).toBeGreaterThanOrEqual(0.05);
        expect(a.tripleRunPairs).toBeGreaterThanOrEqual(1);
        rows += a.rows;
      }
      expect(plan.analyses).toBe(rows);
      expect(plan.rerunPairs / plan.pairs).toBeGreaterThanOrEqual(0.05);
    },
  );

  it("scales counts with Math.round", () => {
    const plan = corpusPlan(0.5);
    expect(plan.tracks).toBe(Math.round(57_718 * 0.5));
    expect(plan.analyzers["gemma-3-27b-it"].rows).toBe(Math.round(34_320 * 0.5));
    expect(plan.analyzers["ollama-llama3.1-8b"].rows).toBe(Math.round(4_462 * 0.5));
  });

  it("keeps every special case at scale 0.01 through its minimum", () => {
    const plan = corpusPlan(0.01);
    expect(plan.tracks).toBe(577);
    expect(plan.artists).toBe(MINIMUMS.artists);
    expect(plan.nullLyrics).toBe(MINIMUMS.nullLyrics);
    expect(plan.duplicates).toBe(MINIMUMS.duplicates);
    expect(plan.withoutSpotify).toBe(46);
    expect(Object.values(plan.outOfRange).every((n) => n >= MINIMUMS.outOfRange)).toBe(true);
    expect(plan.analyzers["ollama-llama3.1-8b"]).toEqual({
      rows: 45,
      pairs: 41,
      rerunPairs: 3,
      tripleRunPairs: 1,
    });
  });

  it.each([0, -1, 10.5, Number.NaN, Number.POSITIVE_INFINITY])("refuses scale %s", (scale) => {
    expect(() => corpusPlan(scale)).toThrow(CorpusPlanError);
  });
});
