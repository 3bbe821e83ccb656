import postgres from "postgres";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Sql } from "../../src/db/database";
import { materializeAll } from "../../src/materialize/runner";
import { applyDefinitions } from "../../src/registry/apply";
import { definitionsDir, ENTITIES, view } from "../definitions/helpers";
import { createServerTestDatabase } from "../support/databases";
import { addQwenAnalyses, seedPlainCorpus } from "../support/plain-corpus";

const TRACKS = 300;

describe("materialization on a PostgreSQL server, several processes at once", () => {
  let database: Awaited<ReturnType<typeof createServerTestDatabase>>;
  let pools: Sql[];
  let defs: Awaited<ReturnType<typeof definitionsDir>>;

  beforeAll(async () => {
    database = await createServerTestDatabase();
    pools = [0, 1].map(() => postgres(database.url, { max: 4, onnotice: () => {} }));
    await seedPlainCorpus(pools[0] as Sql, TRACKS);
    defs = await definitionsDir({
      "entities.yaml": ENTITIES,
      "v.yaml": view("labels", 1, ["sentiment: string = a.sentiment", "confidence: float = a.confidence"]),
    });
    await applyDefinitions(pools[0] as Sql, defs.dir);
  });
  afterAll(async () => {
    await Promise.all((pools ?? []).map((p) => p.end()));
    await database?.drop();
    await defs?.remove();
  });

  it("builds each table once when two servers start together; the other then finds nothing to do", async () => {
    const [a, b] = await Promise.all(pools.map((sql) => materializeAll(sql)));
    const modes = [...(a ?? []), ...(b ?? [])].map((r) => `${r.mode}:${r.rowsWritten}`).sort();
    expect(modes).toEqual([`full:${TRACKS}`, "incremental:0"]);
    // Autovacuum is off on the development server: only the run's ANALYZE gives these statistics.
    const analysed = await (pools[0] as Sql)<{ attname: string }[]>`
      select attname from pg_stats where schemaname = 'public' and tablename = 'fv_labels_v1'`;
    expect(analysed.map((r) => r.attname)).toEqual(
      expect.arrayContaining(["confidence", "sentiment", "track_id"]),
    );
  });

  it("readers see the old rows or the new ones during a full rebuild, never a mix", async () => {
    const [writer, reader] = pools as [Sql, Sql];
    await addQwenAnalyses(writer, "new", "2025-06-01");
    const seen = new Set<string>();
    let done = false;
    const reading = (async () => {
      while (!done) {
        const [row] = await reader`
          select count(*)::int as n, array_agg(distinct sentiment order by sentiment) as labels from fv_labels_v1`;
        seen.add(`${row?.n}:${((row?.labels ?? []) as string[]).join(",")}`);
      }
    })();
    for (let i = 0; i < 3; i++) await materializeAll(writer, { full: true });
    done = true;
    await reading;
    expect([...seen].every((s) => s === `${TRACKS}:old` || s === `${TRACKS}:new`)).toBe(true);
    expect(seen.has(`${TRACKS}:new`)).toBe(true);
  });
});
