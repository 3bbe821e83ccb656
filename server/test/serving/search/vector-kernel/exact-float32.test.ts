import { describe, expect, it } from "vitest";
import { exactFloat32 } from "../../../../src/serving/search/vector-kernel/exact-float32";

describe("exactFloat32", () => {
  it("is Math.fround where strtof of the component's text must agree", () => {
    const values = [0.1, -0.123456789, 1, 0, -0, 3.4e38, 2 ** -126, 1 + 2 ** -24 + 2 ** -40];
    expect(Array.from(exactFloat32(values) ?? [])).toEqual(values.map(Math.fround));
  });

  it("gives up on halfway doubles, float32 subnormals and values beyond float32", () => {
    expect(exactFloat32([0.5, 1 + 2 ** -24])).toBeUndefined();
    expect(exactFloat32([-(3 + 2 ** -23)])).toBeUndefined();
    expect(exactFloat32([1e-40])).toBeUndefined();
    expect(exactFloat32([1e39])).toBeUndefined();
    expect(exactFloat32([2 ** -140])).toEqual(Float32Array.from([2 ** -140]));
  });
});
