// @ts-check
/**
 * A 2-D picture of vectors: their first two principal components (PCA), computed here from the
 * vectors the API returned. With fewer vectors than dimensions the Gram matrix (n × n) is the
 * small side: its top eigenvectors, by power iteration, give each vector's coordinates.
 */

/**
 * @param {number[][]} vectors
 * @param {"cosine" | "l2" | "inner_product" | string} metric cosine compares directions: unit length first
 * @returns {{points: [number, number][], explained: [number, number]}} coordinates, and the share
 *   of the variance each axis explains
 */
export function project2d(vectors, metric) {
  const n = vectors.length;
  const d = vectors[0]?.length ?? 0;
  const unit = metric === "cosine" ? vectors.map(normalize) : vectors;
  const mean = new Array(d).fill(0);
  for (const v of unit) for (let j = 0; j < d; j++) mean[j] = (mean[j] ?? 0) + (v[j] ?? 0) / n;
  const centred = unit.map((v) => v.map((x, j) => x - (mean[j] ?? 0)));
  const gram = centred.map((a) => centred.map((b) => dot(a, b)));
  const total = gram.reduce((sum, row, i) => sum + (row[i] ?? 0), 0) || 1;
  const first = topEigen(gram);
  const deflated = gram.map((row, i) =>
    row.map((g, j) => g - first.value * at(first.vector, i) * at(first.vector, j)),
  );
  const second = topEigen(deflated);
  const scale = (/** @type {{value: number}} */ e) => Math.sqrt(Math.max(e.value, 0));
  return {
    points: first.vector.map((u, i) => [u * scale(first), at(second.vector, i) * scale(second)]),
    explained: [first.value / total, second.value / total],
  };
}

/** @param {number[]} v @param {number} i */
const at = (v, i) => v[i] ?? 0;

/** @param {number[]} a @param {number[]} b */
const dot = (a, b) => a.reduce((sum, x, i) => sum + x * (b[i] ?? 0), 0);

/** @param {number[]} v */
function normalize(v) {
  const length = Math.sqrt(dot(v, v)) || 1;
  return v.map((x) => x / length);
}

/**
 * The largest eigenvalue of a symmetric matrix and its unit eigenvector (power iteration from a
 * fixed start, so a picture is the same every time; sign fixed by the first non-zero entry).
 * @param {number[][]} m
 */
function topEigen(m) {
  let vector = m.map((_, i) => 1 / Math.sqrt(m.length) + (i % 2 ? 1e-3 : -1e-3));
  let value = 0;
  for (let iteration = 0; iteration < 200; iteration++) {
    const next = m.map((row) => dot(row, vector));
    const length = Math.sqrt(dot(next, next));
    if (length === 0) break;
    const normalized = next.map((x) => x / length);
    const change = normalized.reduce((sum, x, i) => sum + Math.abs(x - (vector[i] ?? 0)), 0);
    vector = normalized;
    value = length;
    if (change < 1e-9) break;
  }
  const sign = Math.sign(vector.find((x) => Math.abs(x) > 1e-12) ?? 1);
  return { value, vector: vector.map((x) => x * sign) };
}
