import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Database } from "../../src/db/database";
import { fitSql, misfit } from "../../src/definitions/compile/json-fits";
import { type JsonRead, jsonReadsOf } from "../../src/definitions/compile/json-reads";
import { bindParams, ParamAllocator } from "../../src/definitions/compile/params";
import { parseExpressionSync } from "../../src/definitions/compile/parse-tree";
import { openEmbeddedTestDatabase } from "../support/databases";

/** Each reading, and the SQL that fails where the value does not fit it. */
const READINGS: { expr: string; type: "float" | "int" | "string" | "bool" }[] = [
  { expr: "(a.analysis_data->>'v')::float", type: "float" },
  { expr: "(a.analysis_data->>'v')::real", type: "float" },
  { expr: "round((a.analysis_data->>'v')::numeric)", type: "int" },
  { expr: "(a.analysis_data->>'v')::int", type: "int" },
  { expr: "(a.analysis_data->>'v')::boolean", type: "bool" },
  { expr: "(a.analysis_data->'v')::float", type: "float" },
  { expr: "lower(a.analysis_data->>'v')", type: "string" },
  { expr: "jsonb_array_length(a.analysis_data->'v')::int", type: "int" },
  { expr: "translate((a.analysis_data->'v')::text, '[]', '{}')::text[]", type: "string" },
];

const VALUES: unknown[] = [
  0.5,
  -3,
  0,
  12,
  2147483647,
  2147483648,
  1e12,
  1e300,
  1e-320,
  123456789012345680000,
  "0.25",
  " 7 ",
  "-1e5",
  "1e400",
  "1e-400",
  "1.5e38",
  "5e38",
  "not-a-number",
  "NaN",
  "Infinity",
  "0x10",
  "",
  "true",
  "off",
  "maybe",
  true,
  false,
  null,
  { x: 1 },
  [1, 2],
  ["a", "b"],
  [{ x: 1 }],
  [[1]],
  "{}",
  ["a,b", 'q"uote', "{brace}"],
];

describe("what a view reads of analysis_data: the SQL filter and the door agree, and what fits never fails", () => {
  let db: Database;
  beforeAll(async () => {
    db = await openEmbeddedTestDatabase({ migrate: false });
  });
  afterAll(() => db?.close());

  it("finds the reads and their expectations in the parse trees", () => {
    const reads = READINGS.map(
      ({ expr, type }) =>
        jsonReadsOf({ from: "analyses", analyzers: ["x"], pick: "latest" }, [
          { name: "f", type, tree: parseExpressionSync(expr) },
        ])[0],
    );
    expect(reads.map((r) => r?.expect)).toEqual([
      "number",
      "number",
      "number",
      "integer",
      "boolean",
      "json_number",
      "scalar",
      "array",
      "array",
    ]);
    // An integer feature bounds what it rounds to its column's range.
    expect(reads[2]?.max).toBe(2147483647);
  });

  it.each(READINGS)("$expr", async ({ expr, type }) => {
    const [read] = jsonReadsOf({ from: "analyses", analyzers: ["x"], pick: "latest" }, [
      { name: "f", type, tree: parseExpressionSync(expr) },
    ]) as [JsonRead];
    const pgType = { float: "double precision", int: "integer", string: "text", bool: "boolean" }[type];
    const disagreements: string[] = [];
    // Every value under the key, and the key absent (an analysis that does not say): it fits.
    const cases = [
      ...VALUES.map((value) => ({ value, data: JSON.stringify({ v: value }) })),
      { value: undefined, data: "{}" },
    ];
    for (const { value, data } of cases) {
      const p = new ParamAllocator();
      const input = p.value(data, "text");
      const text = `select (${fitSql(read, "_r", p)}) as fits from (select ${input}::jsonb as analysis_data) _r`;
      const [row] = await db.sql.unsafe(text, bindParams(p.query(text)));
      const fitsInSql = row?.fits === true;
      const fitsAtDoor = misfit(read, value) === undefined;
      if (fitsInSql !== fitsAtDoor) disagreements.push(`${data}: SQL ${fitsInSql}, door ${fitsAtDoor}`);
      if (!fitsInSql) continue;
      const computed = `select (${expr})::${pgType} as v from (select $1::jsonb as analysis_data) a`;
      const ran = await db.sql.unsafe(computed, [data]).then(
        () => "ok",
        (error: Error) => error.message,
      );
      if (ran !== "ok") disagreements.push(`${data} fits but fails: ${ran}`);
    }
    expect(disagreements).toEqual([]);
  });
});
