import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Database } from "../../../src/db/database";
import { type EmbeddingInfo, listEmbeddings } from "../../../src/registry";
import { VectorIndex } from "../../../src/serving/search/vector-index";
import { preparedDatabase } from "../../support/prepared-data";
import { SCALE, SEED } from "../support";

describe("VectorIndex.load (the embedded default's search vectors, read after a first start)", () => {
  let database: Database;
  let lyrics: EmbeddingInfo;
  beforeAll(async () => {
    database = await preparedDatabase({ scale: SCALE, seed: SEED });
    lyrics = (await listEmbeddings(database.sql)).find((e) => e.name === "lyrics") as EmbeddingInfo;
  });
  afterAll(async () => {
    await database?.close();
  });

  it("lets the event loop run between slices of rows, parsing and quantizing: a page is not one long block", async () => {
    // Every vector in one page: after its read, only the slicing gives the event loop a turn.
    const rowsPerSlice = 16;
    let turns = 0;
    let turnsAtRead = 0;
    let loading = true;
    const turn = () => {
      turns++;
      if (loading) setImmediate(turn);
    };
    // The page's statement (not the fragments inside it) notes the turns taken until it is read.
    const sql = new Proxy(database.sql, {
      apply(target, self, args) {
        const query = Reflect.apply(target, self, args);
        const text = (args[0] as TemplateStringsArray | undefined)?.[0] ?? "";
        if (!text.trimStart().startsWith("select")) return query;
        return (query as Promise<unknown>).then((rows) => {
          turnsAtRead = turns;
          return rows;
        });
      },
    });
    let index: VectorIndex;
    setImmediate(turn);
    try {
      index = await VectorIndex.load(sql, lyrics, { page: 100_000, rowsPerSlice });
    } finally {
      loading = false;
    }
    expect(index.size).toBeGreaterThan(256);
    // A turn every 16 rows parsed, and every 16 rows quantized.
    expect(turns - turnsAtRead).toBeGreaterThanOrEqual(Math.floor(index.size / rowsPerSlice) * 2);
  });

  it("builds the index VectorIndex.of builds from the same rows", async () => {
    const sliced = await VectorIndex.load(database.sql, lyrics, { rowsPerSlice: 7 });
    const whole = VectorIndex.of(sliced.ids.slice(), sliced.parts().vectors.slice(), sliced.dimension);
    expect(sliced.parts()).toEqual(whole.parts());
  });
});
