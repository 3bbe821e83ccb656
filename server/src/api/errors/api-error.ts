import { type ErrorCode, errorCodes } from "./codes";
import type { FieldError } from "./problem";

export type ApiErrorOptions = {
  errors?: FieldError[];
  /** Extra problem members, e.g. `suggestions` for an unknown feature. */
  extensions?: Record<string, unknown>;
  /** Response headers, e.g. Retry-After. */
  headers?: Record<string, string>;
  cause?: unknown;
};

/**
 * The one error type handlers throw. `detail` is sent to the client, so it must explain the
 * problem without internals; put those in `cause`, which is logged and never sent.
 */
export class ApiError extends Error {
  override name = "ApiError";
  readonly code: ErrorCode;
  readonly status: number;
  readonly errors: FieldError[] | undefined;
  readonly extensions: Record<string, unknown>;
  readonly headers: Record<string, string>;

  constructor(code: ErrorCode, detail: string, options: ApiErrorOptions = {}) {
    super(detail, options.cause === undefined ? undefined : { cause: options.cause });
    this.code = code;
    this.status = errorCodes[code].status;
    this.errors = options.errors;
    this.extensions = options.extensions ?? {};
    this.headers = options.headers ?? {};
  }
}
