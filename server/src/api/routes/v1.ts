import type { RegisterRoutes } from "../env";
import { registerEmbeddingsBatch } from "./embeddings/batch";
import { registerGetEmbedding } from "./embeddings/get";
import { registerEmbeddingSearch } from "./embeddings/search";
import { registerFeaturesBatch } from "./features/batch";
import { registerGetFeatures } from "./features/get";
import { registerIngestAnalyses } from "./ingest/analyses";
import { registerRegistryDataset } from "./registry/dataset";
import { registerRegistryDatasets } from "./registry/datasets";
import { registerRegistryEmbeddings } from "./registry/embeddings";
import { registerRegistryEntities } from "./registry/entities";
import { registerRegistryService } from "./registry/feature-service";
import { registerRegistryServices } from "./registry/feature-services";
import { registerRegistryView } from "./registry/view";
import { registerRegistryViewVersion } from "./registry/view-version";
import { registerRegistryViews } from "./registry/views";

/** Online serving (features, embeddings, the registry) and the ingestion door. */
export const servingRoutes: RegisterRoutes[] = [
  registerFeaturesBatch,
  registerGetFeatures,
  registerEmbeddingsBatch,
  registerEmbeddingSearch,
  registerGetEmbedding,
  registerRegistryEntities,
  registerRegistryViews,
  registerRegistryView,
  registerRegistryViewVersion,
  registerRegistryServices,
  registerRegistryService,
  registerRegistryEmbeddings,
  registerRegistryDatasets,
  registerRegistryDataset,
  registerIngestAnalyses,
];
