import { describe, expect, it } from "vitest";
import { MAX_BINS, planBins, robustRange } from "../../src/materialize/bins";

describe("histogram bins", () => {
  it("keeps one wild value out of the range: tempo with a −175.8 minimum is binned over Tukey's fences", () => {
    const tempo = { min: -175.8, max: 212.1, p5: 82, p25: 94.5, p75: 140.2, p95: 160 };
    const plan = planBins(tempo, "float");
    expect(plan?.range).toBe("tukey_fences");
    // Q1 − 1.5·IQR = 25.95, Q3 + 1.5·IQR = 208.75: nice edges around them, the outlier below.
    expect(plan).toMatchObject({ lower: 20, upper: 210, width: 10, bins: 19 });
  });

  it("bins a well-behaved range from its min to past its max, on nice edges", () => {
    const plan = planBins({ min: 0, max: 1, p5: 0.1, p25: 0.3, p75: 0.7, p95: 0.9 }, "float");
    expect(plan).toMatchObject({ lower: 0, width: 0.05, range: "min_max" });
    // The upper edge is exclusive (width_bucket), so the maximum gets a bin of its own.
    expect(plan?.upper).toBeGreaterThan(1);
    expect(plan?.bins).toBe(21);
  });

  it("gives small integer ranges one bin per value", () => {
    expect(planBins({ min: 0, max: 5, p25: 1, p75: 2 }, "int")).toEqual({
      lower: 0,
      upper: 6,
      width: 1,
      bins: 6,
      range: "min_max",
    });
    expect(planBins({ min: 3, max: 3 }, "int")).toMatchObject({ lower: 3, upper: 4, bins: 1 });
  });

  it("gives wide integer ranges whole-number widths", () => {
    const plan = planBins({ min: 0, max: 20_000, p5: 300, p25: 1200, p75: 3000, p95: 6000 }, "int");
    expect(Number.isInteger(plan?.width)).toBe(true);
    expect(plan?.range).toBe("tukey_fences");
    expect(plan?.bins).toBeLessThanOrEqual(MAX_BINS);
    const narrow = planBins({ min: 0, max: 100, p5: 50, p25: 50, p75: 51, p95: 52 }, "int");
    expect(narrow?.width).toBe(1);
  });

  it("falls back to p5–p95, then min–max, when the quartiles are equal", () => {
    expect(robustRange({ min: 0, max: 100, p5: 2, p25: 10, p75: 10, p95: 40 }, "float")).toEqual({
      lo: 2,
      hi: 40,
      range: "p5_p95",
    });
    expect(robustRange({ min: 0, max: 100, p5: 10, p25: 10, p75: 10, p95: 10 }, "float").range).toBe(
      "min_max",
    );
    expect(planBins({ min: 7.5, max: 7.5 }, "float")).toMatchObject({ bins: 1 });
  });

  it("bins time in widths a calendar reads: days for a month of timestamps", () => {
    const day = 86_400;
    const start = Date.UTC(2024, 0, 1) / 1000;
    const plan = planBins(
      { min: start, max: start + 30 * day, p25: start + 7 * day, p75: start + 22 * day },
      "time",
    );
    expect(plan?.width).toBe(2 * day);
    // Edges on multiples of the width since 1970: midnights, UTC.
    expect(plan?.lower).toBeLessThanOrEqual(start);
    expect((plan?.lower ?? 1) % day).toBe(0);
  });

  it("never leaves a value of the range outside, whatever the floating point does", () => {
    for (const [min, max] of [
      [0.1, 0.7],
      [-3.3, 9.9],
      [1e-7, 3e-7],
      [1234.5678, 98765.4321],
    ] as const) {
      const plan = planBins({ min, max }, "float");
      if (!plan) throw new Error("no plan");
      expect(plan.lower).toBeLessThanOrEqual(min);
      expect(plan.upper).toBeGreaterThan(max);
      expect(plan.bins).toBeGreaterThanOrEqual(9);
      expect(plan.bins).toBeLessThanOrEqual(MAX_BINS);
    }
  });
});
