import { describe, expect, it } from "vitest";
import { chunk, mapChunks } from "../src/internal/chunks";

const tick = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

describe("chunk", () => {
  it("splits into consecutive chunks with a short last one", () => {
    expect(chunk([1, 2, 3, 4, 5], 2)).toEqual([[1, 2], [3, 4], [5]]);
    expect(chunk([], 3)).toEqual([]);
    expect(() => chunk([1], 0)).toThrow(RangeError);
  });
});

describe("mapChunks", () => {
  it("keeps chunk order when later chunks finish first, and never exceeds the concurrency", async () => {
    const ids = Array.from({ length: 2_500 }, (_, i) => i);
    let inFlight = 0;
    let peak = 0;
    const results = await mapChunks(ids, 250, 3, async (part, index) => {
      inFlight++;
      peak = Math.max(peak, inFlight);
      // Earlier chunks take longer, so completion order is the reverse of chunk order.
      await tick(10 - index);
      inFlight--;
      return part.map((id) => id * 2);
    });
    expect(results).toHaveLength(10);
    expect(results.flat()).toEqual(ids.map((id) => id * 2));
    expect(peak).toBe(3);
  });

  it("runs one chunk at a time with concurrency 1", async () => {
    const order: string[] = [];
    await mapChunks([1, 2, 3], 1, 1, async ([n]) => {
      order.push(`start ${n}`);
      await tick(1);
      order.push(`end ${n}`);
    });
    expect(order).toEqual(["start 1", "end 1", "start 2", "end 2", "start 3", "end 3"]);
  });

  it("stops starting chunks after a failure, aborts the running ones and throws the first error", async () => {
    const started: number[] = [];
    const aborted: number[] = [];
    const failure = new Error("chunk 1 failed");
    const result = mapChunks([0, 1, 2, 3, 4, 5], 1, 2, async ([n], _index, signal) => {
      started.push(n as number);
      if (n === 1) throw failure;
      await new Promise<void>((resolve) => {
        signal.addEventListener("abort", () => {
          aborted.push(n as number);
          resolve();
        });
      });
      throw new Error(`chunk ${n} aborted`);
    });
    await expect(result).rejects.toBe(failure);
    expect(started).toEqual([0, 1]);
    expect(aborted).toEqual([0]);
  });

  it("returns nothing for no items and validates its arguments", async () => {
    await expect(mapChunks([], 10, 2, async () => 1)).resolves.toEqual([]);
    await expect(mapChunks([1], 10, 0, async () => 1)).rejects.toThrow(RangeError);
  });
});
