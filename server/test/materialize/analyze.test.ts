import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Database, Sql } from "../../src/db/database";
import { materializeAll } from "../../src/materialize/runner";
import { applyDefinitions } from "../../src/registry/apply";
import { definitionsDir, ENTITIES, view } from "../definitions/helpers";
import { openEmbeddedTestDatabase } from "../support/databases";
import { addQwenAnalyses, seedPlainCorpus } from "../support/plain-corpus";

const TRACKS = 300;
const TABLE = "fv_labels_v1";

/** The columns the planner has statistics for (PGlite runs no autovacuum: only ANALYZE puts them there). */
async function analysedColumns(sql: Sql, table: string): Promise<string[]> {
  const rows = await sql<{ attname: string }[]>`
    select attname from pg_stats where schemaname = 'public' and tablename = ${table} order by attname`;
  return rows.map((r) => r.attname);
}

describe("materialization leaves the planner statistics of what filters read (#27, item 4)", () => {
  let db: Database;
  let defs: Awaited<ReturnType<typeof definitionsDir>>;
  const forget = () => db.sql.unsafe(`delete from pg_statistic where starelid = '${TABLE}'::regclass`);

  beforeAll(async () => {
    db = await openEmbeddedTestDatabase({ migrate: false });
    await seedPlainCorpus(db.sql, TRACKS);
    defs = await definitionsDir({
      "entities.yaml": ENTITIES,
      "v.yaml": view("labels", 1, ["sentiment: string = a.sentiment", "confidence: float = a.confidence"]),
    });
    await applyDefinitions(db.sql, defs.dir);
  });
  afterAll(async () => {
    await db?.close();
    await defs?.remove();
  });

  it("a full run analyses the feature columns, not only the key", async () => {
    const [run] = await materializeAll(db.sql);
    expect(run?.mode).toBe("full");
    expect(await analysedColumns(db.sql, TABLE)).toEqual(
      expect.arrayContaining(["confidence", "sentiment", "track_id"]),
    );
  });

  it("an incremental run that changed few rows leaves the statistics alone", async () => {
    await forget();
    await db.sql`insert into analysis_results (track_id, analyzer_type, sentiment, confidence, created_at)
      select id, 'qwen-3-4b-fp8', 'few', 0.9, timestamp '2025-03-01' from tracks where id <= 3`;
    const [run] = await materializeAll(db.sql);
    expect(run?.mode).toBe("incremental");
    expect(run?.rowsWritten).toBe(3);
    expect(await analysedColumns(db.sql, TABLE)).toEqual([]);
  });

  it("an incremental run that changed many rows analyses the table again", async () => {
    await forget();
    await addQwenAnalyses(db.sql, "new", "2025-06-01");
    const [run] = await materializeAll(db.sql);
    expect(run?.mode).toBe("incremental");
    expect(run?.rowsWritten).toBe(TRACKS);
    expect(await analysedColumns(db.sql, TABLE)).toEqual(
      expect.arrayContaining(["confidence", "sentiment", "track_id"]),
    );
  });
});
