const asDouble = new Float64Array(1);
// Its low 32 bits (little-endian), holding the 29 fraction bits a double has beyond a float32's 23.
const lowWord = new Uint32Array(asDouble.buffer, 0, 1);
const DROPPED = 0x1fffffff;
const HALF_ULP = 0x10000000;
const SMALLEST_NORMAL = 2 ** -126;

/**
 * The query as pgvector will hold it: each component's text, as `vector.join(",")` writes it,
 * rounded to float32 by strtof. Math.fround rounds the double instead, which agrees except for a
 * double exactly halfway between two floats (its shortest text may lie on either side of it) and
 * for float32 subnormals; for those, and for components beyond float32's range, undefined.
 */
export function exactFloat32(values: readonly number[]): Float32Array | undefined {
  const q = Float32Array.from(values);
  for (let j = 0; j < values.length; j++) {
    const v = values[j] as number;
    const rounded = q[j] as number;
    if (rounded === v) continue;
    if (!Number.isFinite(rounded) || Math.abs(v) < SMALLEST_NORMAL) return undefined;
    asDouble[0] = v;
    if (((lowWord[0] as number) & DROPPED) === HALF_ULP) return undefined;
  }
  return q;
}
