import postgres from "postgres";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { generateCorpus } from "../../src/corpus";
import type { Sql } from "../../src/db/database";
import { migrate } from "../../src/db/migrate";
import { type SharedPglite, startSharedPglite } from "../access-http/shared-pglite";
import { migrationsDir } from "../support/databases";
import { corpusDigest, TEST_SCALE } from "./fixture";

/**
 * A database reached only over the wire (no in-process PGlite), as a server PostgreSQL is: here
 * the test stacks' shared PGlite, which has no COPY FROM STDIN, so the rows go in by INSERT.
 */
describe("generation over the wire", () => {
  let shared: SharedPglite;
  let sql: Sql;

  beforeAll(async () => {
    shared = await startSharedPglite();
    sql = postgres(shared.url, { max: 1, onnotice: () => {} });
    await migrate(sql, migrationsDir);
  });
  afterAll(async () => {
    await sql?.end({ timeout: 5 });
    await shared?.stop();
  });

  it("gives the same bytes as the in-process COPY", async () => {
    await generateCorpus({ sql }, { scale: TEST_SCALE, seed: 42 });
    expect(await corpusDigest(sql)).toEqual({
      tracks: "4e3c7b60280249850affb110da98767b",
      analyses: "d37ce6d842e041bf353c87fe1f8e39c3",
    });
  });
});
