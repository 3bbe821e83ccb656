import { APIConnectionError, APITimeoutError, APIUserAbortError, type LogLevel, RapFS } from "@rapfs/sdk";
import { afterEach, describe, expect, it, vi } from "vitest";
import { hangingReply, json, mockFetch, problem, type RecordedCall, unexpected } from "./support/mock-fetch";

const client = (
  fetch: ReturnType<typeof mockFetch>,
  options: { timeout?: number; maxRetries?: number; logLevel?: LogLevel } = {},
) => new RapFS({ apiKey: "rapfs_test", baseURL: "http://rapfs.test", fetch, maxRetries: 0, ...options });

afterEach(() => {
  vi.useRealTimers();
});

describe("timeouts", () => {
  it("turns an attempt that outlives the timeout into APITimeoutError", async () => {
    const fetch = mockFetch(hangingReply);
    const error = await client(fetch, { timeout: 5 })
      .get("/v1/features/track/1", { requestId: "req-slow" })
      .then(unexpected, (e: APITimeoutError) => e);
    expect(error).toBeInstanceOf(APITimeoutError);
    expect(error).toBeInstanceOf(APIConnectionError);
    expect(error.message).toBe(
      "Request timed out after 5 ms with no response; raise the `timeout` option " +
        "(new RapFS({ timeout }) or the call's own { timeout }) to wait longer.",
    );
    expect(error.requestId).toBe("req-slow");
    expect(fetch.calls[0]?.signal?.aborted).toBe(true);
  });

  it("uses the per-call timeout over the client's", async () => {
    vi.useFakeTimers();
    const fetch = mockFetch(hangingReply);
    const result = client(fetch, { timeout: 60_000 })
      .get("/x", { timeout: 1_000 })
      .catch((e: unknown) => e);
    await vi.advanceTimersByTimeAsync(1_000);
    expect(await result).toBeInstanceOf(APITimeoutError);
  });

  it("retries a timed-out idempotent request", async () => {
    vi.useFakeTimers();
    vi.spyOn(Math, "random").mockReturnValue(0);
    const fetch = mockFetch(hangingReply, json({ ok: 1 }));
    const result = client(fetch, { timeout: 1_000, maxRetries: 1 }).get("/x");
    await vi.advanceTimersByTimeAsync(1_000 + 500);
    await expect(result).resolves.toEqual({ ok: 1 });
    expect(fetch.calls).toHaveLength(2);
    vi.restoreAllMocks();
  });
});

describe("a download's timeout", () => {
  /** A body whose chunks come `gapsMs` apart (each gap after the previous chunk), then ends. */
  const trickling = (gapsMs: number[]) => (call: RecordedCall) => {
    let sent = 0;
    const body = new ReadableStream<Uint8Array>({
      async pull(stream) {
        const gap = gapsMs[sent];
        if (gap === undefined) return stream.close();
        await new Promise<void>((resolve, reject) => {
          const timer = setTimeout(resolve, gap);
          call.signal?.addEventListener("abort", () => {
            clearTimeout(timer);
            reject(call.signal?.reason ?? new DOMException("aborted", "AbortError"));
          });
        });
        stream.enqueue(new TextEncoder().encode(`${sent++}\n`));
      },
    });
    return new Response(body, { headers: { "content-type": "text/csv", "rapfs-rows": "5" } });
  };

  it("is the wait between bytes: a file longer than it downloads whole, a stall fails saying what to raise", async () => {
    vi.useFakeTimers();
    // Five chunks 600 ms apart: 3 s in all, ten times the timeout between two of them.
    const slow = client(mockFetch(trickling([600, 600, 600, 600, 600])), { timeout: 1_000 });
    const whole = slow.datasets.download("public", { format: "csv" }).text();
    await vi.advanceTimersByTimeAsync(3_500);
    expect(await whole).toBe("0\n1\n2\n3\n4\n");

    // Two chunks, then nothing: cut 1 s after the last byte, not left hanging.
    const stalled = client(mockFetch(trickling([100, 100, 60_000])), { timeout: 1_000 });
    const failed = stalled.datasets
      .download("public", { format: "csv", requestId: "req-stalled" })
      .text()
      .then(unexpected, (e: APITimeoutError) => e);
    await vi.advanceTimersByTimeAsync(1_300);
    const error = await failed;
    expect(error).toBeInstanceOf(APITimeoutError);
    expect(error.requestId).toBe("req-stalled");
    expect(error.message).toBe(
      "The download stalled: no bytes for 1000 ms after 4 received; raise the `timeout` option " +
        "(new RapFS({ timeout }) or the call's own { timeout }) to wait longer (a download's " +
        "timeout is the wait between bytes, not for the whole file).",
    );
  });
});

describe("user abort", () => {
  it("rejects with APIUserAbortError and does not retry", async () => {
    const fetch = mockFetch(hangingReply, json({ ok: 1 }));
    const controller = new AbortController();
    const result = client(fetch, { maxRetries: 3 })
      .get("/x", { signal: controller.signal })
      .catch((e: unknown) => e);
    await vi.waitFor(() => expect(fetch.calls).toHaveLength(1));
    controller.abort(new Error("user navigated away"));
    const error = (await result) as APIUserAbortError;
    expect(error).toBeInstanceOf(APIUserAbortError);
    expect(error.status).toBeUndefined();
    expect(fetch.calls).toHaveLength(1);
  });

  it("does not send anything when the signal is already aborted", async () => {
    const fetch = mockFetch(json({}));
    const signal = AbortSignal.abort();
    await expect(client(fetch).get("/x", { signal })).rejects.toBeInstanceOf(APIUserAbortError);
    expect(fetch.calls).toHaveLength(0);
  });

  it("stops waiting between retries when the signal fires", async () => {
    const fetch = mockFetch(problem(503, { title: "Unavailable" }, { "retry-after": "30" }));
    const controller = new AbortController();
    // logLevel off: the warning about the 30 s wait is logging.test.ts's subject.
    const result = client(fetch, { maxRetries: 2, logLevel: "off" })
      .get("/x", { signal: controller.signal, requestId: "req-waiting" })
      .then(unexpected, (e: APIUserAbortError) => e);
    await vi.waitFor(() => expect(fetch.calls).toHaveLength(1));
    controller.abort();
    const error = await result;
    expect(error).toBeInstanceOf(APIUserAbortError);
    expect(error.requestId).toBe("req-waiting");
    expect(fetch.calls).toHaveLength(1);
  });

  it("can still cancel a streamed body after the headers arrived", async () => {
    const fetch = mockFetch((call) => {
      const body = new ReadableStream<Uint8Array>({
        start(stream) {
          stream.enqueue(new TextEncoder().encode("track_id,joy\n"));
          call.signal?.addEventListener("abort", () => stream.error(call.signal?.reason));
        },
      });
      return new Response(body, { headers: { "content-type": "text/csv" } });
    });
    const controller = new AbortController();
    const response = await client(fetch)
      .get("/v1/datasets/public/download", { signal: controller.signal })
      .asResponse();
    const reader = response.body?.getReader();
    expect(new TextDecoder().decode((await reader?.read())?.value)).toBe("track_id,joy\n");
    controller.abort();
    await expect(reader?.read()).rejects.toBeDefined();
  });
});
