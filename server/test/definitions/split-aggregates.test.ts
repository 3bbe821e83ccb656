import { describe, expect, it } from "vitest";
import { splitAggregates } from "../../src/definitions/compile/split-aggregates";

describe("splitting aggregate expressions into per-track inputs", () => {
  it.each([
    ["(count(*))", "(count(*))", []],
    ["(avg((q.analysis_data->>'joy')::float))", '(avg(_x."i1"))', ["(q.analysis_data->>'joy')::float"]],
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
    ["(max(((q.x)::float)) - min(q.y) / 2)", '(max(_x."i1") - min(_x."i2") / 2)', ["((q.x)::float)", "q.y"]],
  ])("%s", async (expr, outer, inputs) => {
    expect(await splitAggregates(expr, 1)).toEqual({ outer, inputs });
  });

  it("numbers inputs after the ones already taken", async () => {
    expect(await splitAggregates("(sum(t.a) + sum(t.b))", 4)).toEqual({
      outer: '(sum(_x."i4") + sum(_x."i5"))',
      inputs: ["t.a", "t.b"],
    });
  });

  it.each(["(t.artist)", "(avg(q.x) + t.y)"])(
    "leaves %s to the direct query (a column outside an aggregate)",
    async (expr) => {
      expect(await splitAggregates(expr, 1)).toBeUndefined();
    },
  );
});
