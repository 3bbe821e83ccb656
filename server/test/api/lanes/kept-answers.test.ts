import { describe, expect, it } from "vitest";
import { KeptAnswers } from "../../../src/api/lanes/kept-answers";

const url = (id: number, query = "features=a,b") => `/v1/features/track/${id}?${query}`;

describe("KeptAnswers", () => {
  it("finds an answer by its whole URL only", () => {
    const kept = new KeptAnswers<string>();
    kept.keep(url(1), "one");
    kept.keep(url(1, "features=a"), "one, a");
    kept.keep("/v1/features/track/2", "two, no query");
    expect(kept.get(url(1))).toBe("one");
    expect(kept.get(url(1, "features=a"))).toBe("one, a");
    expect(kept.get("/v1/features/track/2")).toBe("two, no query");
    expect(kept.get(url(1, "features=b,a"))).toBeUndefined();
    expect(kept.get("/v1/features/track/1")).toBeUndefined();
    expect(kept.get(url(2))).toBeUndefined();
  });

  it("replaces an answer kept again and drops one by URL", () => {
    const kept = new KeptAnswers<string>();
    kept.keep(url(1), "old");
    kept.keep(url(1), "new");
    expect(kept.get(url(1))).toBe("new");
    expect(kept.size).toBe(1);
    kept.drop(url(1));
    kept.drop(url(1));
    expect(kept.get(url(1))).toBeUndefined();
    expect(kept.size).toBe(0);
  });

  it("keeps at most its limit, the least recently kept going first", () => {
    const kept = new KeptAnswers<number>(3);
    for (const id of [1, 2, 3]) kept.keep(url(id), id);
    kept.keep(url(1), 1);
    kept.keep(url(4), 4);
    expect(kept.size).toBe(3);
    expect(kept.get(url(2))).toBeUndefined();
    expect([1, 3, 4].map((id) => kept.get(url(id)))).toEqual([1, 3, 4]);
  });

  it("bounds the answers of one path, so ever new queries to it cost a short scan", () => {
    const kept = new KeptAnswers<number>();
    for (let i = 0; i < 1_000; i++) kept.keep(url(1, `features=f${i}`), i);
    expect(kept.size).toBe(8);
    expect(kept.get(url(1, "features=f999"))).toBe(999);
    expect(kept.get(url(1, "features=f991"))).toBeUndefined();
  });
});
