import { join } from "node:path";
import fc from "fast-check";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Database } from "../../src/db/database";
import { ALLOWED_FUNCTIONS } from "../../src/definitions/compile/allowed-functions";
import { checkExpression } from "../../src/definitions/compile/expression";
import { compileCatalog } from "../../src/definitions/compile/index";
import { isReservedWord } from "../../src/definitions/compile/parse-tree";
import { loadDefinitions } from "../../src/definitions/load";
import { openEmbeddedTestDatabase } from "../support/databases";

const DANGEROUS = [
  "pg_sleep",
  "pg_read_file",
  "pg_ls_dir",
  "dblink",
  "set_config",
  "current_setting",
  "lo_import",
  "lo_export",
  "nextval",
  "random",
  "now",
  "clock_timestamp",
  "txid_current",
  "query_to_xml",
  "version",
  "generate_series",
  "unnest",
];

// Names a call can be written with unquoted; isReservedWord needs the parser loaded, which the
// first checkExpression does.
const unlisted = fc.oneof(
  fc.constantFrom(...DANGEROUS),
  fc
    .stringMatching(/^[a-z_][a-z0-9_]{0,20}$/)
    .filter((name) => !ALLOWED_FUNCTIONS.has(name) && !isReservedWord(name)),
);

const anyCase = (name: string) =>
  fc
    .array(fc.boolean(), { minLength: name.length, maxLength: name.length })
    .map((upper) => [...name].map((c, i) => (upper[i] ? c.toUpperCase() : c)).join(""));

async function refusal(call: string): Promise<string> {
  const result = await checkExpression(`${call}(t.x)`, new Set(["t"]));
  return result.ok ? "" : result.message;
}

describe("the function allowlist", () => {
  beforeAll(async () => {
    await checkExpression("1", new Set());
  });

  it("refuses a function outside it however its name is written", async () => {
    await fc.assert(
      fc.asyncProperty(
        unlisted.chain((name) =>
          fc.tuple(
            fc.constant(name),
            fc.oneof(
              anyCase(name),
              fc.constant(`"${name}"`),
              anyCase(`pg_catalog.${name}`),
              fc.constant(`"pg_catalog"."${name}"`),
              fc.constant(`public.${name}`),
            ),
          ),
        ),
        async ([name, written]) => {
          expect(await refusal(written)).toMatch(
            new RegExp(`^must not call ([a-z_"]+\\.)?${name}\\(\\)`, "i"),
          );
        },
      ),
      { numRuns: 300 },
    );
  });

  it("refuses a listed function quoted in another case, or in a schema of its own", async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.constantFrom(...ALLOWED_FUNCTIONS),
        fc.constantFrom("public", "pg_temp", "rapfs", "information_schema"),
        async (name, schema) => {
          expect(await refusal(`"${name.toUpperCase()}"`)).toBe(
            `must not call ${name.toUpperCase()}(): it is not among the functions a feature may use`,
          );
          expect(await refusal(`${schema}.${name}`)).toMatch(/only built-in functions/);
        },
      ),
    );
  });

  it("accepts a listed function unqualified, in pg_catalog, or in capitals", async () => {
    for (const name of ["lower", "LOWER", "pg_catalog.lower", "Pg_Catalog.Round", "jsonb_array_length"]) {
      expect(await refusal(name)).not.toMatch(/must not call/);
    }
  });

  it("holds every function the shipped definitions call", async () => {
    const shipped = join(import.meta.dirname, "..", "..", "..", "feature-definitions");
    const catalog = await compileCatalog(await loadDefinitions(shipped));
    const called = catalog.views.flatMap((v) => [...v.functions.values()].flatMap((names) => [...names]));
    expect(called.length).toBeGreaterThan(10);
    expect(called.filter((name) => !ALLOWED_FUNCTIONS.has(name))).toEqual([]);
  });
});

describe("the function allowlist against the catalog", () => {
  let db: Database;
  beforeAll(async () => {
    db = await openEmbeddedTestDatabase();
  });
  afterAll(async () => {
    await db?.close();
  });

  it("names only functions the database has, none volatile or set-returning", async () => {
    const names = [...ALLOWED_FUNCTIONS];
    const rows = await db.sql<{ proname: string; risky: boolean }[]>`
      select proname::text, bool_or(proretset or provolatile = 'v') as risky
      from pg_proc where proname = any(${names}::text[]) group by proname`;
    expect(names.filter((name) => !rows.some((r) => r.proname === name))).toEqual([]);
    expect(rows.filter((r) => r.risky).map((r) => r.proname)).toEqual([]);
  });
});
