/**
 * Every failure the domain reports, by code, with the HTTP status and title the API gives it.
 * The problem `type`, the documented error responses and the SDK's error classes all come from
 * this table, so what the OpenAPI document promises is what the server sends.
 */
export const errorCodes = {
  BAD_REQUEST: { status: 400, title: "The request is not valid" },
  VALIDATION_FAILED: { status: 400, title: "The request failed validation" },
  MALFORMED_JSON: { status: 400, title: "The request body is not valid JSON" },
  UNKNOWN_FEATURE: { status: 400, title: "A requested feature, view, version or service does not exist" },
  UNAUTHORIZED: { status: 401, title: "Authentication is required" },
  FORBIDDEN: { status: 403, title: "The API key may not do this" },
  EXCEEDS_QUOTA: { status: 403, title: "The request needs more than a whole day of the key's quota" },
  NOT_FOUND: { status: 404, title: "Not found" },
  CONFLICT: { status: 409, title: "The request conflicts with the current state" },
  GONE: { status: 410, title: "This resource is retired" },
  PAYLOAD_TOO_LARGE: { status: 413, title: "The request body is too large" },
  UNSUPPORTED_MEDIA_TYPE: { status: 415, title: "The request body has an unsupported media type" },
  RATE_LIMITED: { status: 429, title: "Too many requests" },
  INTERNAL_ERROR: { status: 500, title: "Internal server error" },
  NOT_READY: { status: 503, title: "The service is not ready" },
  UNAVAILABLE: { status: 503, title: "A dependency of the service is unavailable" },
} as const satisfies Record<string, { status: number; title: string }>;

export type ErrorCode = keyof typeof errorCodes;
export type ErrorStatus = (typeof errorCodes)[ErrorCode]["status"];

export const errorCodeList = Object.keys(errorCodes) as [ErrorCode, ...ErrorCode[]];

/** The code for a bare HTTP status (from a framework exception), or INTERNAL_ERROR. */
export function codeForStatus(status: number): ErrorCode {
  const exact: Partial<Record<number, ErrorCode>> = {
    400: "BAD_REQUEST",
    401: "UNAUTHORIZED",
    403: "FORBIDDEN",
    404: "NOT_FOUND",
    409: "CONFLICT",
    410: "GONE",
    413: "PAYLOAD_TOO_LARGE",
    415: "UNSUPPORTED_MEDIA_TYPE",
    429: "RATE_LIMITED",
    503: "UNAVAILABLE",
  };
  return exact[status] ?? (status >= 400 && status < 500 ? "BAD_REQUEST" : "INTERNAL_ERROR");
}
