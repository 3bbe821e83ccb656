import { describe, expect, it } from "vitest";
import { type RunningTotal, splitAggregates } from "../../src/definitions/compile/split-aggregates";

describe("splitting aggregate expressions into per-track inputs", () => {
  it.each<[string, string, string[], string?, RunningTotal[]?]>([
    ["(count(*))", "(count(*))", [], '(_s."n")', [{ total: "count" }]],
    [
      "(avg((q.analysis_data->>'joy')::float))",
      '(avg(_x."i1"))',
      ["(q.analysis_data ->> 'joy')::float"],
      '(_s."avg1")',
      [{ total: "avg", input: 1 }],
    ],
    [
      "(mode() within group (order by lower(q.sentiment) desc nulls last))",
      '(mode() within group (order by _x."i1" desc nulls last))',
      ["lower(q.sentiment)"],
    ],
    [
      "(count(distinct t.album) filter (where t.lyrics is not null) = 1)",
      '(count(distinct _x."i1") filter (where _x."i2") = 1)',
      ["t.album", "t.lyrics is not null"],
    ],
    [
      "(array_agg(t.title, ', ' order by t.created_at, t.id))",
      '(array_agg(_x."i1", _x."i2" order by _x."i3", _x."i4"))',
      ["t.title", "', '", "t.created_at", "t.id"],
    ],
    ["(max(((q.x)::float)) - min(q.y) / 2)", '(max(_x."i1") - (min(_x."i2") / 2))', ["q.x::float", "q.y"]],
    [
      "(coalesce(sum(t.a * 2), 0) / nullif(count(t.b), 0) + count(*))",
      '((coalesce(sum(_x."i1"), 0) / nullif(count(_x."i2"), 0)) + count(*))',
      ["t.a * 2", "t.b"],
      '((coalesce(_s."sum1", 0) / nullif(_s."c2", 0)) + _s."n")',
      [{ total: "sum", input: 1 }, { total: "count", input: 2 }, { total: "count" }],
    ],
  ])("%s", async (expr, outer, inputs, running?: string, totals?: RunningTotal[]) => {
    expect(await splitAggregates(expr, 1)).toStrictEqual({
      outer,
      inputs,
      ...(running ? { running, totals } : {}),
    });
  });

  it("numbers inputs after the ones already taken", async () => {
    expect(await splitAggregates("(sum(t.a) + sum(t.b))", 4)).toEqual({
      outer: '(sum(_x."i4") + sum(_x."i5"))',
      inputs: ["t.a", "t.b"],
      running: '(_s."sum4" + _s."sum5")',
      totals: [
        { total: "sum", input: 4 },
        { total: "sum", input: 5 },
      ],
    });
  });

  it.each(["(count(distinct t.a))", "(sum(t.a) filter (where t.b))", "(max(t.a) - avg(t.a))"])(
    "keeps no running form for %s (an aggregate that taking a row out cannot undo)",
    async (expr) => {
      expect((await splitAggregates(expr, 1))?.running).toBeUndefined();
    },
  );

  it("keeps an ordered-set aggregate's constant direct argument as written: it must be one value per group", async () => {
    expect(await splitAggregates("(percentile_cont(0.5) within group (order by t.a))", 1)).toEqual({
      outer: '(percentile_cont(0.5) within group (order by _x."i1"))',
      inputs: ["t.a"],
    });
  });

  it.each(["(t.artist)", "(avg(q.x) + t.y)", "(percentile_cont(t.p) within group (order by t.a))"])(
    "leaves %s to the direct query (a column outside an aggregate's per-row inputs)",
    async (expr) => {
      expect(await splitAggregates(expr, 1)).toBeUndefined();
    },
  );
});
