import { APIConnectionError, APIError, APITimeoutError, APIUserAbortError } from "../core/errors";
import { attemptSignal, sleep } from "./abort";
import { isOn, type Logger } from "./log";
import { takesPlainSignals, withHints } from "./node-fetch";
import { parseRetryAfter } from "./rate-limit";
import { backoffMs, isRetryableStatus, MAX_RETRY_AFTER_S, retryDelayMs } from "./retry";
import { RAISE_TIMEOUT, watchedBody } from "./watched-body";

export type Fetch = (url: string, init: RequestInit) => Promise<Response>;

export interface PreparedRequest {
  method: string;
  url: string;
  /** Lower-case names (headers.ts `headerRecord`). */
  headers: Record<string, string>;
  body: string | undefined;
  requestId: string | undefined;
}

export interface SendPolicy {
  /** Milliseconds to wait for the headers; with `stream`, then between two chunks of the body. */
  timeout: number;
  /** A download: the body is watched too, so its timeout is the wait between bytes. */
  stream?: boolean;
  maxRetries: number;
  /** Whether the request may be sent again after a failure. */
  retryable: boolean;
  signal: AbortSignal | null | undefined;
  /** Already filtered by the client's log level. */
  log: Logger;
}

/** A wait at least this long is logged as a warning: a call stalled for it, not just retried. */
export const NOTICEABLE_WAIT_MS = 5_000;

/** Sends the request, retrying what is safe, and returns the first successful response. */
export async function send(fetch: Fetch, request: PreparedRequest, policy: SendPolicy): Promise<Response> {
  const { log } = policy;
  const debug = isOn(log.debug);
  const maxRetries = policy.retryable ? policy.maxRetries : 0;
  const method = request.method.toUpperCase();
  // Log lines are built only when written: a call that succeeds at once at the default level
  // builds none.
  const target = () => `${method} ${request.url}`;
  const details = (retry: number, more: Record<string, unknown> = {}) => ({
    requestId: request.requestId,
    method,
    url: request.url,
    retry,
    maxRetries,
    ...more,
  });
  const next = (retry: number) => `retry ${retry + 1} of ${maxRetries}`;
  for (let retry = 0; ; retry++) {
    // The first attempt sends the prepared headers as they are; retries add their count to a copy.
    const headers =
      retry === 0 ? request.headers : { ...request.headers, "x-rapfs-retry-count": String(retry) };
    const retriesLeft = retry < maxRetries;

    if (debug) log.debug(`rapfs: ${target()}${retry > 0 ? ` (retry ${retry})` : ""}`, details(retry));
    const started = debug ? Date.now() : 0;
    let response: Response;
    try {
      response = await attempt(fetch, method, request, headers, policy);
    } catch (error) {
      const reason = error instanceof Error ? error.message : String(error);
      if (error instanceof APIUserAbortError || !retriesLeft) {
        if (debug) log.debug(`rapfs: ${target()} failed: ${reason}`, details(retry, { error }));
        throw error;
      }
      const delay = backoffMs(retry);
      waitLog(log, delay)(
        `rapfs: ${target()} failed (${reason}); ${next(retry)} in ${duration(delay)}`,
        details(retry, { error, delayMs: delay }),
      );
      await sleep(delay, policy.signal, request.requestId);
      continue;
    }
    const status = response.status;
    if (debug)
      log.debug(
        `rapfs: ${target()} answered ${status} in ${Date.now() - started} ms`,
        details(retry, { status }),
      );
    if (response.ok) return response;

    const retryable = retriesLeft && isRetryableStatus(status, response.headers);
    const delay = retryable ? retryDelayMs(retry, response.headers) : undefined;
    if (delay === undefined) {
      if (retryable) {
        log.info(
          `rapfs: ${target()} answered ${status} with Retry-After ${parseRetryAfter(response.headers)} s, ` +
            `more than the ${MAX_RETRY_AFTER_S} s a client waits: not retrying`,
          details(retry, { status }),
        );
      }
      throw await toAPIError(response, request.requestId);
    }
    // Free the connection (an unread body keeps the socket busy in undici). Not awaited: cancelling
    // one branch of a tee()d or cloned body only settles once the other branch is done too.
    response.body?.cancel().catch(() => {});
    const asked = parseRetryAfter(response.headers) !== undefined ? " as its Retry-After asks" : "";
    waitLog(log, delay)(
      `rapfs: ${target()} answered ${status}; waiting ${duration(delay)}${asked} before ${next(retry)}`,
      details(retry, { status, delayMs: delay }),
    );
    await sleep(delay, policy.signal, request.requestId);
  }
}

const waitLog = (log: Logger, delayMs: number) => (delayMs >= NOTICEABLE_WAIT_MS ? log.warn : log.info);

const duration = (ms: number) =>
  ms >= 1_000 ? `${Number((ms / 1_000).toFixed(1))} s` : `${Math.round(ms)} ms`;

async function attempt(
  fetch: Fetch,
  method: string,
  request: PreparedRequest,
  headers: Record<string, string>,
  policy: SendPolicy,
): Promise<Response> {
  const requestId = request.requestId;
  if (policy.signal?.aborted) throw new APIUserAbortError({ cause: policy.signal.reason, requestId });
  const timer = attemptSignal(policy.signal, policy.timeout, takesPlainSignals(fetch));
  let response: Response;
  try {
    const init = { method, headers, body: request.body, signal: timer.signal };
    // Node's transport reads its body whole before answering, except a download's; the attempt's
    // timeout is for the headers, as with fetch.
    const stream = policy.stream === true;
    response = await fetch(
      request.url,
      withHints(init, { stream, ...(stream ? {} : { onHeaders: timer.clear }) }),
    );
  } catch (error) {
    timer.clear();
    if (policy.signal?.aborted) throw new APIUserAbortError({ cause: error, requestId });
    if (timer.timedOut()) {
      throw new APITimeoutError({
        message: `Request timed out after ${policy.timeout} ms with no response; ${RAISE_TIMEOUT}.`,
        cause: error,
        requestId,
      });
    }
    throw new APIConnectionError({ cause: error, requestId });
  }
  if (!policy.stream || !response.ok) {
    timer.clear();
    return response;
  }
  return watchedBody(response, timer, { timeout: policy.timeout, requestId, userSignal: policy.signal });
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
