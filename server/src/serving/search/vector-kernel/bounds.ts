import type { EmbeddingInfo } from "../../../registry";
import type { Quantized } from "./quantize";
import { Sieve } from "./sieve";

export type Metric = EmbeddingInfo["metric"];

/**
 * Per stored vector x: ‖x‖, 1/‖x‖ and its int8 quantization (x ≈ scale · codes) with its error,
 * +∞ where the error of pgvector's arithmetic is unknown (the bounds are then NaN or infinite).
 */
export type RowStats = {
  norms: Float64Array;
  inverseNorms: Float64Array;
  scales: Float64Array;
  /** scale / ‖x‖: the cosine similarity is cosineScales[i] · t/‖q‖ · S. */
  cosineScales: Float64Array;
  errors: Float64Array;
  codedNorms: Float64Array;
  /** Maxima over every row, for a first test that rejects most rows from their score alone. */
  largest: { norm: number; error: number; codedNorm: number; relativeError: number; relativeCoded: number };
};

/** Completes RowStats from the per-row arrays. */
export function rowStats(stats: Omit<RowStats, "cosineScales" | "largest">): RowStats {
  const { norms, inverseNorms, scales, errors, codedNorms } = stats;
  const largest = { norm: 0, error: 0, codedNorm: 0, relativeError: 0, relativeCoded: 0 };
  const cosineScales = new Float64Array(norms.length);
  for (let i = 0; i < norms.length; i++) {
    const inverse = inverseNorms[i] as number;
    cosineScales[i] = (scales[i] as number) * inverse;
    largest.norm = Math.max(largest.norm, norms[i] as number);
    largest.error = Math.max(largest.error, errors[i] as number);
    largest.codedNorm = Math.max(largest.codedNorm, codedNorms[i] as number);
    largest.relativeError = Math.max(largest.relativeError, (errors[i] as number) * inverse);
    largest.relativeCoded = Math.max(largest.relativeCoded, (codedNorms[i] as number) * inverse);
  }
  return { ...stats, cosineScales, largest };
}

export type QueryStats = Quantized & { norm: number };

// Far above float64 rounding in the bound arithmetic, far below the int8 error it adds to.
const FLOAT64_SLACK = 1e-9;

/**
 * The rows (of `rows`, less `excluded`) that may be among the `count` nearest to the query q:
 * those whose lower bound on pgvector's distance does not exceed the count-th smallest upper
 * bound. The bounds come from the exact int8 score S = codes(x) · codes(q) of each stored x.
 * With x̂ = s·codes(x), q̂ = t·codes(q) and x·q − x̂·q̂ = (x − x̂)·q + x̂·(q − q̂):
 *   |x·q − s·t·S| ≤ ‖x − x̂‖·‖q‖ + ‖x̂‖·‖q − q̂‖.
 * pgvector sums d float32 products in float32 (relative error ≤ γ = (d+4)u/(1 − (d+4)u), u = 2⁻²⁴,
 * covering the rounded products and differences too), so its value may stray from the exact one
 * by γ·‖x‖‖q‖ for inner products, about 2γ for cosine similarities and a factor 1 ± γ for squared
 * L2: the bounds widen by more than that.
 */
export function candidateRows(
  metric: Metric,
  dimension: number,
  stats: RowStats,
  query: QueryStats,
  scores: Int32Array,
  rows: Int32Array,
  excluded: number,
  count: number,
): number[] {
  const sieve = new Sieve(count);
  const u = (dimension + 4) * 2 ** -24;
  const gamma = 2 * (u / (1 - u));
  const { norms, inverseNorms, scales, cosineScales, errors, codedNorms, largest } = stats;
  const t = query.scale;
  const qNorm = query.norm;
  const qError = query.error * (1 + FLOAT64_SLACK);
  const qNormSlack = qNorm * (1 + FLOAT64_SLACK);
  const n = rows.length;
  if (metric === "inner_product") {
    const normSlack = (FLOAT64_SLACK + gamma) * qNorm;
    const widest = largest.error * qNormSlack + largest.codedNorm * qError + normSlack * largest.norm;
    for (let r = 0; r < n; r++) {
      const i = rows[r] as number;
      const approx = (scales[i] as number) * t * (scores[i] as number);
      if (-(approx + widest) > sieve.threshold || i === excluded) continue;
      const norm = norms[i] as number;
      const spread =
        (errors[i] as number) * qNormSlack + (codedNorms[i] as number) * qError + normSlack * norm;
      sieve.offer(i, -(approx + spread), -(approx - spread));
    }
  } else if (metric === "cosine") {
    const similaritySlack = FLOAT64_SLACK + 3 * gamma;
    const scoreScale = t / qNorm;
    const errorScale = qNormSlack / qNorm;
    const codedScale = qError / qNorm;
    const widest = largest.relativeError * errorScale + largest.relativeCoded * codedScale + similaritySlack;
    for (let r = 0; r < n; r++) {
      const i = rows[r] as number;
      const similarity = (cosineScales[i] as number) * scoreScale * (scores[i] as number);
      if (1 - similarity - widest > sieve.threshold || i === excluded) continue;
      const inverse = inverseNorms[i] as number;
      const spread = ((errors[i] as number) * errorScale + (codedNorms[i] as number) * codedScale) * inverse;
      sieve.offer(i, 1 - similarity - spread - similaritySlack, 1 - similarity + spread + similaritySlack);
    }
  } else {
    const widest =
      largest.error * qNormSlack + largest.codedNorm * qError + FLOAT64_SLACK * largest.norm * qNorm;
    for (let r = 0; r < n; r++) {
      const i = rows[r] as number;
      const norm = norms[i] as number;
      const approx = (scales[i] as number) * t * (scores[i] as number);
      const squares = norm * norm + qNorm * qNorm;
      const lowestSquare = (squares - 2 * (approx + widest) - FLOAT64_SLACK * squares) * (1 - gamma);
      const threshold = sieve.threshold;
      if (lowestSquare > threshold * threshold || i === excluded) continue;
      const spread =
        (errors[i] as number) * qNormSlack +
        (codedNorms[i] as number) * qError +
        FLOAT64_SLACK * norm * qNorm;
      const absolute = FLOAT64_SLACK * squares;
      const lowest = squares - 2 * (approx + spread) - absolute;
      const highest = squares - 2 * (approx - spread) + absolute;
      sieve.offer(i, lowest > 0 ? Math.sqrt(lowest * (1 - gamma)) : 0, Math.sqrt(highest * (1 + gamma)));
    }
  }
  return sieve.kept();
}
