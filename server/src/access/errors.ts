/** Domain failures of the access layer; the HTTP error module maps `code` to a status. */
export type AccessErrorCode = "invalid_input" | "conflict" | "not_found" | "forbidden";

export class AccessError extends Error {
  override name = "AccessError";
  constructor(
    readonly code: AccessErrorCode,
    message: string,
    /** The input field at fault, for problem+json `errors[]`. */
    readonly field?: string,
  ) {
    super(message);
  }
}

/**
 * Why a presented key was refused. Distinct for logs and metrics only: every one of them must
 * reach the client as the same 401 with AUTH_FAILURE_MESSAGE, so nobody learns whether a key exists.
 */
export type AuthFailureReason = "missing" | "malformed" | "unknown" | "revoked" | "expired" | "disabled";

export const AUTH_FAILURE_MESSAGE = "The API key is missing or not valid.";
