/** The registry's read API: what is applied, where its rows live, how fresh they are. */

export { bindParams, type CompiledQuery } from "../definitions/compile/params";
export {
  type FeatureInfo,
  getViewVersion,
  listRuns,
  listViews,
  type RunSummary,
  type Status,
  type ViewVersion,
  type ViewVersionDetail,
} from "./read";
export {
  type DatasetInfo,
  type EmbeddingInfo,
  type EntityInfo,
  type EntityRelation,
  type FeatureServiceInfo,
  getDataset,
  getEmbedding,
  getFeatureService,
  listDatasets,
  listEmbeddings,
  listEntities,
  listFeatureServices,
} from "./read-entries";
export type { RunStats } from "./stats";
