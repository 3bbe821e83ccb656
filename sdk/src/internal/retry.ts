import { parseRetryAfter } from "./rate-limit";

export const INITIAL_RETRY_DELAY_S = 0.5;
export const MAX_RETRY_DELAY_S = 8;
/** A server asking for a longer wait (e.g. a daily quota) gets an error, not a sleeping client. */
export const MAX_RETRY_AFTER_S = 60;

const IDEMPOTENT_METHODS = new Set(["get", "head", "options", "put", "delete"]);

/**
 * Whether repeating the request cannot change the outcome. POST is not, unless the caller marks
 * it: rapfs's POST lookups (features and embeddings `batch`, embeddings `search`, dataset
 * `training`) only read, so their resource methods pass `idempotent: true`; `signup`, key
 * create/rotate and other writes never do.
 */
export function isIdempotent(method: string, marked: boolean | undefined): boolean {
  return marked ?? IDEMPOTENT_METHODS.has(method.toLowerCase());
}

/** Statuses worth another try: timeouts, lock conflicts, rate limits and server failures. */
export function isRetryableStatus(status: number, headers: Headers): boolean {
  // The server can overrule the status-based guess either way.
  const hint = headers.get("x-should-retry");
  if (hint === "true") return true;
  if (hint === "false") return false;
  return status === 408 || status === 409 || status === 429 || status >= 500;
}

/**
 * Milliseconds to wait before retry number `retry` (0 for the first retry): what the server asked
 * for, else jittered exponential backoff. Undefined when the server asked for more than
 * MAX_RETRY_AFTER_S, meaning "do not retry".
 */
export function retryDelayMs(
  retry: number,
  headers: Headers | undefined,
  random: () => number = Math.random,
): number | undefined {
  const asked = headers ? parseRetryAfter(headers) : undefined;
  if (asked !== undefined) return asked <= MAX_RETRY_AFTER_S ? asked * 1000 : undefined;
  return backoffMs(retry, random);
}

/** 0.5 s × 2^retry, capped at 8 s, less up to 25% so clients that failed together spread out. */
export function backoffMs(retry: number, random: () => number = Math.random): number {
  const base = Math.min(INITIAL_RETRY_DELAY_S * 2 ** retry, MAX_RETRY_DELAY_S);
  return base * (1 - 0.25 * random()) * 1000;
}
