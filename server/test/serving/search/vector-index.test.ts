import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { type Metric, type NearestOptions, VectorIndex } from "../../../src/serving/search/vector-index";
import { onSlowClock, withTurns } from "../../support/turns";
import { Random } from "./vector-kernel/random";
import { float64Scan, pgvectorScan } from "./vector-kernel/reference";

type Shape = "random" | "clustered" | "corpus";

/**
 * Vectors of one shape, with the awkward cases mixed in: exact duplicates, near-ties one float32
 * ulp apart, zero vectors, and (for "corpus") L2-normalized components of five decimals.
 */
function dataset(random: Random, shape: Shape, count: number, dimension: number) {
  const centers = Array.from({ length: 1 + random.int(4) }, () => random.vector(dimension));
  const spread = [1e-1, 1e-3, 1e-6][random.int(3)] as number;
  const vectors = new Float32Array(count * dimension);
  for (let i = 0; i < count; i++) {
    const row = vectors.subarray(i * dimension, (i + 1) * dimension);
    const roll = random.next();
    if (i > 0 && roll < 0.1) {
      const other = random.int(i);
      row.set(vectors.subarray(other * dimension, (other + 1) * dimension));
      // A nudged zero would be a float32 subnormal, whose square pgvector's float32 sum loses.
      const j = random.int(dimension);
      if (roll < 0.05 && row[j] !== 0) row[j] = nextFloat32(row[j] as number);
      continue;
    }
    if (roll < 0.13) continue;
    let v: number[];
    if (shape === "random") v = random.vector(dimension, 10 ** (random.int(4) - 2));
    else {
      const center = centers[random.int(centers.length)] as number[];
      v = center.map((c) => c + random.normal() * spread);
    }
    if (shape === "corpus") {
      const length = Math.hypot(...v) || 1;
      v = v.map((x) => Math.round((x / length) * 1e5) / 1e5);
    }
    row.set(v);
  }
  const ids = Int32Array.from({ length: count }, (_, i) => 3 * i + 1);
  return { ids, vectors, dimension };
}

function nextFloat32(x: number): number {
  const bits = new Int32Array(Float32Array.of(x).buffer);
  bits[0] = (bits[0] as number) + (x >= 0 ? 1 : -1);
  return new Float32Array(bits.buffer)[0] as number;
}

/** pgvector's rounding: a generous bound on how far its distances stray from float64's. */
function tolerance(data: ReturnType<typeof dataset>, query: number[], dimension: number): number {
  let largest = 0;
  for (let i = 0; i < data.ids.length; i++) {
    const row = data.vectors.subarray(i * dimension, (i + 1) * dimension);
    largest = Math.max(largest, Math.hypot(...row));
  }
  const q = Math.hypot(...query);
  return 8 * (dimension + 4) * 2 ** -24 * (1 + (largest + q) ** 2);
}

const cases = fc.record({
  seed: fc.integer({ min: 1, max: 2 ** 31 - 1 }),
  shape: fc.constantFrom<Shape>("random", "clustered", "corpus"),
  count: fc.integer({ min: 1, max: 400 }),
  dimension: fc.constantFrom(1, 3, 15, 16, 17, 37, 100, 130),
  k: fc.integer({ min: 1, max: 100 }),
  metric: fc.constantFrom<Metric>("cosine", "inner_product", "l2"),
  query: fc.constantFrom("stored", "near", "random", "zero"),
  filtered: fc.boolean(),
  excluding: fc.boolean(),
});

describe("VectorIndex.nearest", () => {
  it("equals the pgvector scan exactly, and float64's ranking up to pgvector's rounding", () => {
    fc.assert(
      fc.property(cases, (c) => {
        const random = new Random(c.seed);
        const data = dataset(random, c.shape, c.count, c.dimension);
        const index = VectorIndex.of(data.ids, data.vectors, c.dimension);
        const row = random.int(c.count);
        const stored = Array.from(data.vectors.subarray(row * c.dimension, (row + 1) * c.dimension));
        const query =
          c.query === "stored"
            ? stored
            : c.query === "near"
              ? stored.map((x) => x + random.normal() * 1e-4)
              : c.query === "random"
                ? random.vector(c.dimension)
                : new Array<number>(c.dimension).fill(0);
        const options: NearestOptions = {};
        if (c.excluding) options.exclude = data.ids[row] as number;
        if (c.filtered) options.allowed = new Set([...data.ids, 2, 5].filter(() => random.next() < 0.3));

        const got = index.nearest(query, c.metric, c.k, options);
        expect(got).toEqual(pgvectorScan(data, query, c.metric, c.k, options));

        const exact = float64Scan(data, query, c.metric, c.k, options);
        const slack = tolerance(data, query, c.dimension);
        expect(got?.length).toBe(exact.length);
        got?.forEach((n, i) => {
          expect(Math.abs(n.distance - (exact[i]?.distance as number))).toBeLessThanOrEqual(slack);
        });
      }),
      { numRuns: 300 },
    );
  });

  it("answers a query of each metric the same way on a corpus-sized dimension", () => {
    const random = new Random(3);
    const data = dataset(random, "corpus", 2_000, 384);
    const index = VectorIndex.of(data.ids, data.vectors, 384);
    for (const metric of ["cosine", "inner_product", "l2"] as const) {
      for (let t = 0; t < 10; t++) {
        const row = random.int(2_000);
        const query = Array.from(data.vectors.subarray(row * 384, (row + 1) * 384), (x) => x + 1e-3);
        expect(index.nearest(query, metric, 10)).toEqual(pgvectorScan(data, query, metric, 10, {}));
      }
    }
  });

  it("keeps vectors whose float32 sums under- or overflow as candidates, as pgvector ranks them", () => {
    const data = {
      ids: Int32Array.of(1, 2, 3, 4, 5),
      vectors: Float32Array.of(1e-30, 0, 0, 1e-30, 1e20, 1e20, 1, 0.5, -0.5, 1),
      dimension: 2,
    };
    const index = VectorIndex.of(data.ids, data.vectors, 2);
    for (const metric of ["cosine", "inner_product", "l2"] as const) {
      for (const query of [
        [1, 0.001],
        [-0.3, 0.7],
        [1e-10, 0],
      ]) {
        for (const k of [1, 2, 5]) {
          expect(index.nearest(query, metric, k)).toEqual(pgvectorScan(data, query, metric, k, {}));
        }
      }
    }
  });

  it("leaves a query whose float32 form is uncertain to SQL", () => {
    const index = VectorIndex.of(Int32Array.of(1), Float32Array.of(1, 0), 2);
    expect(index.nearest([1 + 2 ** -24, 0], "cosine", 1)).toBeUndefined();
    expect(index.nearest([1e39, 0], "l2", 1)).toBeUndefined();
    expect(index.nearest([0, 0], "cosine", 1)).toEqual([]);
    expect(index.nearest([0, 0], "l2", 1)).toEqual([{ id: 1, distance: 1 }]);
  });
});

describe("VectorIndex.withRows", () => {
  it("is the index a fresh read of the changed rows would build, row for row", () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 1_000_000 }), (seed) => {
        const random = new Random(seed);
        const dimension = 1 + random.int(40);
        const count = random.int(60);
        const rows = new Map<number, Float32Array>();
        for (let i = 0; i < count; i++) rows.set(2 * i + 1, Float32Array.from(random.vector(dimension)));
        const build = (of: Map<number, Float32Array>) => {
          const ids = [...of.keys()].sort((a, b) => a - b);
          const vectors = new Float32Array(ids.length * dimension);
          for (const [i, id] of ids.entries()) vectors.set(of.get(id) as Float32Array, i * dimension);
          return VectorIndex.of(Int32Array.from(ids), vectors, dimension);
        };
        const before = build(rows);
        // New ids between, before and after the old ones; replaced rows; removed rows; a removal
        // of an id the index never had.
        const changed = new Map<number, Float32Array | null>();
        for (let k = random.int(20); k > 0; k--) {
          const id = random.int(2 * count + 10);
          changed.set(id, random.next() < 0.3 ? null : Float32Array.from(random.vector(dimension)));
        }
        const after = new Map(rows);
        for (const [id, vector] of changed) {
          if (vector) after.set(id, vector);
          else after.delete(id);
        }
        expect(before.withRows(changed).parts()).toEqual(build(after).parts());
      }),
      { numRuns: 200 },
    );
  });
});

describe("VectorIndex.changeInPlace", () => {
  it("rewrites and adds rows in place into the index a fresh read would build, and answers as it would", () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 1_000_000 }),
        fc.constantFrom<Metric>("cosine", "inner_product", "l2"),
        (seed, metric) => {
          const random = new Random(seed);
          const data = dataset(random, "clustered", 1 + random.int(120), 1 + random.int(40));
          const { dimension: d } = data;
          // A copy (withRows) leaves room to add rows; `of` leaves none.
          const index = VectorIndex.of(data.ids, data.vectors.slice(), d).withRows(new Map());
          const rows = new Map<number, Float32Array>();
          for (const [i, id] of data.ids.entries()) rows.set(id, data.vectors.slice(i * d, (i + 1) * d));
          const changed = new Map<number, Float32Array | null>();
          for (let k = 1 + random.int(10); k > 0; k--) {
            const id = data.ids[random.int(data.ids.length)] as number;
            const wasZero = (rows.get(id) as Float32Array).every((x) => x === 0);
            // A zero row stays zero (the rows a cosine search skips must not change in place).
            changed.set(id, wasZero ? new Float32Array(d) : Float32Array.from(random.vector(d)));
          }
          const last = data.ids.at(-1) as number;
          for (let k = random.int(40); k > 0; k--) {
            const id = last + 1 + random.int(500);
            changed.set(id, random.next() < 0.1 ? new Float32Array(d) : Float32Array.from(random.vector(d)));
          }
          // A removal of an id the index never had changes nothing.
          changed.set(last + 1000, null);
          for (let round = 0; round < 2; round++) {
            expect(index.changeInPlace(changed)).toBe(true);
            for (const [id, vector] of changed) if (vector) rows.set(id, vector);
            const ids = Int32Array.from([...rows.keys()].sort((a, b) => a - b));
            const vectors = new Float32Array(ids.length * d);
            for (const [i, id] of ids.entries()) vectors.set(rows.get(id) as Float32Array, i * d);
            const fresh = VectorIndex.of(ids, vectors, d);
            expect(index.parts()).toEqual(fresh.parts());
            const query = random.vector(d);
            expect(index.nearest(query, metric, 10)).toEqual(fresh.nearest(query, metric, 10));
            expect(index.nearest(query, metric, 10, { allowed: new Set(ids) })).toEqual(
              fresh.nearest(query, metric, 10),
            );
            // Rewrites of rows added in place, in place too.
            for (const id of changed.keys())
              if (changed.get(id)) changed.set(id, Float32Array.from(random.vector(d)));
            for (const [id, vector] of changed) {
              if (vector && (rows.get(id) as Float32Array).every((x) => x === 0))
                changed.set(id, new Float32Array(d));
            }
          }
        },
      ),
      { numRuns: 200 },
    );
  });

  it("refuses, changing nothing, a removal, a row that turns zero or stops being zero, an id below the last, or more rows than its room", () => {
    const index = VectorIndex.of(Int32Array.of(1, 3, 5), Float32Array.of(1, 0, 0, 0, 0, 1), 2).withRows(
      new Map(),
    );
    const before = structuredClone(index.parts());
    const refused: [number, Float32Array | null][] = [
      [1, null],
      [1, Float32Array.of(0, 0)],
      [3, Float32Array.of(1, 1)],
      [4, Float32Array.of(1, 1)],
    ];
    for (const [id, vector] of refused) {
      expect(
        index.changeInPlace(
          new Map([
            [5, Float32Array.of(5, 5)],
            [id, vector],
          ]),
        ),
      ).toBe(false);
      expect(index.parts()).toEqual(before);
    }
    const tooMany = new Map(Array.from({ length: 65 }, (_, k) => [10 + k, Float32Array.of(1, k)] as const));
    expect(index.changeInPlace(tooMany)).toBe(false);
    expect(
      VectorIndex.of(Int32Array.of(1), Float32Array.of(1, 0), 2).changeInPlace(
        new Map([[2, Float32Array.of(0, 1)]]),
      ),
    ).toBe(false);
    expect(index.parts()).toEqual(before);
  });
});

describe("VectorIndex.nearestInTurns", () => {
  // 40,000 rows of 384 dimensions, 20,000 asked for: ranking them took ~35 ms in one go.
  const random = new Random(38);
  const dimension = 384;
  const rows = 40_000;
  const vectors = new Float32Array(rows * dimension).map(() => Math.fround(random.next() - 0.5));
  const ids = Int32Array.from({ length: rows }, (_, i) => i + 1);
  const query = random.vector(dimension).map(Math.fround);

  it("answers as nearest does, letting the event loop turn while it ranks many candidates", async () => {
    const index = VectorIndex.of(ids, vectors, dimension);
    const { value: found, turns } = await withTurns(index.nearestInTurns(query, "cosine", 20_000));
    expect(turns).toBeGreaterThan(1);
    expect(found).toEqual(index.nearest(query, "cosine", 20_000));
  });

  it("lets the event loop turn while it scores every row, even for one candidate", async () => {
    const index = VectorIndex.of(ids, vectors, dimension);
    // Scoring 40,000 rows takes under a slice on a fast machine: the clock is made slow instead.
    const { value: found, turns } = await withTurns(
      onSlowClock(() => index.nearestInTurns(query, "cosine", 1)),
    );
    expect(turns).toBeGreaterThan(1);
    expect(found).toEqual(index.nearest(query, "cosine", 1));
  });

  it("answers each of several searches at once as nearest does, one in one go among them", async () => {
    const index = VectorIndex.of(ids, vectors, dimension);
    const queries = [0, 1, 2].map(() => random.vector(dimension).map(Math.fround));
    const searching = queries.map((q) => index.nearestInTurns(q, "cosine", 50));
    // A search in one go, between the others' turns, uses the same scoring buffers.
    await new Promise((resolve) => setImmediate(resolve));
    const inOneGo = index.nearest(query, "cosine", 50);
    const found = await Promise.all(searching);
    expect(found).toEqual(queries.map((q) => index.nearest(q, "cosine", 50)));
    expect(inOneGo).toEqual(index.nearest(query, "cosine", 50));
  });

  it("answers for the index as changed when a row changed in place during its turns", async () => {
    const index = VectorIndex.of(ids, vectors, dimension);
    const moved = 40_000;
    expect(index.nearest(query, "cosine", 20_000)?.some((n) => n.id === moved)).toBe(false);
    const searching = index.nearestInTurns(query, "cosine", 20_000);
    // The row becomes the query itself, after its candidates were chosen and before they are ranked.
    await new Promise((resolve) => setImmediate(resolve));
    expect(index.changeInPlace(new Map([[moved, Float32Array.from(query)]]))).toBe(true);
    const found = await searching;
    expect(found?.[0]?.id).toBe(moved);
    expect(found).toEqual(index.nearest(query, "cosine", 20_000));
  });
});
