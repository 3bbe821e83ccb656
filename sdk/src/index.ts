export {
  type ClientOptions,
  DEFAULT_BASE_URL,
  DEFAULT_MAX_RETRIES,
  DEFAULT_TIMEOUT_MS,
  RapFS,
} from "./client";
export { APIPromise, type WithResponse } from "./core/api-promise";
export {
  APIConnectionError,
  APIError,
  APITimeoutError,
  APIUserAbortError,
  AuthenticationError,
  BadRequestError,
  ConflictError,
  InternalServerError,
  NotFoundError,
  PermissionDeniedError,
  type ProblemDetails,
  type ProblemFieldError,
  RapFSError,
  RateLimitError,
  UnprocessableEntityError,
} from "./core/errors";
export { Page, type PageData, type PageFetcher, PagePromise } from "./core/pagination";
export type { FinalRequestOptions, HTTPMethod, RequestOptions } from "./core/request-options";
export type { HeadersLike } from "./internal/headers";
export type { Query, QueryValue } from "./internal/query";
export type { RateLimitInfo } from "./internal/rate-limit";
export type { Fetch } from "./internal/transport";
export { VERSION } from "./version";
