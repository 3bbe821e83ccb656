import { expect, it } from "vitest";
import type { Sql } from "../../src/db/database";
import { mergePartials } from "../../src/materialize/stats-merge";
import type { ColumnPartial } from "../../src/materialize/stats-slices";

// No label is tied with another for a top place: the merge asks the database nothing.
const unused = (() => {
  throw new Error("no statement expected");
}) as unknown as Sql;

function slices(count: number): Record<string, ColumnPartial>[] {
  return Array.from({ length: count }, (_, s) => {
    const groups: Record<string, number> = {};
    for (let i = 0; i < 20_000; i++) groups[`artist ${s}-${i}`] = 1;
    groups[`top ${s}`] = 1_000 + s;
    const sample = Array.from({ length: 20_000 }, (_, i) => ((i * 7_919) % 20_011) + s);
    return {
      artist: { count: 20_001, null_count: 0, groups },
      popularity: { count: 20_000, null_count: 0, min: 0, max: 20_100, sum: 1, sample },
    };
  });
}

it("merges a view's statistics a slice at a time, letting other work run between", async () => {
  const order: string[] = [];
  setImmediate(() => order.push("another request"));
  const merged = await mergePartials(
    unused,
    [
      { name: "artist", type: "string" },
      { name: "popularity", type: "float" },
    ],
    160_008,
    slices(8),
  );
  order.push("merged");
  expect(order).toEqual(["another request", "merged"]);
  expect(merged.artist?.distinct_count).toBe(160_008);
  expect(merged.artist?.top_values?.[0]).toEqual({ value: "top 7", count: 1_007 });
  expect(merged.popularity?.quantiles?.p50).toBeGreaterThan(0);
});
