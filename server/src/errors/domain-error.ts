import { type ErrorCode, errorCodes } from "./codes";

/** Where a field lives in the request that carried it. */
export type FieldLocation = "json" | "query" | "param" | "header" | "cookie" | "form";

/** One problem with one input field, for problem+json `errors[]`. */
export type FieldError = {
  in: FieldLocation;
  path: (string | number)[];
  /** The same path as a JSON Pointer (RFC 6901). */
  pointer: string;
  detail: string;
  code: string;
};

export type DomainErrorExtras = {
  errors?: FieldError[] | undefined;
  /** Extra problem members, e.g. `suggestions` for an unknown feature. */
  extensions?: Record<string, unknown>;
  /** When a retry may succeed (busy, not ready): sent as Retry-After. */
  retryAfterSeconds?: number;
  /** Protocol fields only the API layer sets, e.g. WWW-Authenticate on a refused key. */
  headers?: Record<string, string>;
  cause?: unknown;
};

/**
 * The one error type every layer throws; the API maps it to problem+json in one place. `detail`
 * is sent to the client, so it must explain the problem without internals; put those in
 * `cause`, which is logged and never sent.
 */
export class DomainError extends Error {
  override name = "DomainError";
  readonly code: ErrorCode;
  readonly status: number;
  readonly errors: FieldError[] | undefined;
  readonly extensions: Record<string, unknown>;
  readonly headers: Record<string, string>;

  constructor(code: ErrorCode, detail: string, extras: DomainErrorExtras = {}) {
    super(detail, extras.cause === undefined ? undefined : { cause: extras.cause });
    this.code = code;
    this.status = errorCodes[code].status;
    this.errors = extras.errors;
    this.extensions = extras.extensions ?? {};
    this.headers =
      extras.retryAfterSeconds === undefined
        ? (extras.headers ?? {})
        : { "Retry-After": String(extras.retryAfterSeconds), ...extras.headers };
  }
}

/** A field problem with its pointer: `fieldError("query", ["ids", 3], "not an integer", "invalid")`. */
export function fieldError(
  location: FieldLocation,
  path: (string | number)[],
  detail: string,
  code: string,
): FieldError {
  const pointer = `#/${path.map((s) => String(s).replaceAll("~", "~0").replaceAll("/", "~1")).join("/")}`;
  return { in: location, path, pointer, detail, code };
}

/** A DomainError that is the caller's to fix (a 4xx), as opposed to a failure of the service. */
export function isRefusal(error: unknown): error is DomainError {
  return error instanceof DomainError && error.status < 500;
}
