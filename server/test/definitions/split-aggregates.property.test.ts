import fc from "fast-check";
import { loadModule } from "libpg-query";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Database } from "../../src/db/database";
import { deparseExpression } from "../../src/definitions/compile/deparse";
import { mapTree, type Node, nameParts, parseExpressionSync } from "../../src/definitions/compile/parse-tree";
import { splitAggregates } from "../../src/definitions/compile/split-aggregates";
import { openEmbeddedTestDatabase } from "../support/databases";

// Per-row expressions over t.a (int) and t.b (numeric), aggregates over them, and expressions
// over aggregates: the shapes artist views are written in.
const { row } = fc.letrec<{ row: string }>((tie) => ({
  row: fc.oneof(
    { depthSize: "small", withCrossShrink: true },
    fc.constantFrom("t.a", "t.b", "0", "2", "-3", "1.5"),
    fc.tuple(tie("row"), fc.constantFrom("+", "-", "*"), tie("row")).map(([x, op, y]) => `(${x} ${op} ${y})`),
    tie("row").map((x) => `(- ${x})`),
    tie("row").map((x) => `abs(${x})`),
    tie("row").map((x) => `coalesce(${x}, 0)`),
    tie("row").map((x) => `nullif(${x}, 0)`),
    tie("row").map((x) => `(${x})::float`),
    fc.tuple(tie("row"), tie("row")).map(([x, y]) => `case when ${x} > ${y} then ${x} else ${y} end`),
    fc.tuple(tie("row"), tie("row")).map(([x, y]) => `greatest(${x}, ${y})`),
    tie("row").map((x) => `(${x} is null)::int`),
  ),
}));

const aggregate = fc.oneof(
  fc.constant("count(*)"),
  fc.tuple(fc.constantFrom("sum", "avg", "count", "min", "max"), row).map(([f, x]) => `${f}(${x})`),
  row.map((x) => `count(distinct ${x})`),
  fc.tuple(row, row).map(([x, y]) => `sum(${x}) filter (where ${y} > 0)`),
  row.map((x) => `percentile_cont(0.5) within group (order by ${x})`),
  row.map((x) => `mode() within group (order by ${x} desc nulls last)`),
);

const { outer: aggregateExpression } = fc.letrec<{ outer: string }>((tie) => ({
  outer: fc.oneof(
    { depthSize: "small" },
    aggregate,
    fc.tuple(tie("outer"), fc.constantFrom("+", "-"), tie("outer")).map(([x, op, y]) => `(${x} ${op} ${y})`),
    tie("outer").map((x) => `coalesce(${x}, 0)`),
    fc.tuple(tie("outer"), tie("outer")).map(([x, y]) => `(${x} / nullif(${y}, 0))`),
    fc.tuple(tie("outer"), tie("outer")).map(([x, y]) => `(${x} > ${y})::int`),
  ),
}));

/** The tree without source positions, and SQL-syntax calls as the plain calls they are. */
function meaning(node: unknown): unknown {
  if (Array.isArray(node)) return node.map(meaning);
  if (node === null || typeof node !== "object") return node;
  return Object.fromEntries(
    Object.entries(node)
      .filter(([key]) => !["location", "rexpr_list_start", "rexpr_list_end", "funcformat"].includes(key))
      .map(([key, child]) => [key, meaning(child)]),
  );
}

const tree = (sql: string) => meaning(parseExpressionSync(sql));

/** The outer expression with each `_x."iN"` replaced by input N: the original, if the split is right. */
function rejoin(outer: string, inputs: string[]): unknown {
  return meaning(
    mapTree(parseExpressionSync(outer), (node: Node) => {
      const fields = node.ColumnRef?.fields;
      const [table, column] = fields ? nameParts(fields) : [];
      if (table !== "_x" || !column) return undefined;
      return parseExpressionSync(inputs[Number(column.slice(1)) - 1] as string);
    }),
  );
}

describe("splitting aggregate expressions on the parse tree (properties)", () => {
  beforeAll(async () => {
    await loadModule();
  });

  it("writes any per-row expression as SQL that parses back to the same tree", () => {
    fc.assert(
      fc.property(row, (expr) => {
        expect(tree(deparseExpression(parseExpressionSync(expr)))).toEqual(tree(expr));
      }),
      { numRuns: 500 },
    );
  });

  it("gives inputs and an outer expression that parse, and put back together are the original", async () => {
    await fc.assert(
      fc.asyncProperty(aggregateExpression, async (expr) => {
        const split = await splitAggregates(expr, 1);
        expect(split).toBeDefined();
        const { outer, inputs, running } = split as NonNullable<typeof split>;
        if (running) tree(running);
        expect(rejoin(outer, inputs)).toEqual(tree(expr));
      }),
      { numRuns: 300 },
    );
  });
});

describe("split aggregate expressions on the database (properties)", () => {
  let db: Database;
  beforeAll(async () => {
    db = await openEmbeddedTestDatabase({ migrate: false });
    await db.sql.unsafe(`
      create table split_rows (artist text, a int, b numeric);
      insert into split_rows values
        ('x', 1, 2.5), ('x', -2, null), ('x', 0, 0), ('x', 3, -1.25),
        ('y', null, 4), ('y', 5, 5), ('z', 7, null)`);
  });
  afterAll(async () => {
    await db?.close();
  });

  const outcome = (text: string) =>
    db.sql.unsafe(text).then(
      (rows) => rows.map((r) => `${r.artist}: ${r.v}`),
      () => "fails",
    );

  it("yields the value of the original expression, per artist, from the per-row inputs", async () => {
    await fc.assert(
      fc.asyncProperty(aggregateExpression, async (expr) => {
        const split = await splitAggregates(expr, 1);
        const { outer, inputs } = split as NonNullable<typeof split>;
        const columns = inputs.map((sql, i) => `, (${sql}) as "i${i + 1}"`).join("");
        const direct = await outcome(
          `select artist, (${expr})::text as v from split_rows t group by artist order by artist`,
        );
        const rewritten = await outcome(
          `select artist, (${outer})::text as v from (select artist${columns} from split_rows t) _x ` +
            "group by artist order by artist",
        );
        expect(rewritten).toEqual(direct);
      }),
      { numRuns: 60 },
    );
  });
});
