import { describe, expect, it } from "vitest";
import { chunk, settleChunks } from "../src/internal/chunks";

const tick = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

describe("chunk", () => {
  it("splits into consecutive chunks with a short last one", () => {
    expect(chunk([1, 2, 3, 4, 5], 2)).toEqual([[1, 2], [3, 4], [5]]);
    expect(chunk([], 3)).toEqual([]);
    expect(() => chunk([1], 0)).toThrow(RangeError);
  });
});

describe("settleChunks", () => {
  const values = <R>(outcomes: { ok: boolean; value?: R }[]) =>
    outcomes.map((o) => (o.ok ? o.value : undefined));

  it("keeps chunk order when later chunks finish first, and never exceeds the concurrency", async () => {
    const ids = Array.from({ length: 2_500 }, (_, i) => i);
    let inFlight = 0;
    let peak = 0;
    const { chunks, outcomes } = await settleChunks(ids, 250, 3, async (part, index) => {
      inFlight++;
      peak = Math.max(peak, inFlight);
      // Earlier chunks take longer, so completion order is the reverse of chunk order.
      await tick(10 - index);
      inFlight--;
      return part.map((id) => id * 2);
    });
    expect(chunks).toHaveLength(10);
    expect(values(outcomes).flat()).toEqual(ids.map((id) => id * 2));
    expect(peak).toBe(3);
  });

  it("runs one chunk at a time with concurrency 1", async () => {
    const order: string[] = [];
    await settleChunks([1, 2, 3], 1, 1, async ([n]) => {
      order.push(`start ${n}`);
      await tick(1);
      order.push(`end ${n}`);
    });
    expect(order).toEqual(["start 1", "end 1", "start 2", "end 2", "start 3", "end 3"]);
  });

  it("after a failure starts no chunk, lets the running ones finish, and says what became of each", async () => {
    const started: number[] = [];
    const failure = new Error("chunk 1 failed");
    const { outcomes } = await settleChunks([0, 1, 2, 3, 4, 5], 1, 2, async ([n]) => {
      started.push(n as number);
      if (n === 1) throw failure;
      await tick(5);
      return n;
    });
    expect(started).toEqual([0, 1]);
    expect(outcomes).toEqual([
      { ok: true, value: 0 },
      { ok: false, error: failure },
      ...[2, 3, 4, 5].map(() => ({ ok: false, skipped: true })),
    ]);
  });

  it("returns nothing for no items and validates its arguments", async () => {
    await expect(settleChunks([], 10, 2, async () => 1)).resolves.toEqual({ chunks: [], outcomes: [] });
    await expect(settleChunks([1], 10, 0, async () => 1)).rejects.toThrow(RangeError);
  });
});
