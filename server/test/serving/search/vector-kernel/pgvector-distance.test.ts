import { PGlite } from "@electric-sql/pglite";
import { vector } from "@electric-sql/pglite-pgvector";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { pgvectorDistance } from "../../../../src/serving/search/vector-kernel/pgvector-distance";
import { embeddedDataDir } from "../../../support/databases";
import { Random } from "./random";

let db: PGlite;
beforeAll(async () => {
  db = await PGlite.create({
    loadDataDir: await embeddedDataDir({ migrate: false }),
    extensions: { vector },
  });
  await db.exec("create extension vector");
});
afterAll(async () => {
  await db?.close();
});

describe("pgvectorDistance", () => {
  it("equals PGlite's pgvector to the last bit for every metric", async () => {
    const random = new Random(5);
    const pairs: [Float32Array, Float32Array][] = [];
    for (const dimension of [1, 7, 128, 384]) {
      for (let t = 0; t < 40; t++) {
        const a = Float32Array.from(random.vector(dimension, t % 3 === 0 ? 10 : 0.05));
        const b = t % 5 === 0 ? a.map((x, j) => (j === 0 ? x * 1.0000001 : x)) : random.vector(dimension);
        pairs.push([a, Float32Array.from(b)]);
      }
    }
    const literal = (v: Float32Array) => `[${Array.from(v).join(",")}]`;
    for (const [a, b] of pairs) {
      const { rows } = await db.query<{ cosine: number; inner: number; l2: number }>(
        `select $1::vector <=> $2::vector as cosine, $1::vector <#> $2::vector as inner,
                $1::vector <-> $2::vector as l2`,
        [literal(a), literal(b)],
      );
      const d = a.length;
      expect({
        cosine: pgvectorDistance("cosine", a, 0, b, d),
        inner: pgvectorDistance("inner_product", a, 0, b, d),
        l2: pgvectorDistance("l2", a, 0, b, d),
      }).toEqual(rows[0]);
    }
  });
});
