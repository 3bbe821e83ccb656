import { describe, expect, it } from "vitest";
import { uploadRowCount } from "../../src/datasets/upload/upload-formats";

const ROWS = 200_000;
const bytesOf = (text: string) => new Uint8Array(Buffer.from(text));
const unquoted = bytesOf(
  `track_id,as_of\n${Array.from({ length: ROWS }, (_, i) => `${i},2024-01-01`).join("\n")}\n`,
);
const quoted = bytesOf(
  `track_id,note\r\n${Array.from({ length: ROWS }, (_, i) => `${i},"a note, ""quoted""\nover two lines"`).join("\r\n")}\r\n`,
);
const json = bytesOf(
  JSON.stringify({ rows: Array.from({ length: ROWS }, (_, i) => ({ track_id: i, note: "a, [b]" })) }),
);

/** The count, and whether a setImmediate scheduled as it began ran before it ended. */
async function countedAcrossTurns(format: "csv" | "json", body: Uint8Array) {
  let turned = false;
  const immediate = setImmediate(() => {
    turned = true;
  });
  const rows = await uploadRowCount(format, body);
  clearImmediate(immediate);
  return { rows, turned };
}

describe("an upload's rows are counted a slice at a time, before any parse", () => {
  // Fails on a count made in one go: a free key's 100,000-row CSV held the event loop 20-60 ms.
  it.each([
    ["CSV without quotes", "csv", unquoted],
    ["CSV with quoted fields over two lines", "csv", quoted],
    ["JSON rows", "json", json],
  ] as const)("%s: other requests get a turn of the event loop meanwhile", async (_, format, body) => {
    const { rows, turned } = await countedAcrossTurns(format, body);
    expect(rows).toBe(ROWS);
    expect(turned).toBe(true);
  });

  it("counts records, not lines: blank lines and newlines inside quotes are not rows", async () => {
    const text = 'a,b\r\n1,"x\ny"\r\n\r\n2,z\n\n\r\n3,"""q"""\n';
    expect(await uploadRowCount("csv", bytesOf(text))).toBe(3);
    expect(await uploadRowCount("csv", bytesOf("a,b\n1,2\n\n3,4"))).toBe(2);
    expect(await uploadRowCount("json", bytesOf('[{"a":"],"},{"a":2}]'))).toBe(2);
    expect(await uploadRowCount("json", bytesOf('{"rows": []}'))).toBe(0);
    expect(await uploadRowCount("json", bytesOf('{"other": [1,2]}'))).toBeUndefined();
  });
});
