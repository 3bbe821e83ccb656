import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { inlineParams, quoteLiteral } from "../../../src/datasets/snapshot/copy-statement";
import type { Database } from "../../../src/db/database";
import { openEmbeddedTestDatabase } from "../../support/databases";

describe("COPY statements: parameters become literals that PostgreSQL reads back exactly", () => {
  let db: Database;
  beforeAll(async () => {
    db = await openEmbeddedTestDatabase({ migrate: false });
  });
  afterAll(async () => {
    await db?.close();
  });

  it("strings with quotes, backslashes and unicode, numbers and booleans round-trip through the server", async () => {
    const values = ["it's", "back\\slash \\' and \\\\", "", "ünï 🎤", "$1 inside", "E'x'", "--comment"];
    for (const value of values) {
      const [row] = await db.sql.unsafe(inlineParams("select $1::text as v", [value]));
      expect(row?.v).toBe(value);
    }
    const [row] = await db.sql.unsafe(
      inlineParams("select $1::float8 as f, $2::int as i, $3::boolean as b, $4::float8 as n", [
        0.1,
        -7,
        true,
        null,
      ]),
    );
    expect(row).toEqual({ f: 0.1, i: -7, b: true, n: null });
  });

  it("leaves $n inside quoted identifiers and string literals alone", () => {
    const text = `select '$1 ''$2''' as "a$1""", x$1, $2::int from t where y = $1::text`;
    expect(inlineParams(text, ["p", 3])).toBe(
      `select '$1 ''$2''' as "a$1""", x$1, E'3'::int from t where y = E'p'::text`,
    );
  });

  it("reads placeholders of several digits, at either end of the text", () => {
    const params = Array.from({ length: 10 }, (_, i) => i + 1);
    expect(inlineParams("$10,$1 $2 '$3'$3", params)).toBe("E'10',E'1' E'2' '$3'E'3'");
    expect(inlineParams("no placeholders, 'quoted $1'", [])).toBe("no placeholders, 'quoted $1'");
  });

  it("refuses what it cannot write safely", () => {
    expect(() => inlineParams("select $2", [1])).toThrow(/\$2 has no parameter/);
    expect(() => quoteLiteral(Number.NaN)).toThrow(/finite/);
    expect(() => quoteLiteral({})).toThrow(/cannot be written/);
    expect(() => quoteLiteral("a\0b")).toThrow(/NUL/);
    expect(() => inlineParams("select 'open", [])).toThrow(/unterminated/);
  });
});
