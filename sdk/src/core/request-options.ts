import type { HeadersLike } from "../internal/headers";
import type { ArrayFormat, Query } from "../internal/query";

export type HTTPMethod = "get" | "post" | "put" | "patch" | "delete";

/** Options every resource method accepts as its last argument. */
export interface RequestOptions {
  /** Aborting it rejects the call with APIUserAbortError; aborted calls are never retried. */
  signal?: AbortSignal | null | undefined;
  /**
   * Milliseconds to wait for response headers, per attempt; for a download, then also the most
   * between two chunks of its body (not for the whole file). Overrides the client's `timeout`.
   */
  timeout?: number | undefined;
  /** Retries after the first attempt. Overrides the client's `maxRetries`. */
  maxRetries?: number | undefined;
  /** Extra headers; `null` removes a default header. */
  headers?: HeadersLike | undefined;
  /** Sent as `x-request-id` on every attempt; generated when absent. */
  requestId?: string | undefined;
}

/** Everything `RapFS.request()` needs: the route plus the per-call options. */
export interface FinalRequestOptions extends RequestOptions {
  method: HTTPMethod;
  /** Path relative to `baseURL`, e.g. `/v1/features/track/42`, or an absolute URL. */
  path: string;
  query?: Query | undefined;
  arrayFormat?: ArrayFormat | undefined;
  /** Serialized as JSON. */
  body?: unknown;
  /**
   * Whether retrying is safe. Defaults to true for GET, HEAD, OPTIONS, PUT and DELETE and false
   * for POST and PATCH; read-only POST lookups set it to true.
   */
  idempotent?: boolean | undefined;
  /** A file to stream: `timeout` is the wait for the headers, then between two chunks of the body. */
  stream?: boolean | undefined;
}
