import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { compileKernel, GENERATED_PATH, renderKernelModule } from "../../../../scripts/vector-kernel/compile";
import { Int8Rows } from "../../../../src/serving/search/vector-kernel/int8-rows";
import { quantize } from "../../../../src/serving/search/vector-kernel/quantize";
import { Random } from "./random";

describe("the int8 dot-product kernel", () => {
  // dot-i8.wat edited without `pnpm vector-kernel:generate` fails here.
  it("dot-i8-wasm.ts holds the bytes dot-i8.wat compiles to", async () => {
    const fresh = renderKernelModule(await compileKernel());
    const stale = "the kernel's bytes are stale: run `pnpm vector-kernel:generate`";
    expect(readFileSync(GENERATED_PATH, "utf8") === fresh, stale).toBe(true);
  });

  it("scores every row as the integer dot product, for any dimension and extreme codes", () => {
    const random = new Random(11);
    for (const [count, dimension] of [
      [0, 16],
      [1, 1],
      [3, 15],
      [7, 16],
      [20, 17],
      [33, 384],
      [5, 130],
    ] as const) {
      const rows = new Int8Rows(count, dimension);
      const codes = Array.from({ length: count }, () =>
        Array.from({ length: dimension }, () => (random.next() < 0.2 ? 127 : random.int(255) - 127)),
      );
      codes.forEach((row, r) => {
        rows.codes.set(row, r * rows.stride);
      });
      const query = Array.from({ length: dimension }, (_, j) => (j % 3 === 0 ? -127 : random.int(255) - 127));
      rows.query.set(query);
      const scores = rows.dotAll();
      const expected = codes.map((row) => row.reduce((sum, c, j) => sum + c * (query[j] as number), 0));
      expect(Array.from(scores)).toEqual(expected);
    }
  });
});

describe("quantize", () => {
  it("maps the largest component to ±127 and reports the error it leaves", () => {
    const values = Float32Array.from([0.5, -1, 0.25, 0.001]);
    const codes = new Int8Array(16);
    const q = quantize(values, codes);
    expect(Array.from(codes.subarray(0, 4))).toEqual([64, -127, 32, 0]);
    expect(q.scale).toBeCloseTo(1 / 127, 15);
    const error = Math.hypot(...Array.from(values, (v, j) => v - q.scale * (codes[j] as number)));
    expect(q.error).toBeCloseTo(error, 15);
    expect(quantize(new Float32Array(3), codes)).toEqual({ scale: 0, error: 0, codedNorm: 0 });
  });
});
