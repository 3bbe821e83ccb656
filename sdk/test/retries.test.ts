import {
  APIConnectionError,
  AuthenticationError,
  BadRequestError,
  InternalServerError,
  NotFoundError,
  RapFS,
  RateLimitError,
} from "@rapfs/sdk";
import { afterEach, describe, expect, it, vi } from "vitest";
import { connectionRefused, json, mockFetch, problem, unexpected } from "./support/mock-fetch";

const client = (fetch: ReturnType<typeof mockFetch>, maxRetries = 2) =>
  new RapFS({ apiKey: "rapfs_test", baseURL: "http://rapfs.test", fetch, maxRetries });

// A short server-requested wait keeps these tests fast without fake timers.
const fast = { "retry-after-ms": "1" };

afterEach(() => {
  vi.useRealTimers();
});

describe("retries", () => {
  it("retries a 429 after Retry-After and then succeeds", async () => {
    const fetch = mockFetch(
      problem(429, { title: "Too Many Requests" }, { "retry-after": "0.001" }),
      json({ ok: 1 }),
    );
    await expect(client(fetch).get("/v1/features/track/1")).resolves.toEqual({ ok: 1 });
    expect(fetch.calls).toHaveLength(2);
  });

  it("waits for the Retry-After the server asked for", async () => {
    vi.useFakeTimers();
    const fetch = mockFetch(
      problem(429, { title: "Too Many Requests" }, { "retry-after": "3" }),
      json({ ok: 1 }),
    );
    const result = client(fetch).get("/v1/features/track/1");
    await vi.advanceTimersByTimeAsync(2_999);
    expect(fetch.calls).toHaveLength(1);
    await vi.advanceTimersByTimeAsync(1);
    await expect(result).resolves.toEqual({ ok: 1 });
    expect(fetch.calls).toHaveLength(2);
  });

  it("does not sleep through a Retry-After beyond a minute: the caller gets the RateLimitError", async () => {
    const fetch = mockFetch(problem(429, { title: "Daily quota exhausted" }, { "retry-after": "3600" }));
    const error = await client(fetch)
      .get("/v1/features/track/1")
      .then(unexpected, (e: RateLimitError) => e);
    expect(error).toBeInstanceOf(RateLimitError);
    expect(error.retryAfter).toBe(3600);
    expect(fetch.calls).toHaveLength(1);
  });

  it("retries a 503 and marks each retry with x-rapfs-retry-count and the same request id", async () => {
    const fetch = mockFetch(
      problem(503, { title: "Unavailable" }, fast),
      problem(503, { title: "Unavailable" }, fast),
      json([1]),
    );
    await expect(client(fetch).get("/ready")).resolves.toEqual([1]);
    expect(fetch.calls.map((c) => c.headers.get("x-rapfs-retry-count"))).toEqual([null, "1", "2"]);
    const ids = new Set(fetch.calls.map((c) => c.headers.get("x-request-id")));
    expect(ids.size).toBe(1);
    expect([...ids][0]).toMatch(/^[0-9a-f-]{36}$/);
  });

  it("gives up after maxRetries and throws the last error", async () => {
    const fetch = mockFetch(problem(500, { title: "Internal Server Error" }, fast));
    await expect(client(fetch, 3).get("/x")).rejects.toBeInstanceOf(InternalServerError);
    expect(fetch.calls).toHaveLength(4);
  });

  it("honours a per-call maxRetries", async () => {
    const fetch = mockFetch(problem(500, { title: "Internal Server Error" }, fast));
    await expect(client(fetch, 5).get("/x", { maxRetries: 0 })).rejects.toBeInstanceOf(InternalServerError);
    expect(fetch.calls).toHaveLength(1);
  });

  it("retries a connection error with jittered exponential backoff", async () => {
    vi.useFakeTimers();
    vi.spyOn(Math, "random").mockReturnValue(0);
    const fetch = mockFetch(connectionRefused(), connectionRefused(), json({ ok: true }));
    const result = client(fetch).get("/health");
    await vi.advanceTimersByTimeAsync(499);
    expect(fetch.calls).toHaveLength(1);
    await vi.advanceTimersByTimeAsync(1);
    expect(fetch.calls).toHaveLength(2);
    await vi.advanceTimersByTimeAsync(1_000);
    await expect(result).resolves.toEqual({ ok: true });
    expect(fetch.calls).toHaveLength(3);
    vi.restoreAllMocks();
  });

  it("throws APIConnectionError with the cause once retries run out", async () => {
    const fetch = mockFetch(connectionRefused());
    const error = await client(fetch, 0)
      .get("/health", { requestId: "req-7" })
      .then(unexpected, (e: APIConnectionError) => e);
    expect(error).toBeInstanceOf(APIConnectionError);
    expect(error.status).toBeUndefined();
    expect(error.requestId).toBe("req-7");
    expect((error.cause as Error).message).toBe("fetch failed");
  });

  it.each([
    [400, BadRequestError],
    [401, AuthenticationError],
    [404, NotFoundError],
  ])("does not retry a %i", async (status, ErrorClass) => {
    const fetch = mockFetch(problem(status, { title: "no" }, fast), json({}));
    await expect(client(fetch).get("/x")).rejects.toBeInstanceOf(ErrorClass);
    expect(fetch.calls).toHaveLength(1);
  });

  it("does not retry a non-idempotent POST, on error status or connection error", async () => {
    const unavailable = mockFetch(problem(503, { title: "Unavailable" }, fast), json({}));
    await expect(client(unavailable).post("/v1/keys", { body: { name: "ci" } })).rejects.toBeInstanceOf(
      InternalServerError,
    );
    expect(unavailable.calls).toHaveLength(1);

    const refused = mockFetch(connectionRefused(), json({}));
    await expect(client(refused).post("/v1/signup", { body: { email: "a@b.c" } })).rejects.toBeInstanceOf(
      APIConnectionError,
    );
    expect(refused.calls).toHaveLength(1);
  });

  it("retries a POST the caller marks idempotent (a batch lookup)", async () => {
    const fetch = mockFetch(problem(429, { title: "Too Many Requests" }, fast), json({ rows: [] }));
    const result = await client(fetch).post("/v1/features/track/batch", {
      body: { ids: [1, 2] },
      idempotent: true,
    });
    expect(result).toEqual({ rows: [] });
    expect(fetch.calls.map((c) => c.body)).toEqual([{ ids: [1, 2] }, { ids: [1, 2] }]);
  });

  it("follows the server's x-should-retry hint both ways", async () => {
    const no = mockFetch(
      problem(503, { title: "Unavailable" }, { ...fast, "x-should-retry": "false" }),
      json({}),
    );
    await expect(client(no).get("/x")).rejects.toBeInstanceOf(InternalServerError);
    expect(no.calls).toHaveLength(1);

    const yes = mockFetch(
      problem(400, { title: "Try again" }, { ...fast, "x-should-retry": "true" }),
      json({ ok: 1 }),
    );
    await expect(client(yes).get("/x")).resolves.toEqual({ ok: 1 });
    expect(yes.calls).toHaveLength(2);
  });
});
