import { type Page, PagePromise } from "@rapfs/sdk";
import { describe, expect, it } from "vitest";
import { encodeQuery } from "../src/internal/query";
import { parseRateLimit, parseRetryAfter } from "../src/internal/rate-limit";
import { backoffMs, isIdempotent, retryDelayMs } from "../src/internal/retry";

describe("encodeQuery", () => {
  it("repeats array keys by default and joins them with commas on request", () => {
    const query = { features: ["qwen_analysis@2:*", "emotion:joy"], k: 10 };
    expect(encodeQuery(query)).toBe("features=qwen_analysis@2:*&features=emotion:joy&k=10");
    expect(encodeQuery(query, "comma")).toBe("features=qwen_analysis@2:*,emotion:joy&k=10");
  });

  it("escapes what must be escaped, formats dates and drops empty values", () => {
    const at = new Date("2024-05-01T12:00:00Z");
    expect(encodeQuery({ q: "a b&c=d,e", at, none: null, missing: undefined, empty: [], no: false })).toBe(
      "q=a%20b%26c%3Dd%2Ce&at=2024-05-01T12:00:00.000Z&no=false",
    );
    expect(encodeQuery(undefined)).toBe("");
  });
});

describe("retry policy", () => {
  it("treats GET/PUT/DELETE as idempotent and POST only when marked", () => {
    expect(isIdempotent("get", undefined)).toBe(true);
    expect(isIdempotent("delete", undefined)).toBe(true);
    expect(isIdempotent("post", undefined)).toBe(false);
    expect(isIdempotent("patch", undefined)).toBe(false);
    expect(isIdempotent("post", true)).toBe(true);
    expect(isIdempotent("get", false)).toBe(false);
  });

  it("backs off 0.5 s × 2^n capped at 8 s, with up to 25% jitter below", () => {
    expect([0, 1, 2, 3, 4, 5, 10].map((n) => backoffMs(n, () => 0))).toEqual([
      500, 1000, 2000, 4000, 8000, 8000, 8000,
    ]);
    expect(backoffMs(2, () => 0.999_999)).toBeCloseTo(1500, 0);
  });

  it("prefers the server's wait in ms, then seconds, then an HTTP date; refuses waits over a minute", () => {
    const now = Date.parse("2025-01-01T00:00:00Z");
    expect(parseRetryAfter(new Headers({ "retry-after-ms": "250", "retry-after": "9" }))).toBe(0.25);
    expect(parseRetryAfter(new Headers({ "retry-after": "1.5" }))).toBe(1.5);
    expect(parseRetryAfter(new Headers({ "retry-after": "Wed, 01 Jan 2025 00:00:30 GMT" }), now)).toBe(30);
    expect(parseRetryAfter(new Headers({ "retry-after": "soon" }))).toBeUndefined();
    expect(retryDelayMs(0, new Headers({ "retry-after": "2" }))).toBe(2000);
    expect(retryDelayMs(0, new Headers({ "retry-after": "61" }))).toBeUndefined();
    expect(retryDelayMs(1, new Headers(), () => 0)).toBe(1000);
  });
});

describe("parseRateLimit", () => {
  it("reads the structured-field RateLimit and RateLimit-Policy headers", () => {
    const headers = new Headers({
      ratelimit: '"requests";r=59;t=41, "rows";r=0;t=50000',
      "ratelimit-policy": '"requests";q=60;w=60, "rows";q=10000;w=86400;qu="rows"',
    });
    expect(parseRateLimit(headers)).toEqual({
      policy: "rows",
      limit: 10_000,
      remaining: 0,
      reset: 50_000,
      window: 86_400,
      unit: "rows",
    });
  });

  it("reports the policy asked for, whatever the others have left", () => {
    const headers = new Headers({
      ratelimit: '"requests";r=59;t=41, "rows";r=0;t=50000',
      "ratelimit-policy": '"requests";q=60;w=60, "rows";q=10000;w=86400;qu="rows"',
    });
    expect(parseRateLimit(headers, "requests")).toEqual({
      policy: "requests",
      limit: 60,
      remaining: 59,
      reset: 41,
      window: 60,
    });
    expect(parseRateLimit(headers, "downloads")).toEqual({ policy: "downloads" });
  });

  it("reads the older dictionary form and the legacy separate headers", () => {
    expect(
      parseRateLimit(
        new Headers({ ratelimit: "limit=100, remaining=3, reset=7", "ratelimit-policy": "100;w=60" }),
      ),
    ).toEqual({ limit: 100, remaining: 3, reset: 7, window: 60 });
    expect(
      parseRateLimit(
        new Headers({ "x-ratelimit-limit": "60", "x-ratelimit-remaining": "0", "x-ratelimit-reset": "5" }),
      ),
    ).toEqual({ limit: 60, remaining: 0, reset: 5 });
    expect(parseRateLimit(new Headers())).toBeUndefined();
  });
});

describe("PagePromise", () => {
  const keys = ["k1", "k2", "k3", "k4", "k5"];
  const fetched: Array<string | undefined> = [];
  const fetcher = async (cursor: string | undefined) => {
    fetched.push(cursor);
    const start = cursor ? Number(cursor) : 0;
    return {
      items: keys.slice(start, start + 2),
      nextCursor: start + 2 < keys.length ? String(start + 2) : null,
    };
  };

  it("iterates every item across pages with for await, fetching lazily", async () => {
    fetched.length = 0;
    const pages = new PagePromise(fetcher);
    expect(fetched).toEqual([]);
    const seen: string[] = [];
    for await (const key of pages) seen.push(key);
    expect(seen).toEqual(keys);
    expect(fetched).toEqual([undefined, "2", "4"]);
  });

  it("awaits to the first page, which can walk on page by page", async () => {
    const first: Page<string> = await new PagePromise(fetcher);
    expect(first.items).toEqual(["k1", "k2"]);
    expect(first.hasNextPage()).toBe(true);
    const sizes: number[] = [];
    for await (const page of first.iterPages()) sizes.push(page.items.length);
    expect(sizes).toEqual([2, 2, 1]);
  });

  it("stops when the server repeats a cursor", async () => {
    const stuck = new PagePromise(async () => ({ items: [1], nextCursor: "same" }));
    const items: number[] = [];
    for await (const item of stuck) items.push(item);
    expect(items).toEqual([1, 1]);
  });
});
