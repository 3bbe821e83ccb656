import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Database } from "../../src/db/database";
import { planBins } from "../../src/materialize/bins";
import { attachHistograms, binEdges, histogramQuery } from "../../src/materialize/histogram";
import type { ColumnStats } from "../../src/registry/stats";
import { openEmbeddedTestDatabase } from "../support/databases";

let db: Database;
beforeAll(async () => {
  db = await openEmbeddedTestDatabase({ migrate: false });
});
afterAll(() => db?.close());

/** Counts one column's histogram the way a materialization does, over `values`. */
async function histogramOf(values: number[], plan: NonNullable<ReturnType<typeof planBins>>) {
  const table = `edges_${Math.random().toString(36).slice(2, 8)}`;
  await db.sql.unsafe(`create table ${table} (id int, v float8)`);
  await db.sql.unsafe(
    `insert into ${table} select i, v from unnest($1::float8[]) with ordinality as u(v, i)`,
    [values],
  );
  const planned = [{ column: "v", field: "histogram" as const, value: `"v"`, plan }];
  const counted = await db.sql.unsafe<{ i: number; bucket: number; n: number }[]>(
    histogramQuery(table, "id", planned, false),
  );
  const features: Record<string, ColumnStats> = { v: {} as ColumnStats };
  attachHistograms(features, planned, counted);
  return features.v?.histogram;
}

describe("histogram edges", () => {
  // qwen_analysis@2:confidence as a recount found it: bins of 0.02 from 0.66, and track 45's 0.76
  // counted in [0.74, 0.76) by width_bucket's float8 arithmetic.
  const plan = { lower: 0.66, upper: 1.02, width: 0.02, bins: 18, range: "min_max" as const };

  it("puts a value on an inner edge in the bin it starts, for every inner edge", async () => {
    const edges = binEdges(plan);
    expect(edges.slice(0, 3)).toEqual([0.66, 0.68, 0.7]);
    expect(edges.at(-1)).toBe(1.02);
    const inner = edges.slice(1, -1);
    const histogram = await histogramOf(inner, plan);
    // Edge i (1-based among the inner ones) starts bin i: bin 0 is empty, every other bin holds one.
    expect(histogram?.counts).toEqual([0, ...inner.map(() => 1)]);
    expect(histogram?.underflow).toBe(0);
    expect(histogram?.overflow).toBe(0);
  });

  it("counts the lower edge in the first bin and the upper edge as overflow, the rest between", async () => {
    const histogram = await histogramOf([0.66, 0.6599999, 1.02, 1.0199999, 0.76, 0.7599999], plan);
    expect(histogram?.underflow).toBe(1);
    expect(histogram?.overflow).toBe(1);
    expect(histogram?.counts[0]).toBe(1);
    expect(histogram?.counts[4]).toBe(1); // [0.74, 0.76): 0.7599999
    expect(histogram?.counts[5]).toBe(1); // [0.76, 0.78): 0.76
    expect(histogram?.counts.at(-1)).toBe(1); // [1.00, 1.02): 1.0199999
  });

  it("agrees with a recount against the edges for planned bins of many ranges", async () => {
    const values = Array.from({ length: 2_000 }, (_, i) => Number(((i % 400) * 0.005 + 0.1).toFixed(3)));
    const planned = planBins({ min: 0.1, max: 2.095, p5: 0.2, p25: 0.6, p75: 1.6, p95: 2 }, "float");
    if (!planned) throw new Error("no plan");
    const histogram = await histogramOf(values, planned);
    const edges = binEdges(planned);
    const expected = edges
      .slice(0, -1)
      .map((lo, i) => values.filter((v) => v >= lo && v < (edges[i + 1] as number)).length);
    expect(histogram?.counts).toEqual(expected);
  });
});
