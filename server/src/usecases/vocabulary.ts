/**
 * The domain's words the HTTP layer speaks in its schemas, parsers and bodies: types, the values
 * an enum may take, and the pure parsers a request's text goes through. Nothing here reads or spends.
 */

export type { Account } from "../access/accounts";
export { PRIVATE_RESPONSE, rateLimitFields } from "../access/answer-fields";
export type { Cost, Denial, UsageReport } from "../access/gate";
export type { CreatedKey, Descendants, KeyInfo } from "../access/key-store";
export { DEFAULT_ROTATION_GRACE_SECONDS } from "../access/key-store";
export type { LimitResult } from "../access/limiter";
export { type RouteAccess, routeAccess } from "../access/route-access";
export { SCOPES, type Scope } from "../access/scopes";
export { type Principal, presentedKey } from "../access/verifier";
export type { DatasetCard } from "../datasets/cards/card";
export { type DownloadFormat, FORMAT_INFO, FORMATS } from "../datasets/encode/formats";
export type { PlanRequest } from "../datasets/plan/dataset-plan";
export { type UploadFormat, uploadFormat } from "../datasets/upload/upload-formats";
export { splitRefList } from "../definitions/refs";
export { keyPgType } from "../definitions/schema";
export type { ReadinessReport } from "../health/readiness";
export {
  AnalysisInputSchema,
  batchRowCount,
  IDEMPOTENCY_KEY_HOURS,
  IDEMPOTENCY_KEY_PATTERN,
  type IngestResult,
  MAX_BATCH_ROWS,
  refuseOversizeBatch,
  TrackInputSchema,
} from "../ingest";
export type { OnlineRow } from "../online/types";
export { WIDE_READ_IDS } from "../online/types";
export type {
  DatasetInfo,
  EmbeddingInfo,
  EntityInfo,
  FeatureServiceInfo,
  RunStats,
  RunSummary,
  ViewVersion,
  ViewVersionDetail,
} from "../registry";
export {
  type EntityId,
  type FeatureFilter,
  type FeatureTable,
  FILTER_OPS,
  type Resolution,
  type ResolvedColumn,
  SEARCH_STRATEGIES,
  type Selection,
  viewVersionPath,
} from "../serving";
export type { ResolvedEmbedding } from "../serving/search/embeddings";
export { parseTimestamp } from "../values/timestamps";
export type { RotatedKey } from "./api-keys";
export type { DatasetFile, Download, FileInfo } from "./datasets";
export type { EmbeddingBatch, EmbeddingVector, Neighbours } from "./embeddings";
export type { FeatureLookup } from "./features";
export type { ServedFreshness, ServiceReport, ViewVersionReport, ViewWithFreshness } from "./registry";
