import type { components } from "../generated/openapi";
import { parseRateLimit, parseRetryAfter, type RateLimitInfo } from "../internal/rate-limit";
import type { EmbeddingBatch } from "../resources/embeddings";
import type { FeatureColumnTable, FeatureRows } from "../resources/features";

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
  // A field error that only repeats the detail (one unknown reference) adds nothing.
  const errors = (problem?.errors ?? []).filter((e) => e.detail !== detail);
  const fields = errors.slice(0, 3).map((e) => {
    const path = Array.isArray(e.path) ? e.path.join(".") : undefined;
    const what = typeof e.detail === "string" ? e.detail : "invalid";
    return path ? `${path}: ${what}` : what;
  });
  if (fields.length) {
    const more = errors.length - fields.length;
    message += ` (${fields.join("; ")}${more > 0 ? `; and ${more} more` : ""})`;
  }
  const hint = suggestionsOf(problem?.suggestions);
  return hint ? `${message} ${hint}` : message;
}

/**
 * The server's `suggestions`: a list (an unknown embedding, service or view) or, per reference
 * that failed, a list each (features).
 */
function suggestionsOf(suggestions: unknown): string | undefined {
  const names = (value: unknown) =>
    Array.isArray(value) ? value.filter((v): v is string => typeof v === "string").slice(0, 5) : [];
  const quoted = (list: string[]) => list.map((s) => `"${s}"`).join(", ");
  if (Array.isArray(suggestions)) {
    const list = names(suggestions);
    return list.length ? `Did you mean ${quoted(list)}?` : undefined;
  }
  if (suggestions === null || typeof suggestions !== "object") return undefined;
  const each = Object.entries(suggestions)
    .map(([ref, list]) => [ref, names(list)] as const)
    .filter(([, list]) => list.length > 0)
    .map(([ref, list]) => `for ${ref}, ${quoted(list)}`);
  return each.length ? `Did you mean: ${each.join("; ")}?` : undefined;
}

/**
 * A call of several requests that cannot fit the caller's quota, refused before any of them
 * spent it: more rows than the plan allows a day (`retryAfter` undefined: waiting never helps),
 * or more than are left today (`retryAfter`: seconds until the window resets).
 */
export class InsufficientQuotaError extends RapFSError {
  override name = "InsufficientQuotaError";
  constructor(
    readonly unit: string,
    readonly needed: number,
    readonly remaining: number,
    readonly limit: number,
    readonly retryAfter: number | undefined,
  ) {
    super(
      needed > limit
        ? `This call needs ${needed} ${unit}, more than the ${limit} this key's plan allows a day: split it over days or use a plan with more.`
        : `This call needs ${needed} ${unit}, and ${remaining} of today's ${limit} are left; they renew in ${retryAfter} s. Nothing was spent.`,
    );
  }
}

/** What a getMany that failed midway had answered: features (rows or columns) or vectors. */
export type PartialResult = FeatureRows | FeatureColumnTable | EmbeddingBatch;

/**
 * A call of several requests where some were answered before one failed: the answers (paid for)
 * are in `result`, in the order asked, and the ids not answered in `failedIds`; `cause` is the
 * failure (e.g. a RateLimitError with its `retryAfter`).
 */
class PartialResultErrorClass<T = PartialResult, I = string | number> extends RapFSError {
  override name = "PartialResultError";
  constructor(
    readonly result: T,
    readonly failedIds: I[],
    readonly answered: number,
    cause: unknown,
  ) {
    // The cause's own message ends its sentence ("Retry after 3 s."): one period, not two.
    const why = (cause instanceof Error ? cause.message : String(cause)).replace(/[.\s]+$/, "");
    super(
      `${answered} ids were answered and ${failedIds.length} were not, when a request failed: ${why}. ` +
        "The answers are on error.result, the ids left on error.failedIds.",
      { cause },
    );
  }
}

/**
 * `instanceof PartialResultError` narrows to its `prototype`'s type: `result` is a PartialResult
 * there, where a generic class gives `any`.
 */
export interface PartialResultErrorConstructor {
  new <T = PartialResult, I = string | number>(
    result: T,
    failedIds: I[],
    answered: number,
    cause: unknown,
  ): PartialResultError<T, I>;
  readonly prototype: PartialResultError;
}
export type PartialResultError<T = PartialResult, I = string | number> = PartialResultErrorClass<T, I>;
export const PartialResultError = PartialResultErrorClass as PartialResultErrorConstructor;
