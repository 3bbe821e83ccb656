import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { SLICE_TARGET_MS } from "../../../src/datasets/pacer";
import { planDownload, standalonePlanSource } from "../../../src/datasets/plan/dataset-plan";
import { computePointInTime, loadPointInTime } from "../../../src/datasets/point-in-time/pit";
import { pointInTimeRows } from "../../../src/datasets/snapshot/query";
import { countRange, inRanges } from "../../../src/datasets/snapshot/ranges";
import type { Database } from "../../../src/db/database";
import { sqlParams } from "../../../src/db/database";
import { parseTimestamp } from "../../../src/values/timestamps";
import { preparedDatabase } from "../../support/prepared-data";
import { SEED } from "../support";

/** first-download.test's instant: about a third of the tracks have public's rows by then. */
const AS_OF = "2025-06-01T00:00:00Z";
/** The pacer's floor: a range's rows when every turn takes longer than its target. */
const MIN_RANGE_ROWS = 16;

describe("a snapshot's key ranges on the embedded database, each turn slower than the pacer's target", () => {
  let db: Database;

  beforeAll(async () => {
    db = await preparedDatabase({ scale: 0.01, seed: SEED });
  });
  afterAll(async () => {
    await db?.close();
  });

  it("hold the pacer's floor in rows, however few of the range table's keys have rows at the instant", async () => {
    const { sql } = db;
    const plan = await planDownload(standalonePlanSource(sql), {
      dataset: "public",
      asOf: parseTimestamp(AS_OF) as number,
    });
    const instant = { instant: plan.asOf as number };
    const tables = await computePointInTime(sql, plan, await loadPointInTime(sql, plan), instant);
    try {
      const rows = pointInTimeRows(plan, tables, instant);
      const [keys] = await sql.unsafe<{ n: number }[]>(
        `select count(*)::int as n from ${rows.rangeTable.table}`,
      );
      // A turn waits as long as first-download.test's slowed reads make it, so the pacer sizes
      // every range at its floor.
      const perRange: number[] = [];
      const ranges = inRanges(
        rows,
        plan.limit,
        undefined,
        async (statement) => {
          await new Promise((resolve) => setTimeout(resolve, 2 * SLICE_TARGET_MS));
          const range = await statement(sql);
          const [row] = await sql.unsafe<{ n: number }[]>(countRange(range), sqlParams(range.params));
          perRange.push(row?.n ?? 0);
          return { parts: [], rows: row?.n ?? 0 };
        },
        { paced: true },
      );
      for await (const _ of ranges);

      const total = perRange.reduce((sum, n) => sum + n, 0);
      expect(total, "rows at the instant").toBeGreaterThan(8 * MIN_RANGE_ROWS);
      expect(total, "keys of the range table").toBeLessThan((keys?.n ?? 0) / 2);
      // Sized in keys, a range at the floor held 16 keys and about 5 rows (29 ranges for 183
      // rows); in rows, 16 as before ranges were bounded on both sides. The last is what is left.
      const full = perRange.slice(1, -1);
      const mean = full.reduce((sum, n) => sum + n, 0) / full.length;
      expect(mean, `rows a range (${perRange.join(", ")})`).toBeGreaterThanOrEqual(0.75 * MIN_RANGE_ROWS);
    } finally {
      await tables.drop();
    }
  });
});
