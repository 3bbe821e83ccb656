import { APIConnectionError, APIError, APITimeoutError, APIUserAbortError } from "../core/errors";
import { attemptSignal, sleep } from "./abort";
import { backoffMs, isRetryableStatus, retryDelayMs } from "./retry";

export type Fetch = (url: string, init: RequestInit) => Promise<Response>;

export interface PreparedRequest {
  method: string;
  url: string;
  headers: Headers;
  body: string | undefined;
  requestId: string | undefined;
}

export interface SendPolicy {
  timeout: number;
  maxRetries: number;
  /** Whether the request may be sent again after a failure. */
  retryable: boolean;
  signal: AbortSignal | null | undefined;
}

/** Sends the request, retrying what is safe, and returns the first successful response. */
export async function send(fetch: Fetch, request: PreparedRequest, policy: SendPolicy): Promise<Response> {
  const maxRetries = policy.retryable ? policy.maxRetries : 0;
  for (let retry = 0; ; retry++) {
    // The first attempt sends the prepared headers as they are; retries add their count to a copy.
    const headers = retry === 0 ? request.headers : new Headers(request.headers);
    if (retry > 0) headers.set("x-rapfs-retry-count", String(retry));
    const retriesLeft = retry < maxRetries;

    let response: Response;
    try {
      response = await attempt(fetch, request, headers, policy);
    } catch (error) {
      if (error instanceof APIUserAbortError || !retriesLeft) throw error;
      await sleep(backoffMs(retry), policy.signal, request.requestId);
      continue;
    }
    if (response.ok) return response;

    const delay =
      retriesLeft && isRetryableStatus(response.status, response.headers)
        ? retryDelayMs(retry, response.headers)
        : undefined;
    if (delay === undefined) throw await toAPIError(response, request.requestId);
    // Free the connection (an unread body keeps the socket busy in undici). Not awaited: cancelling
    // one branch of a tee()d or cloned body only settles once the other branch is done too.
    response.body?.cancel().catch(() => {});
    await sleep(delay, policy.signal, request.requestId);
  }
}

async function attempt(
  fetch: Fetch,
  request: PreparedRequest,
  headers: Headers,
  policy: SendPolicy,
): Promise<Response> {
  const requestId = request.requestId;
  if (policy.signal?.aborted) throw new APIUserAbortError({ cause: policy.signal.reason, requestId });
  const timer = attemptSignal(policy.signal, policy.timeout);
  try {
    return await fetch(request.url, {
      method: request.method.toUpperCase(),
      headers,
      body: request.body,
      signal: timer.signal,
    });
  } catch (error) {
    if (policy.signal?.aborted) throw new APIUserAbortError({ cause: error, requestId });
    if (timer.timedOut()) {
      throw new APITimeoutError({
        message: `Request timed out after ${policy.timeout} ms.`,
        cause: error,
        requestId,
      });
    }
    throw new APIConnectionError({ cause: error, requestId });
  } finally {
    timer.clear();
  }
}

async function toAPIError(response: Response, requestId: string | undefined): Promise<APIError> {
  const text = await response.text().catch(() => "");
  let body: unknown = text;
  try {
    body = JSON.parse(text);
  } catch {
    // Not JSON (a proxy's HTML page, a plain-text 502): keep the text for the message.
  }
  return APIError.generate(response.status, body, response.headers, {
    requestId,
    statusText: response.statusText,
  });
}
