import {
  APIError,
  AuthenticationError,
  BadRequestError,
  ConflictError,
  GoneError,
  InternalServerError,
  NotFoundError,
  type PartialResult,
  PartialResultError,
  PayloadTooLargeError,
  PermissionDeniedError,
  RapFS,
  RapFSError,
  RateLimitError,
  ServiceUnavailableError,
  UnsupportedMediaTypeError,
} from "@rapfs/sdk";
import { describe, expect, expectTypeOf, it } from "vitest";
import { mockFetch, problem, unexpected } from "./support/mock-fetch";

const client = (fetch: ReturnType<typeof mockFetch>) =>
  new RapFS({ apiKey: "rapfs_test", baseURL: "http://rapfs.test", fetch, maxRetries: 0 });

describe("error mapping", () => {
  it.each([
    [400, BadRequestError],
    [401, AuthenticationError],
    [403, PermissionDeniedError],
    [404, NotFoundError],
    [409, ConflictError],
    [410, GoneError],
    [413, PayloadTooLargeError],
    [415, UnsupportedMediaTypeError],
    [429, RateLimitError],
    [500, InternalServerError],
    [503, ServiceUnavailableError],
  ])("maps %i to %s with the problem details and request id", async (status, ErrorClass) => {
    const body = {
      type: `https://rapfs.dev/problems/${status}`,
      title: "Something went wrong",
      detail: `detail for ${status}`,
      instance: "/v1/features/track/42",
      request_id: "req-from-body",
    };
    const fetch = mockFetch(problem(status, body, { "x-request-id": "req-from-header" }));
    const error = await client(fetch)
      .get("/v1/features/track/42")
      .catch((e: unknown) => e);

    expect(error).toBeInstanceOf(ErrorClass);
    expect(error).toBeInstanceOf(APIError);
    expect(error).toBeInstanceOf(RapFSError);
    expect(error).toBeInstanceOf(Error);
    const apiError = error as APIError;
    expect(apiError.status).toBe(status);
    expect(apiError.problem).toEqual({ status, ...body });
    expect(apiError.requestId).toBe("req-from-header");
    expect(apiError.headers?.get("content-type")).toBe("application/problem+json");
    expect(apiError.name).toBe(ErrorClass.name);
    expect(apiError.message).toBe(`${status} Something went wrong: detail for ${status}`);
  });

  it("falls back to the request id in the problem body, then to the one it sent", async () => {
    const fromBody = await client(mockFetch(problem(404, { title: "Not Found", request_id: "req-body" })))
      .get("/x")
      .then(unexpected, (e: APIError) => e);
    expect(fromBody.requestId).toBe("req-body");

    const fetch = mockFetch(new Response("upstream exploded", { status: 502, statusText: "Bad Gateway" }));
    const sent = await client(fetch)
      .get("/x", { requestId: "req-mine" })
      .then(unexpected, (e: APIError) => e);
    expect(fetch.calls[0]?.headers.get("x-request-id")).toBe("req-mine");
    expect(sent.requestId).toBe("req-mine");
    expect(sent).toBeInstanceOf(InternalServerError);
    expect(sent.problem).toBeUndefined();
    expect(sent.message).toBe("502 upstream exploded");
  });

  it("lists field problems from errors[] in the message", async () => {
    const fetch = mockFetch(
      problem(400, {
        title: "Validation failed",
        errors: [
          {
            in: "json",
            path: ["ids", 3],
            pointer: "#/ids/3",
            detail: "Expected number",
            code: "invalid_type",
          },
          { in: "query", path: ["features"], detail: "Unknown feature qwen_analysis:sentimnt" },
          { in: "query", path: ["k"], detail: "Too big" },
          { in: "query", path: ["metric"], detail: "Invalid enum" },
        ],
      }),
    );
    const error = await client(fetch)
      .post("/v1/features/track/batch", { body: { ids: [1, 2, 3, "x"] } })
      .then(unexpected, (e: BadRequestError) => e);
    expect(error.problem?.errors).toHaveLength(4);
    expect(error.message).toBe(
      "400 Validation failed (ids.3: Expected number; features: Unknown feature qwen_analysis:sentimnt; k: Too big; and 1 more)",
    );
  });

  it("uses the status text when the error has no body", async () => {
    const error = await client(mockFetch(new Response(null, { status: 418, statusText: "I'm a teapot" })))
      .get("/x")
      .then(unexpected, (e: APIError) => e);
    expect(error.constructor).toBe(APIError);
    expect(error.status).toBe(418);
    expect(error.message).toBe("418 I'm a teapot");
  });
});

describe("RateLimitError", () => {
  it("reads retryAfter and the quota state from the response headers", async () => {
    const fetch = mockFetch(
      problem(
        429,
        { title: "Too Many Requests", detail: "60 requests per minute" },
        {
          "retry-after": "17",
          ratelimit: '"requests";r=0;t=17, "rows";r=9000;t=40000',
          "ratelimit-policy": '"requests";q=60;w=60, "rows";q=10000;w=86400;qu="rows"',
        },
      ),
    );
    const error = await client(fetch)
      .get("/v1/features/track/1")
      .then(unexpected, (e: RateLimitError) => e);
    expect(error).toBeInstanceOf(RateLimitError);
    expect(error.retryAfter).toBe(17);
    expect(error.rateLimit).toEqual({ policy: "requests", limit: 60, remaining: 0, reset: 17, window: 60 });
  });

  it("reports the policy the problem names, not the one with the fewest units left", async () => {
    // The server's 429 for a batch needing more rows than are left: `downloads` has fewer left,
    // but it is `rows` that refused the request.
    const fetch = mockFetch(
      problem(
        429,
        {
          title: "Too Many Requests",
          code: "RATE_LIMITED",
          detail: "This request needs more entity rows than the 120 left of today's quota of 10000.",
          policy: "rows",
          limit: 10_000,
          remaining: 120,
          reset_seconds: 50_000,
        },
        {
          "retry-after": "50000",
          ratelimit: '"requests";r=58;t=41, "rows";r=120;t=50000, "downloads";r=0;t=50000',
          "ratelimit-policy":
            '"requests";q=60;w=60, "rows";q=10000;w=86400;qu="rows", "downloads";q=3;w=86400;qu="downloads"',
        },
      ),
    );
    const error = await client(fetch)
      .post("/v1/features/track/batch", { body: { ids: [1] } })
      .then(unexpected, (e: RateLimitError) => e);
    expect(error.rateLimit).toEqual({
      policy: "rows",
      limit: 10_000,
      remaining: 120,
      reset: 50_000,
      window: 86_400,
      unit: "rows",
    });
    expect(error.retryAfter).toBe(50_000);
  });

  it("takes the refused policy's state from the problem when the headers are hidden", () => {
    // A browser shows a cross-origin caller only the headers the server exposes.
    const error = APIError.generate(
      429,
      { title: "Too Many Requests", policy: "downloads", limit: 3, remaining: 0, reset_seconds: 3600 },
      new Headers(),
    ) as RateLimitError;
    expect(error.rateLimit).toEqual({ policy: "downloads", limit: 3, remaining: 0, reset: 3600 });
    expect(error.retryAfter).toBe(3600);
  });

  it("falls back to the RateLimit reset when Retry-After is missing", () => {
    const error = APIError.generate(
      429,
      { title: "Too Many Requests" },
      new Headers({ ratelimit: "limit=60, remaining=0, reset=9" }),
    );
    expect(error).toBeInstanceOf(RateLimitError);
    expect((error as RateLimitError).retryAfter).toBe(9);
  });
});

describe("PartialResultError", () => {
  it("has a typed result after instanceof, and one period after a cause that ends its sentence", () => {
    const error: unknown = new PartialResultError(
      { entity: "track", format: "rows", features: [], rows: [] },
      [3],
      2,
      new RateLimitError({ status: 429, message: "429 Too many rows. Retry after 3 s." }),
    );
    if (!(error instanceof PartialResultError)) throw new Error("not a PartialResultError");
    // Checked by tsc -p sdk: a generic class gave `any` here.
    expectTypeOf(error.result).not.toBeAny();
    expectTypeOf(error.result).toEqualTypeOf<PartialResult>();
    expectTypeOf(error.failedIds).toEqualTypeOf<(string | number)[]>();
    expect(error.message).toBe(
      "2 ids were answered and 1 were not, when a request failed: 429 Too many rows. Retry after 3 s. " +
        "The answers are on error.result, the ids left on error.failedIds.",
    );
  });
});
