import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { bytes, type DatasetsHarness, datasetsHarness, get, readCsv } from "./support";

/** Small enough that the scale-0.01 public (~470 rows, one range of 8,192) takes many round trips. */
const READ_ROWS = 32;

type Query = { cursor(rows: number): AsyncIterable<unknown[]> };

/**
 * postgres.js parses on the main thread every text row of what a statement sends at once: a whole
 * range of public (8,192 rows, about 10 MB) held it 40–100 ms at a time on a server database
 * while a free key's CSV downloads ran. Records the rows each cursor round trip brought.
 */
function recordCursors(h: DatasetsHarness): { sizes: number[]; chunks: number[]; restore(): void } {
  const prototype = Object.getPrototypeOf(h.db.sql.unsafe("select 1")) as Query;
  const cursor = prototype.cursor;
  const sizes: number[] = [];
  const chunks: number[] = [];
  prototype.cursor = function (this: Query, rows: number) {
    sizes.push(rows);
    const inner = cursor.call(this, rows)[Symbol.asyncIterator]();
    return {
      [Symbol.asyncIterator]: () => ({
        next: async () => {
          const step = await inner.next();
          if (!step.done) chunks.push((step.value as unknown[]).length);
          return step;
        },
        return: async () => (await inner.return?.()) ?? { done: true, value: undefined },
      }),
    };
  };
  const restore = () => {
    prototype.cursor = cursor;
  };
  return { sizes, chunks, restore };
}

describe("a row format's rows are read a few at a time", () => {
  let h: DatasetsHarness;

  beforeAll(async () => {
    h = await datasetsHarness({}, { settings: { readRows: READ_ROWS } });
  }, 180_000);
  afterAll(async () => {
    await h?.close();
  });

  it.each(["csv", "json"] as const)(
    "%s: every round trip brings at most readRows rows, and the file holds them all in order",
    async (format) => {
      const card = (await (await get(h, "/v1/datasets/public")).json()) as { rows: number };
      expect(card.rows).toBeGreaterThan(READ_ROWS * 10);
      const recorded = recordCursors(h);
      let file: Uint8Array;
      try {
        const response = await get(h, `/v1/datasets/public/download?format=${format}`);
        expect(response.status).toBe(200);
        file = await bytes(response);
      } finally {
        recorded.restore();
      }

      expect(recorded.sizes.length).toBeGreaterThan(0);
      expect(recorded.sizes.every((n) => n === READ_ROWS)).toBe(true);
      expect(Math.max(...recorded.chunks)).toBeLessThanOrEqual(READ_ROWS);
      expect(recorded.chunks.reduce((sum, n) => sum + n, 0)).toBe(card.rows);

      const ids =
        format === "csv"
          ? readCsv(file).rows.map((row) => Number(row[0]))
          : Buffer.from(file)
              .toString()
              .trimEnd()
              .split("\n")
              .map((line) => (JSON.parse(line) as { track_id: number }).track_id);
      expect(ids).toHaveLength(card.rows);
      expect(ids).toEqual([...ids].sort((a, b) => a - b));
      expect(new Set(ids).size).toBe(ids.length);
    },
  );
});
