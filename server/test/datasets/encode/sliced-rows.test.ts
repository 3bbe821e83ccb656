import { describe, expect, it } from "vitest";
import { encodeRows, type RowFormat } from "../../../src/datasets/encode/encode";
import type { OutputColumn } from "../../../src/datasets/plan/columns";

const columns: OutputColumn[] = [
  { name: "track_id", kind: "int", description: "", source: "tracks.id" },
  { name: "sentiment", kind: "string", description: "", source: "v@1:sentiment" },
  { name: "scores", kind: "float[]", description: "", source: "v@1:scores" },
];
const rows = Array.from({ length: 20_000 }, (_, i) => [i, `mood "${i}", maybe`, [i / 3, 0.5, -1]]);

async function* onePage() {
  yield rows;
}

/** The text encoded before a setImmediate scheduled at the start ran, and the whole text. */
async function encodedBeforeNextTurn(format: RowFormat): Promise<{ before: number; all: string }> {
  let produced = "";
  let before = -1;
  setImmediate(() => {
    before = produced.length;
  });
  for await (const chunk of encodeRows(format, columns, onePage())) produced += Buffer.from(chunk).toString();
  return { before: before === -1 ? produced.length : before, all: produced };
}

describe("CSV and NDJSON are encoded a slice at a time", () => {
  it.each(["json", "csv"] as const)(
    "%s: other requests get a turn of the event loop inside a page of 20,000 rows",
    async (format) => {
      const { before, all } = await encodedBeforeNextTurn(format);
      expect(before).toBeGreaterThan(0);
      expect(before).toBeLessThan(all.length / 4);
      const lines = all.trimEnd().split(format === "csv" ? "\r\n" : "\n");
      expect(lines).toHaveLength(format === "csv" ? 20_001 : 20_000);
      if (format === "json")
        expect(JSON.parse(lines[19_999] as string)).toEqual({
          track_id: 19_999,
          sentiment: 'mood "19999", maybe',
          scores: [19_999 / 3, 0.5, -1],
        });
    },
  );
});
