import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { exportRows } from "../../../src/datasets/delivery/export";
import { planDownload, standalonePlanSource } from "../../../src/datasets/plan/dataset-plan";
import type { Database, Sql } from "../../../src/db/database";
import { countingClient } from "../../support/counted-sql";
import { preparedDatabase } from "../../support/prepared-data";
import { SEED } from "../support";

/**
 * Each key range is a statement (planned over public's five joins), with its range end looked up
 * first: the statements a download sends are most of what it costs beyond its rows. Before, a
 * download in one transaction was paced as a sliced one is, 1,024 rows a range at most: 200
 * statements for public at scale 1 (4.3× a COPY of its rows, `pnpm bench datasets`).
 */
describe("the statements a Parquet download of public sends, on the embedded database", () => {
  let db: Database;
  let counted: Sql;
  let statements: string[] = [];

  beforeAll(async () => {
    db = await preparedDatabase({ scale: 0.01, seed: SEED });
    counted = countingClient(db.sql, (query) => statements.push(query));
  }, 120_000);
  afterAll(async () => {
    await counted?.end();
    await db?.close();
  });

  const download = async (sliced: boolean) => {
    const plan = await planDownload(standalonePlanSource(counted), { dataset: "public" });
    statements = [];
    const result = await exportRows(counted, plan, async () => {}, { format: "parquet", sliced });
    const sent = (pattern: RegExp) => statements.filter((s) => pattern.test(s)).length;
    return { rows: result.rows, counts: sent(/^select count\(\*\)/), copies: sent(/^copy \(/) };
  };

  it("in one transaction (a server's), reads its rows in one range and counts them in one", async () => {
    const { rows, counts, copies } = await download(false);
    expect(rows).toBeGreaterThan(128);
    expect({ counts, copies }).toEqual({ counts: 1, copies: 1 });
  });

  it("sliced (the embedded database's turns), still reads them in ranges a lookup can pass between", async () => {
    const { rows, copies } = await download(true);
    const whole = await download(false);
    expect(rows).toBe(whole.rows);
    expect(copies).toBeGreaterThan(1);
  });
});
