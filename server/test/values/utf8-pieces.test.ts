import { describe, expect, it } from "vitest";
import { Utf8Pieces, utf8Body } from "../../src/values/utf8-pieces";

// Parts as the feature codec writes them: ASCII, Latin-1, a character past it, a surrogate pair.
const parts = Array.from({ length: 3_000 }, (_, i) =>
  i % 7 === 0 ? `{"title":${JSON.stringify(`Don’t stop 🔥 #${i}`)}},` : `{"artist":"Beyoncé","n":${i / 3}},`,
);

describe("UTF-8 in pieces", () => {
  it("gives the bytes of the whole text, across pieces and with characters of every width", () => {
    const whole = parts.join("");
    expect(whole.length).toBeGreaterThan(64 * 1024);
    expect(utf8Body(parts).equals(Buffer.from(whole, "utf8"))).toBe(true);
    expect(Buffer.from(utf8Body(parts)).toString("utf8")).toBe(whole);
  });

  it("hands over what was added since the last take, a chunk at a time", () => {
    const pieces = new Utf8Pieces();
    const chunks: Buffer[] = [];
    for (const [i, part] of parts.entries()) {
      pieces.add(part);
      if (i % 500 === 499) chunks.push(pieces.take());
    }
    pieces.add("");
    chunks.push(pieces.take());
    expect(pieces.size).toBe(0);
    expect(pieces.take().length).toBe(0);
    expect(Buffer.concat(chunks).toString("utf8")).toBe(parts.join(""));
  });

  it("counts encoded bytes and characters still to encode in its size", () => {
    const pieces = new Utf8Pieces();
    pieces.add("’");
    expect(pieces.size).toBe(1);
    pieces.add("x".repeat(40_000));
    expect(pieces.size).toBe(40_003);
  });
});
