import { describe, expect, it } from "vitest";
import { MAX_JSON_DEPTH, nestsDeeperThan, refuseDeepJson } from "../../src/api/middleware/json-depth";
import { DomainError } from "../../src/errors";

const arrays = (depth: number) => `${"[".repeat(depth)}${"]".repeat(depth)}`;
const objects = (depth: number) => `${'{"a":'.repeat(depth - 1)}{}${"}".repeat(depth - 1)}`;

describe("nestsDeeperThan", () => {
  it("counts arrays and objects alike, up to and past the limit", () => {
    expect(nestsDeeperThan(arrays(3), 3)).toBe(false);
    expect(nestsDeeperThan(arrays(4), 3)).toBe(true);
    expect(nestsDeeperThan(objects(3), 3)).toBe(false);
    expect(nestsDeeperThan(objects(4), 3)).toBe(true);
    expect(nestsDeeperThan('[{"a":[1]}]', 2)).toBe(true);
    expect(nestsDeeperThan("[[1],[2],[3],{},[]]", 2)).toBe(false);
  });

  it("ignores brackets inside strings, honouring escapes", () => {
    expect(nestsDeeperThan(JSON.stringify(["[[[[{{{{"]), 1)).toBe(false);
    expect(nestsDeeperThan(JSON.stringify({ a: 'quote " then [[[[' }), 1)).toBe(false);
    // An escaped backslash ends before the quote, which then closes the string.
    expect(nestsDeeperThan(JSON.stringify(["\\", [[1]]]), 2)).toBe(true);
    expect(nestsDeeperThan(JSON.stringify(["\\\\\\", '\\"[[[']), 1)).toBe(false);
    expect(nestsDeeperThan(JSON.stringify(["é🎵[[[", [[1]]]), 3)).toBe(false);
  });

  it("stops at the first level past the limit, and leaves malformed text to JSON.parse", () => {
    expect(nestsDeeperThan("[".repeat(5_000_000), MAX_JSON_DEPTH)).toBe(true);
    expect(nestsDeeperThan('["unterminated [[[[[[', 2)).toBe(false);
    expect(nestsDeeperThan("]]]]", 2)).toBe(false);
    expect(nestsDeeperThan("", 2)).toBe(false);
  });
  it("reads through blank runs of every length, as a body padded to its limit has them", () => {
    for (const blanks of [1, 2, 15, 16, 17, 100, 600_000]) {
      const pad = " \n\t\r".repeat(Math.ceil(blanks / 4)).slice(0, blanks);
      expect(nestsDeeperThan(`${pad}[${pad}[${pad}[1${pad},${pad}2]]]${pad}`, 3)).toBe(false);
      expect(nestsDeeperThan(`[${pad}[${pad}[${pad}[${pad}]]]]${pad}`, 3)).toBe(true);
      // A blank run inside a string is the string's: its brackets still do not count.
      expect(nestsDeeperThan(`["${pad}[[[[${pad}"${pad}]`, 1)).toBe(false);
    }
    // Control characters outside strings (which JSON.parse refuses) are passed over like blanks.
    expect(nestsDeeperThan(`\u0000\u0001${"\u001f".repeat(40)}[[[]]]`, 2)).toBe(true);
  });
});

describe("refuseDeepJson", () => {
  it("throws MALFORMED_JSON naming the limit", () => {
    expect(() => refuseDeepJson(arrays(MAX_JSON_DEPTH))).not.toThrow();
    const error = (() => {
      try {
        refuseDeepJson(arrays(MAX_JSON_DEPTH + 1));
      } catch (e) {
        return e;
      }
    })();
    expect(error).toBeInstanceOf(DomainError);
    expect(error).toMatchObject({ code: "MALFORMED_JSON", status: 400 });
    expect((error as Error).message).toContain(`${MAX_JSON_DEPTH} levels`);
  });

  it("throws PAYLOAD_TOO_LARGE past maxValues, however the values are spread out", () => {
    const ids = (n: number, pad: string) =>
      `{"ids":[${Array.from({ length: n }, (_, i) => i).join(`,${pad}`)}]}`;
    expect(() => refuseDeepJson(ids(998, " ".repeat(500)), MAX_JSON_DEPTH, 1_000)).not.toThrow();
    for (const pad of ["", " ".repeat(20), "\n".repeat(500)]) {
      expect(() => refuseDeepJson(ids(1_000, pad), MAX_JSON_DEPTH, 1_000)).toThrow(
        expect.objectContaining({ code: "PAYLOAD_TOO_LARGE" }),
      );
    }
  });
});
