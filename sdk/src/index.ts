export {
  type ClientOptions,
  DEFAULT_BASE_URL,
  DEFAULT_MAX_RETRIES,
  DEFAULT_TIMEOUT_MS,
  RapFS,
} from "./client";
export { modelFromServer, type RegistryModel, renderRegistryTypes } from "./codegen/registry-types";
export { APIPromise, type WithResponse } from "./core/api-promise";
export {
  type ArrowTableLike,
  DatasetDownload,
  type DownloadFormat,
  type DownloadInfo,
  type DownloadProgress,
} from "./core/download";
export {
  APIConnectionError,
  APIError,
  APITimeoutError,
  APIUserAbortError,
  AuthenticationError,
  BadRequestError,
  ConflictError,
  GoneError,
  InsufficientQuotaError,
  InternalServerError,
  NotFoundError,
  type PartialResult,
  PartialResultError,
  type PartialResultErrorConstructor,
  PayloadTooLargeError,
  PermissionDeniedError,
  type ProblemDetails,
  type ProblemFieldError,
  RapFSError,
  RateLimitError,
  ServiceUnavailableError,
  UnsupportedMediaTypeError,
} from "./core/errors";
export { Page, type PageData, type PageFetcher, PagePromise } from "./core/pagination";
export type { FinalRequestOptions, HTTPMethod, RequestOptions } from "./core/request-options";
export type { components, operations, paths } from "./generated/openapi";
export type { HeadersLike } from "./internal/headers";
export type { Logger, LogLevel } from "./internal/log";
export type { Query, QueryValue } from "./internal/query";
export type { RateLimitInfo } from "./internal/rate-limit";
export type { Fetch } from "./internal/transport";
export type {
  Account,
  Accounts,
  Admin,
  Analyses,
  AnalysisInput,
  IngestOptions,
  IngestParams,
  IngestResult,
  ListAccountsParams,
  TrackInput,
  UpdateAccountParams,
} from "./resources/admin";
export type {
  CardOptions,
  DatasetCard,
  DatasetRef,
  DatasetSelection,
  Datasets,
  DownloadOptions,
  TrainingOptions,
  TrainingRow,
} from "./resources/datasets";
export type {
  EmbeddingBatch,
  EmbeddingId,
  Embeddings,
  EmbeddingVector,
  FeatureFilter,
  GetManyEmbeddingsOptions,
  SearchParams,
  SearchRequest,
  SearchResponse,
} from "./resources/embeddings";
export {
  eventTimestamp,
  type FeatureColumnTable,
  type FeatureRows,
  type Features,
  type FeatureVector,
  type GetFeaturesOptions,
  type GetManyOptions,
  MAX_BATCH_IDS,
} from "./resources/features";
export type {
  ApiKey,
  CreatedApiKey,
  CreateKeyParams,
  Keys,
  RotatedApiKey,
  RotateKeyParams,
  Scope,
  SignupParams,
  SignupResponse,
  Usage,
} from "./resources/keys";
export type {
  Dataset,
  DatasetDetail,
  EmbeddingInfo,
  Entity,
  FeatureService,
  FeatureViewSummary,
  FeatureViewVersion,
  FeatureViewVersions,
  Registry,
  ViewFilter,
} from "./resources/registry";
export type {
  DatasetName,
  EmbeddingEntity,
  EmbeddingName,
  EntityId,
  EntityName,
  FeatureColumn,
  FeatureColumns,
  FeatureRef,
  FeatureSelection,
  FeatureStatus,
  FeatureType,
  FeatureValue,
  FeatureValues,
  ResolvedRefs,
  SelectedRefs,
  ServiceName,
  ServiceRefs,
} from "./typed";
export { VERSION } from "./version";
