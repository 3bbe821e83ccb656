import type { Fetch } from "@rapfs/sdk";

export interface RecordedCall {
  url: string;
  method: string;
  headers: Headers;
  body: unknown;
  signal: AbortSignal | undefined;
}

type Reply = Response | Error | ((call: RecordedCall) => Response | Promise<Response>);

/**
 * A fetch that answers from a script, one reply per call (the last one repeats), and records
 * every call it got.
 */
export function mockFetch(...replies: Reply[]): Fetch & { calls: RecordedCall[] } {
  const calls: RecordedCall[] = [];
  const fetch = async (url: string, init: RequestInit) => {
    const call: RecordedCall = {
      url,
      method: init.method ?? "GET",
      headers: new Headers(init.headers),
      body: typeof init.body === "string" ? JSON.parse(init.body) : init.body,
      signal: init.signal ?? undefined,
    };
    calls.push(call);
    const reply = replies[Math.min(calls.length - 1, replies.length - 1)];
    if (reply instanceof Error) throw reply;
    if (typeof reply === "function") return reply(call);
    return (reply as Response).clone();
  };
  return Object.assign(fetch, { calls });
}

export function json(body: unknown, init: ResponseInit = {}): Response {
  return new Response(JSON.stringify(body), {
    ...init,
    headers: { "content-type": "application/json", ...(init.headers as Record<string, string>) },
  });
}

export function problem(status: number, body: Record<string, unknown>, headers: Record<string, string> = {}) {
  return new Response(JSON.stringify({ status, ...body }), {
    status,
    headers: { "content-type": "application/problem+json", ...headers },
  });
}

/** A fetch that never answers, and rejects the way real fetch does when its signal aborts. */
export function hangingReply(call: RecordedCall): Promise<Response> {
  return new Promise((_, reject) => {
    const signal = call.signal;
    const fail = () => reject(signal?.reason ?? new DOMException("This operation was aborted", "AbortError"));
    if (signal?.aborted) fail();
    signal?.addEventListener("abort", fail, { once: true });
  });
}

export const connectionRefused = () => new TypeError("fetch failed", { cause: new Error("ECONNREFUSED") });

/** For `.then(unexpected, (e: SomeError) => e)`: the call was supposed to fail. */
export function unexpected(): never {
  throw new Error("expected the request to fail");
}
