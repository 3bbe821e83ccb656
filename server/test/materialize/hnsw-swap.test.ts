import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { generateCorpus } from "../../src/corpus/index";
import type { Database } from "../../src/db/database";
import { materializeAll, materializeTarget } from "../../src/materialize/runner";
import { listTargets } from "../../src/materialize/target";
import { applyDefinitions } from "../../src/registry/apply";
import { openEmbeddedTestDatabase } from "../support/databases";
import { SHIPPED_DEFINITIONS } from "./corpus";

const hnswIndexesOf = (db: Database, table: string) =>
  db.sql<{ name: string; oid: number }[]>`
    select c.relname as name, c.oid::int as oid
    from pg_index i join pg_class c on c.oid = i.indexrelid join pg_am am on am.oid = c.relam
    where i.indrelid = to_regclass(${table}) and am.amname = 'hnsw'`;

describe("a full run of a materialized embedding", () => {
  let db: Database;

  beforeAll(async () => {
    db = await openEmbeddedTestDatabase();
    await generateCorpus(db, { scale: 0.01, seed: 5 });
    await applyDefinitions(db.sql, SHIPPED_DEFINITIONS, { vectorIndex: "hnsw" });
    await materializeAll(db.sql);
  });
  afterAll(async () => {
    await db?.close();
  });

  it("swaps its table in with the HNSW index already built: searches never meet it unindexed", async () => {
    const [target] = await listTargets(db.sql, { name: "analysis", version: 1 });
    if (!target?.vectorIndex) throw new Error("the analysis embedding has no HNSW index here");
    const { name: indexName } = target.vectorIndex;
    const [before] = await hnswIndexesOf(db, target.table);
    expect(before?.name).toBe(indexName);

    let staged: { name: string }[] = [];
    const run = await materializeTarget(db.sql, target, {
      full: true,
      faults: {
        beforeSwap: async (tx) => {
          staged = await tx<{ name: string }[]>`
            select c.relname as name
            from pg_index i join pg_class c on c.oid = i.indexrelid join pg_am am on am.oid = c.relam
            where i.indrelid = to_regclass(${target.stagingTable}) and am.amname = 'hnsw'`;
        },
      },
    });
    expect(run?.mode).toBe("full");
    expect(staged).toHaveLength(1);

    const after = await hnswIndexesOf(db, target.table);
    expect(after.map((i) => i.name)).toEqual([indexName]);
    expect(after[0]?.oid).not.toBe(before?.oid);
  });
});
