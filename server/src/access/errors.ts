import { DomainError, fieldError } from "../errors";

/** The access layer's refusals of its input, with the code each reaches the client as. */
const REFUSALS = {
  invalid_input: "VALIDATION_FAILED",
  conflict: "CONFLICT",
  not_found: "NOT_FOUND",
  forbidden: "FORBIDDEN",
} as const;

export type AccessRefusal = keyof typeof REFUSALS;

/** A refusal of the account and key services; `field` is the input at fault, for `errors[]`. */
export function accessError(refusal: AccessRefusal, message: string, field?: string): DomainError {
  const errors = field ? [fieldError("json", [field], message, refusal)] : undefined;
  return new DomainError(REFUSALS[refusal], message, { errors });
}

/**
 * Why a presented key was refused. Distinct for logs and metrics only: every one of them must
 * reach the client as the same 401 with AUTH_FAILURE_MESSAGE, so nobody learns whether a key exists.
 */
export type AuthFailureReason = "missing" | "malformed" | "unknown" | "revoked" | "expired" | "disabled";

export const AUTH_FAILURE_MESSAGE = "The API key is missing or not valid.";
