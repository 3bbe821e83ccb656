import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { computeCard } from "../../../src/datasets/cards/card";
import { planDownload, standalonePlanSource } from "../../../src/datasets/plan/dataset-plan";
import type { Database } from "../../../src/db/database";
import { countingClient } from "../../support/counted-sql";
import { preparedDatabase } from "../../support/prepared-data";
import { SEED } from "../support";

const CARD_ROWS = /rapfs_work_\w+_card/;

describe("a card's duplicate check goes through the card's rows once, however many pairs repeat", () => {
  let db: Database;
  beforeAll(async () => {
    db = await preparedDatabase({ scale: 0.01, seed: SEED });
  });
  afterAll(async () => {
    await db?.close();
  });

  it("the rows are matched against the repeated pairs' tracks as a constant, never joined to the pairs", async () => {
    const statements: string[] = [];
    const counted = countingClient(db.sql, (query) => statements.push(query));
    try {
      const plan = await planDownload(standalonePlanSource(counted), { dataset: "public" });
      const card = await computeCard(counted, plan, { sliced: true });
      const check = statements.filter((s) => s.includes("rapfs_track_pairs"));
      expect(check.length, "not vacuous: the check ran").toBeGreaterThan(0);
      // Joined to the pairs, the never-analyzed rows were gone through once per pair: 58.8 s of
      // a 118 s card at scale 10.
      expect(check.filter((s) => CARD_ROWS.test(s))).toEqual([]);
      expect(statements.some((s) => CARD_ROWS.test(s) && /= any\(\$1::integer\[\]\)/.test(s))).toBe(true);

      // Its figures against the corpus: formats.test.ts.
      expect(card.quality.duplicates?.columns).toEqual(["artist", "title"]);
    } finally {
      await counted.end();
    }
  });
});
