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
});
