import { type Logger, type LogLevel, RapFS, RapFSError } from "@rapfs/sdk";
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { connectionRefused, json, mockFetch, problem } from "./support/mock-fetch";

type Line = [level: keyof Logger, message: string, details: unknown];

/** A logger that keeps every line it is given. */
function recorder(): Logger & { lines: Line[] } {
  const lines: Line[] = [];
  const at = (level: keyof Logger) => (message: string, details?: unknown) =>
    lines.push([level, message, details]);
  return { lines, error: at("error"), warn: at("warn"), info: at("info"), debug: at("debug") };
}

const client = (fetch: ReturnType<typeof mockFetch>, logger: Logger, logLevel?: LogLevel) =>
  new RapFS({ apiKey: "rapfs_secret", baseURL: "http://rapfs.test", fetch, logger, logLevel });

const rateLimited = (retryAfter: string) =>
  problem(429, { title: "Too Many Requests", policy: "requests" }, { "retry-after": retryAfter });

beforeEach(() => {
  vi.stubEnv("RAPFS_LOG", "");
});
afterEach(() => {
  vi.useRealTimers();
  vi.unstubAllEnvs();
});

describe("logging", () => {
  it("warns by default when a call waits for a long Retry-After, before the wait", async () => {
    vi.useFakeTimers();
    const logger = recorder();
    const fetch = mockFetch(rateLimited("41"), json({ ok: 1 }));
    const result = client(fetch, logger).get("/v1/features/track/42");
    await vi.advanceTimersByTimeAsync(0);
    expect(logger.lines).toEqual([
      [
        "warn",
        "rapfs: GET http://rapfs.test/v1/features/track/42 answered 429; waiting 41 s as its Retry-After asks before retry 1 of 2",
        expect.objectContaining({ status: 429, delayMs: 41_000, retry: 0, requestId: expect.any(String) }),
      ],
    ]);
    await vi.advanceTimersByTimeAsync(41_000);
    await expect(result).resolves.toEqual({ ok: 1 });
    expect(logger.lines).toHaveLength(1);
  });

  it("keeps short waits and retries at info, below the default level", async () => {
    const logger = recorder();
    const failing = () => mockFetch(rateLimited("0.001"), connectionRefused(), json({ ok: 1 }));
    vi.spyOn(Math, "random").mockReturnValue(1);
    await client(failing(), logger).get("/x");
    expect(logger.lines).toEqual([]);

    const verbose = recorder();
    await client(failing(), verbose, "info").get("/x");
    expect(verbose.lines.map(([level, message]) => [level, message])).toEqual([
      [
        "info",
        "rapfs: GET http://rapfs.test/x answered 429; waiting 1 ms as its Retry-After asks before retry 1 of 2",
      ],
      ["info", "rapfs: GET http://rapfs.test/x failed (Connection error.); retry 2 of 2 in 750 ms"],
    ]);
    vi.restoreAllMocks();
  });

  it("says at info why a Retry-After beyond a minute is not waited for", async () => {
    const logger = recorder();
    const fetch = mockFetch(rateLimited("86391"));
    await expect(client(fetch, logger, "info").get("/v1/datasets/public/download")).rejects.toThrow("429");
    expect(logger.lines.map(([level, message]) => [level, message])).toEqual([
      [
        "info",
        "rapfs: GET http://rapfs.test/v1/datasets/public/download answered 429 with Retry-After 86391 s, more than the 60 s a client waits: not retrying",
      ],
    ]);
  });

  it("logs every attempt and answer at debug, never the API key", async () => {
    const logger = recorder();
    const fetch = mockFetch(problem(503, { title: "Unavailable" }, { "retry-after-ms": "1" }), json({}));
    await client(fetch, logger, "debug").get("/ready");
    expect(logger.lines.map(([level, message]) => `${level} ${message.replace(/\d+ ms$/, "N ms")}`)).toEqual([
      "debug rapfs: GET http://rapfs.test/ready",
      "debug rapfs: GET http://rapfs.test/ready answered 503 in N ms",
      "info rapfs: GET http://rapfs.test/ready answered 503; waiting 1 ms as its Retry-After asks before retry 1 of 2",
      "debug rapfs: GET http://rapfs.test/ready (retry 1)",
      "debug rapfs: GET http://rapfs.test/ready answered 200 in N ms",
    ]);
    expect(JSON.stringify(logger.lines)).not.toContain("rapfs_secret");
  });

  it("logs nothing when off, even a long wait", async () => {
    vi.useFakeTimers();
    const logger = recorder();
    const result = client(mockFetch(rateLimited("30"), json({})), logger, "off").get("/x");
    await vi.advanceTimersByTimeAsync(30_000);
    await result;
    expect(logger.lines).toEqual([]);
  });

  it("takes the level from RAPFS_LOG, warns about a bad one and refuses a bad option", () => {
    const logger = recorder();
    vi.stubEnv("RAPFS_LOG", "DEBUG");
    expect(client(mockFetch(json({})), logger).logLevel).toBe("debug");
    expect(client(mockFetch(json({})), logger, "error").logLevel).toBe("error");
    vi.stubEnv("RAPFS_LOG", "verbose");
    expect(client(mockFetch(json({})), logger).logLevel).toBe("warn");
    expect(logger.lines).toEqual([
      [
        "warn",
        'rapfs: RAPFS_LOG is "verbose"; expected one of off, error, warn, info, debug. Using "warn".',
        undefined,
      ],
    ]);
    expect(() => client(mockFetch(json({})), logger, "loud" as LogLevel)).toThrow(RapFSError);
  });

  it("logs to console by default, and withOptions keeps the logger", async () => {
    const warn = vi.spyOn(console, "warn").mockImplementation(() => {});
    vi.useFakeTimers();
    const fs = new RapFS({
      baseURL: "http://rapfs.test",
      apiKey: "rapfs_test",
      fetch: mockFetch(rateLimited("5"), json({})),
    });
    expect(fs.logger).toBe(console);
    const result = fs.get("/x");
    await vi.advanceTimersByTimeAsync(5_000);
    await result;
    expect(warn).toHaveBeenCalledWith(expect.stringContaining("waiting 5 s"), expect.any(Object));

    const logger = recorder();
    const quiet = new RapFS({
      baseURL: "http://rapfs.test",
      apiKey: "rapfs_test",
      logger,
      logLevel: "info",
    }).withOptions({
      maxRetries: 0,
    });
    expect([quiet.logger, quiet.logLevel]).toEqual([logger, "info"]);
    warn.mockRestore();
  });
});
