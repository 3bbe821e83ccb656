import { describe, expect, it } from "vitest";
import { plural } from "../../src/errors";

type ConsolePlural = (n: number, singular: string, pluralForm?: string) => string;
// The console's own helper, loaded as the browser loads it (dom.js touches no DOM at import).
const DOM = "../../src/console/assets/dom.js";
const { plural: consolePlural, fmtAge } = (await import(DOM)) as {
  plural: ConsolePlural;
  fmtAge: (seconds: number | null) => string;
};

describe("counts agree with their nouns", () => {
  it.each([
    ["server", plural],
    ["console", consolePlural],
  ] as const)("%s: one is singular, everything else plural", (_, fn) => {
    expect(fn(1, "key")).toBe("1 key");
    expect(fn(0, "key")).toBe("0 keys");
    expect(fn(2, "key")).toBe("2 keys");
    expect(fn(3, "entity", "entities")).toBe("3 entities");
  });

  it("the console groups big counts and says '1 day ago'", () => {
    expect(consolePlural(12_345, "row")).toBe("12,345 rows");
    expect(fmtAge(86_400)).toBe("1 day ago");
    expect(fmtAge(3 * 86_400)).toBe("3 days ago");
  });
});
