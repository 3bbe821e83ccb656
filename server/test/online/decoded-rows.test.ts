import { describe, expect, it } from "vitest";
import { DecodedRows } from "../../src/online/decoded-rows";
import { packRow } from "../../src/online/redis-keys";

const text = (energy: number) =>
  packRow({ id: "1", values: { energy }, eventTimestamp: "2025-01-01T00:00:00Z" });

describe("decoded rows", () => {
  it("reuses a row while its stored text is unchanged, and decodes a changed one", () => {
    const rows = new DecodedRows();
    const first = rows.decode("k:1", "1", text(0.5));
    expect(rows.decode("k:1", "1", text(0.5))).toBe(first);
    const changed = rows.decode("k:1", "1", text(0.75));
    expect(changed).not.toBe(first);
    expect(changed.values).toEqual({ energy: 0.75 });
  });

  it("hands out rows nobody can change", () => {
    const row = new DecodedRows().decode("k:1", "1", text(0.5));
    expect(() => {
      (row.values as Record<string, unknown>).energy = 1;
    }).toThrow(TypeError);
  });

  it("keeps at most its limit, dropping the oldest", () => {
    const rows = new DecodedRows(2);
    const a = rows.decode("a", "1", text(1));
    rows.decode("b", "1", text(2));
    rows.decode("c", "1", text(3));
    expect(rows.decode("a", "1", text(1))).not.toBe(a);
  });
});
