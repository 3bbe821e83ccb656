import type { Metric } from "./bounds";

const f32 = Math.fround;

/**
 * pgvector 0.8's distances, step for step: float32 products summed in float32 in index order,
 * then finished in float64. Emulating its rounding makes the in-memory answer equal the SQL
 * scan's, distances and tie order included (checked against PGlite's pgvector in the tests).
 */
export function pgvectorDistance(
  metric: Metric,
  vectors: Float32Array,
  offset: number,
  q: Float32Array,
  d: number,
): number {
  if (metric === "l2") {
    let sum = 0;
    for (let j = 0; j < d; j++) {
      const diff = f32((vectors[offset + j] as number) - (q[j] as number));
      sum = f32(sum + f32(diff * diff));
    }
    return Math.sqrt(sum);
  }
  if (metric === "inner_product") {
    let sum = 0;
    for (let j = 0; j < d; j++) sum = f32(sum + f32((vectors[offset + j] as number) * (q[j] as number)));
    return -sum;
  }
  let dot = 0;
  let normA = 0;
  let normB = 0;
  for (let j = 0; j < d; j++) {
    const a = vectors[offset + j] as number;
    const b = q[j] as number;
    dot = f32(dot + f32(a * b));
    normA = f32(normA + f32(a * a));
    normB = f32(normB + f32(b * b));
  }
  const similarity = dot / Math.sqrt(normA * normB);
  return 1 - Math.max(-1, Math.min(1, similarity));
}

/**
 * Whether a vector has a direction for pgvector's cosine: its float32 norm, summed as
 * pgvectorDistance sums it, is not 0. All zeros has none, and nor have components so small
 * that their float32 squares underflow; every cosine distance to such a vector is NaN.
 */
export function hasCosineDirection(vector: ArrayLike<number>): boolean {
  let norm = 0;
  for (let j = 0; j < vector.length; j++) {
    const x = f32(vector[j] as number);
    norm = f32(norm + f32(x * x));
  }
  return norm > 0;
}

/** float32's largest finite value. */
const FLOAT32_MAX = 3.4028234663852886e38;

/**
 * Whether pgvector's distances from this query stay finite: its components are float32 numbers
 * and its float32 squared length, summed as pgvectorDistance sums it, leaves room for a
 * difference to a stored vector as long as it (a quarter of float32's range). Past it a cosine
 * came out 1 for every row and an l2 distance Infinity, so the first ids were answered, wrongly.
 */
export function hasFiniteFloat32Length(vector: ArrayLike<number>): boolean {
  let norm = 0;
  for (let j = 0; j < vector.length; j++) {
    const x = f32(vector[j] as number);
    if (!Number.isFinite(x)) return false;
    norm = f32(norm + f32(x * x));
  }
  return norm <= FLOAT32_MAX / 4;
}
