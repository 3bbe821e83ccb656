import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Database } from "../../../src/db/database";
import { exactScan, indexScan } from "../../../src/serving/search/hnsw-search";
import { openEmbeddedTestDatabase } from "../../support/databases";

let database: Database;
beforeAll(async () => {
  database = await openEmbeddedTestDatabase({ migrate: false });
});
afterAll(async () => {
  await database?.close();
});

describe("an HNSW index scan's own settings", () => {
  it("turns JIT off with the cost-inflating ones, for its transaction only", async () => {
    const [settings = []] = await indexScan(
      database.sql,
      { efSearch: 40, maxScanTuples: 1_000, iterative: true },
      (tx) => [
        tx<{ jit: string; seqscan: string; sort: string; iterative: string }[]>`
        select current_setting('jit') as jit, current_setting('enable_seqscan') as seqscan,
          current_setting('enable_sort') as sort, current_setting('hnsw.iterative_scan') as iterative`,
      ],
    );
    // Sequential scans and sorts off cost a plan about 1e10, far past jit_above_cost: without
    // this, a server PostgreSQL with JIT compiled every search (128–163 ms of ~150).
    expect(settings[0]).toEqual({ jit: "off", seqscan: "off", sort: "off", iterative: "relaxed_order" });
    const [after] = await database.sql<{ jit: string }[]>`select current_setting('jit') as jit`;
    expect(after?.jit).not.toBe("off");
  });
});

describe("an exact scan's own settings", () => {
  it("runs on one core without JIT, for its transaction only", async () => {
    const settings = await exactScan(
      database.sql,
      (tx) => tx<{ jit: string; workers: string }[]>`
        select current_setting('jit') as jit, current_setting('max_parallel_workers_per_gather') as workers`,
    );
    // Parallel workers made a scan of every vector no faster (memory bound) but took three cores.
    expect(settings[0]).toEqual({ jit: "off", workers: "0" });
    const [after] = await database.sql<{ jit: string }[]>`select current_setting('jit') as jit`;
    expect(after?.jit).not.toBe("off");
  });
});
