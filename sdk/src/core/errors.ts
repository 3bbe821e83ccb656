import type { components } from "../generated/openapi";
import { parseRateLimit, parseRetryAfter, type RateLimitInfo } from "../internal/rate-limit";

type Schemas = components["schemas"];

/** One field-level problem in a problem's `errors[]`, e.g. a bad id in a batch. */
export type ProblemFieldError = Schemas["FieldError"];

/**
 * The RFC 9457 `application/problem+json` body the rapfs server sends with every error (its
 * OpenAPI `Problem`). Every field is optional here: a JSON error body from something between the
 * client and the server (a proxy, a gateway) is passed on as it came.
 */
export type ProblemDetails = Partial<Schemas["Problem"]>;

export interface APIErrorInit {
  status?: number | undefined;
  headers?: Headers | undefined;
  problem?: ProblemDetails | undefined;
  message?: string | undefined;
  requestId?: string | undefined;
  cause?: unknown;
}

/** Base class of every error this SDK throws. */
export class RapFSError extends Error {
  override name = "RapFSError";
}

/** A request failed: the server answered with an error status, or no usable answer came back. */
export class APIError extends RapFSError {
  override name = "APIError";
  /** HTTP status, or undefined when no response arrived (connection, timeout, abort). */
  readonly status: number | undefined;
  readonly headers: Headers | undefined;
  /** The problem+json body, when the server sent one. */
  readonly problem: ProblemDetails | undefined;
  /** The server's `x-request-id` (or the one this client sent), to quote when reporting a problem. */
  readonly requestId: string | undefined;

  constructor(init: APIErrorInit = {}) {
    super(init.message ?? describe(init.status, init.problem), { cause: init.cause });
    this.status = init.status;
    this.headers = init.headers;
    this.problem = init.problem;
    this.requestId = init.headers?.get("x-request-id") ?? init.problem?.request_id ?? init.requestId;
  }

  /** Builds the subclass that matches an error response's status. */
  static generate(
    status: number,
    body: unknown,
    headers: Headers,
    init: { requestId?: string | undefined; statusText?: string | undefined } = {},
  ): APIError {
    const problem = asProblem(body);
    const message =
      problem || typeof body !== "string" || !body.trim()
        ? describe(status, problem, init.statusText)
        : `${status} ${body.trim().slice(0, 500)}`;
    const args: APIErrorInit = { status, headers, problem, message, requestId: init.requestId };
    const ErrorClass = STATUS_ERRORS[status] ?? (status >= 500 ? InternalServerError : APIError);
    return new ErrorClass(args);
  }
}

// One class per status the server sends (the statuses of its error code table); any other status
// is a plain APIError, or an InternalServerError from 500 up (a proxy's 502 or 504).
export class BadRequestError extends APIError {
  override name = "BadRequestError";
  declare readonly status: 400;
}
export class AuthenticationError extends APIError {
  override name = "AuthenticationError";
  declare readonly status: 401;
}
export class PermissionDeniedError extends APIError {
  override name = "PermissionDeniedError";
  declare readonly status: 403;
}
export class NotFoundError extends APIError {
  override name = "NotFoundError";
  declare readonly status: 404;
}
export class ConflictError extends APIError {
  override name = "ConflictError";
  declare readonly status: 409;
}
/** The resource is retired, e.g. a feature view version past its sunset. */
export class GoneError extends APIError {
  override name = "GoneError";
  declare readonly status: 410;
}
export class PayloadTooLargeError extends APIError {
  override name = "PayloadTooLargeError";
  declare readonly status: 413;
}
export class UnsupportedMediaTypeError extends APIError {
  override name = "UnsupportedMediaTypeError";
  declare readonly status: 415;
}
export class InternalServerError extends APIError {
  override name = "InternalServerError";
  declare readonly status: number;
}
/** Not ready yet, or a dependency is down; an InternalServerError like every 5xx. */
export class ServiceUnavailableError extends InternalServerError {
  override name = "ServiceUnavailableError";
  declare readonly status: 503;
}

export class RateLimitError extends APIError {
  override name = "RateLimitError";
  declare readonly status: 429;
  /** Seconds to wait before trying again (from `Retry-After`, else the `RateLimit` reset). */
  readonly retryAfter: number | undefined;
  /**
   * The state of the policy that refused the request: the one the problem's `policy` names (e.g.
   * `rows`), read from the `RateLimit` headers, else from the problem's own fields.
   */
  readonly rateLimit: RateLimitInfo | undefined;

  constructor(init: APIErrorInit = {}) {
    super(init);
    this.rateLimit = refusedPolicy(init.headers, init.problem);
    this.retryAfter = (init.headers && parseRetryAfter(init.headers)) ?? this.rateLimit?.reset;
  }
}

/** The headers' state of the policy a 429 problem names, completed by the problem's fields. */
function refusedPolicy(headers: Headers | undefined, problem: ProblemDetails | undefined) {
  const field = (name: string) => problem?.[name];
  const number = (name: string) => (typeof field(name) === "number" ? (field(name) as number) : undefined);
  const policy = typeof field("policy") === "string" ? (field("policy") as string) : undefined;
  const fromHeaders = headers ? parseRateLimit(headers, policy) : undefined;
  if (policy === undefined) return fromHeaders;
  // Headers a browser hides from cross-origin callers leave only the problem's fields.
  return {
    policy,
    ...definedOnly({
      limit: number("limit"),
      remaining: number("remaining"),
      reset: number("reset_seconds"),
    }),
    ...fromHeaders,
  } satisfies RateLimitInfo;
}

const definedOnly = <T extends object>(value: T): Partial<T> =>
  Object.fromEntries(Object.entries(value).filter(([, v]) => v !== undefined)) as Partial<T>;

/** No response: DNS, refused or reset connection, TLS, CORS, or a fetch that threw. */
export class APIConnectionError extends APIError {
  override name = "APIConnectionError";
  declare readonly status: undefined;
  constructor(init: Omit<APIErrorInit, "status" | "headers" | "problem"> = {}) {
    super({ ...init, message: init.message ?? "Connection error." });
  }
}

export class APITimeoutError extends APIConnectionError {
  override name = "APITimeoutError";
  constructor(init: Omit<APIErrorInit, "status" | "headers" | "problem"> = {}) {
    super({ ...init, message: init.message ?? "Request timed out." });
  }
}

/** The caller's AbortSignal fired; never retried. */
export class APIUserAbortError extends APIError {
  override name = "APIUserAbortError";
  declare readonly status: undefined;
  constructor(init: Omit<APIErrorInit, "status" | "headers" | "problem"> = {}) {
    super({ ...init, message: init.message ?? "Request was aborted." });
  }
}

const STATUS_ERRORS: Record<number, new (init: APIErrorInit) => APIError> = {
  400: BadRequestError,
  401: AuthenticationError,
  403: PermissionDeniedError,
  404: NotFoundError,
  409: ConflictError,
  410: GoneError,
  413: PayloadTooLargeError,
  415: UnsupportedMediaTypeError,
  429: RateLimitError,
  500: InternalServerError,
  503: ServiceUnavailableError,
};

function asProblem(body: unknown): ProblemDetails | undefined {
  return body !== null && typeof body === "object" && !Array.isArray(body)
    ? (body as ProblemDetails)
    : undefined;
}

function describe(status: number | undefined, problem?: ProblemDetails, statusText?: string): string {
  const head = status === undefined ? "" : `${status} `;
  const title = problem?.title ?? (statusText || undefined);
  const detail = problem?.detail;
  let message = `${head}${[title, detail].filter(Boolean).join(": ") || "status code (no body)"}`;
  const fields = (problem?.errors ?? []).slice(0, 3).map((e) => {
    const path = Array.isArray(e.path) ? e.path.join(".") : undefined;
    const what = typeof e.detail === "string" ? e.detail : "invalid";
    return path ? `${path}: ${what}` : what;
  });
  if (fields.length) {
    const more = (problem?.errors?.length ?? 0) - fields.length;
    message += ` (${fields.join("; ")}${more > 0 ? `; and ${more} more` : ""})`;
  }
  return message;
}
