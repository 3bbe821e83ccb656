/** Symmetric codes: the largest |component| of a vector maps to ±127. */
export const CODE_LIMIT = 127;

export type Quantized = {
  /** values ≈ scale · codes (0 for a zero vector). */
  scale: number;
  /** ‖values − scale · codes‖, the quantization error the score bounds need. */
  error: number;
  /** ‖scale · codes‖. */
  codedNorm: number;
};

/** Writes codes[j] = round(values[j] / scale) with one scale per vector: max |value| maps to 127. */
export function quantize(values: ArrayLike<number>, codes: Int8Array | Int16Array): Quantized {
  const d = values.length;
  let max = 0;
  for (let j = 0; j < d; j++) max = Math.max(max, Math.abs(values[j] as number));
  if (max === 0) {
    codes.fill(0, 0, d);
    return { scale: 0, error: 0, codedNorm: 0 };
  }
  const scale = max / CODE_LIMIT;
  let error = 0;
  let coded = 0;
  for (let j = 0; j < d; j++) {
    const v = values[j] as number;
    const code = Math.max(-CODE_LIMIT, Math.min(CODE_LIMIT, Math.round(v / scale)));
    codes[j] = code;
    const approx = scale * code;
    error += (v - approx) ** 2;
    coded += approx * approx;
  }
  return { scale, error: Math.sqrt(error), codedNorm: Math.sqrt(coded) };
}
