import { describe, expect, it } from "vitest";
import { CopyBinaryReader, copyBinary, type FieldSink } from "../../src/db/copy-binary";

/** A sink keeping each field as what it decodes to: an int4, UTF-8 text, or null. */
function sink(decode: (view: DataView, bytes: Uint8Array, start: number, length: number) => unknown) {
  const values: unknown[] = [];
  const add: FieldSink["add"] = (view, bytes, start, length) =>
    values.push(length < 0 ? null : decode(view, bytes, start, length));
  return { values, add };
}

describe("binary COPY, written and read by the same module", () => {
  it("reads back what it writes, whatever the chunks the bytes arrive in", () => {
    const rows = [
      { id: 1, name: "plain" },
      { id: -2147483648, name: null },
      { id: 2147483647, name: "ünïcödé 🎤" },
    ];
    const bytes = copyBinary(rows, ["id", "name"], { id: "int4", name: "text" });
    for (const size of [1, 7, bytes.length]) {
      const ids = sink((view, _bytes, start) => view.getInt32(start));
      const names = sink((_view, b, start, length) =>
        new TextDecoder().decode(b.subarray(start, start + length)),
      );
      const reader = new CopyBinaryReader([ids, names]);
      for (let at = 0; at < bytes.length; at += size) {
        reader.push(bytes.subarray(at, at + size));
        reader.read(Number.MAX_SAFE_INTEGER);
      }
      reader.end();
      expect(reader.rows).toBe(3);
      expect(ids.values).toEqual(rows.map((r) => r.id));
      expect(names.values).toEqual(rows.map((r) => r.name));
    }
  });

  it("refuses bytes that are not binary COPY data", () => {
    const reader = new CopyBinaryReader([]);
    reader.push(new Uint8Array(19));
    expect(() => reader.read(1)).toThrow("not PostgreSQL binary COPY data");
  });
});
