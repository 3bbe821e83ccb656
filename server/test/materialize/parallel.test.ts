import postgres from "postgres";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Sql } from "../../src/db/database";
import { materializeAll, parallelRuns } from "../../src/materialize/runner";
import { applyDefinitions } from "../../src/registry/apply";
import { definitionsDir, ENTITIES, view } from "../definitions/helpers";
import { createServerTestDatabase } from "../support/databases";
import { seedPlainCorpus } from "../support/plain-corpus";

describe("independent views materialize at once where the pool has connections to spare", () => {
  let database: Awaited<ReturnType<typeof createServerTestDatabase>>;
  let pool: Sql;
  let defs: Awaited<ReturnType<typeof definitionsDir>>;

  beforeAll(async () => {
    database = await createServerTestDatabase();
    pool = postgres(database.url, { max: 4, onnotice: () => {} });
    await seedPlainCorpus(pool, 200);
    defs = await definitionsDir({
      "entities.yaml": ENTITIES,
      "a.yaml": view("labels", 1, ["sentiment: string = a.sentiment"]),
      "b.yaml": view("confidences", 1, ["confidence: float = a.confidence"]),
    });
    await applyDefinitions(pool, defs.dir);
  });
  afterAll(async () => {
    await pool?.end();
    await database?.drop();
    await defs?.remove();
  });

  it("runs one at a time on a single connection (PGlite), several on a server pool", () => {
    expect(parallelRuns(postgres({ max: 1 }) as unknown as Sql)).toBe(1);
    expect(parallelRuns(pool)).toBe(2);
    expect(parallelRuns(postgres({ max: 10 }) as unknown as Sql)).toBe(4);
  });

  it("has both runs inside their transactions at the same moment, and both commit", async () => {
    let inside = 0;
    let most = 0;
    let bothInside = () => {};
    const together = new Promise<void>((resolve) => {
      bothInside = resolve;
    });
    const runs = await materializeAll(pool, {
      full: true,
      faults: {
        beforeSwap: async () => {
          most = Math.max(most, ++inside);
          if (inside === 2) bothInside();
          // One at a time would wait here for a second run that never comes: the timeout ends it.
          await Promise.race([together, new Promise((resolve) => setTimeout(resolve, 5_000))]);
          inside--;
        },
      },
    });
    expect(most).toBe(2);
    expect(runs.map((r) => `${r.name}:${r.mode}:${r.rowsWritten}`).sort()).toEqual([
      "confidences:full:200",
      "labels:full:200",
    ]);
  });

  it("names the view of a run that failed, so the server can count it (RapfsMaterializationFailing)", async () => {
    const failed: string[] = [];
    await expect(
      materializeAll(pool, {
        full: true,
        only: { name: "labels", version: 1 },
        faults: {
          beforeSwap: async () => {
            throw new Error("the run fails");
          },
        },
        onFailure: (target, error) =>
          failed.push(`${target.name}@${target.version}: ${(error as Error).message}`),
      }),
    ).rejects.toThrow("the run fails");
    expect(failed).toEqual(["labels@1: the run fails"]);
  });
});
