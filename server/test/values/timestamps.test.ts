import { describe, expect, it } from "vitest";
import { formatTimestamp, parseTimestamp } from "../../src/values/timestamps";

const at = (text: string) => {
  const micros = parseTimestamp(text);
  return micros === undefined ? undefined : formatTimestamp(micros);
};

describe("parseTimestamp", () => {
  it("takes an offset as ISO 8601 writes one, and shifts by it", () => {
    expect(at("2025-06-01T00:00:00Z")).toBe("2025-06-01T00:00:00.000000");
    expect(at("2025-06-01T00:00:00+02:00")).toBe("2025-05-31T22:00:00.000000");
    expect(at("2025-06-01T00:00:00-0530")).toBe("2025-06-01T05:30:00.000000");
    expect(at("2025-06-01T00:00:00+14")).toBe("2025-05-31T10:00:00.000000");
    expect(at("2025-06-01T00:00:00-23:59")).toBe("2025-06-01T23:59:00.000000");
  });

  it("refuses an offset no clock has (+99:99 and +25:00 were taken, shifting the instant by days)", () => {
    for (const text of [
      "2025-06-01T00:00:00+99:99",
      "2025-06-01T00:00:00+25:00",
      "2025-06-01T00:00:00-24:00",
    ])
      expect(parseTimestamp(text), text).toBeUndefined();
    expect(parseTimestamp("2025-06-01T00:00:00+01:60")).toBeUndefined();
  });

  it("refuses a date or time that does not exist", () => {
    for (const text of ["2025-02-30", "2025-06-01T24:00", "2025-06-01T12:60", "0000-01-01"])
      expect(parseTimestamp(text), text).toBeUndefined();
  });
});
