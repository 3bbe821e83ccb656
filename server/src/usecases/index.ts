import * as accounts from "./accounts";
import { admission } from "./admission";
import * as keys from "./api-keys";
import type { Services } from "./context";
import * as datasets from "./datasets";
import * as embeddings from "./embeddings";
import * as features from "./features";
import * as ingest from "./ingest";
import * as operations from "./operations";
import * as registry from "./registry";

/**
 * The use cases, one function each, bound to the services: the only way the HTTP layer (routes,
 * the lookup lane, the access guard) reaches the domain. Each takes what the request asked for
 * and, where a key pays, its Payer; it returns data or throws a DomainError.
 */
export function createUseCases(services: Services) {
  return {
    admission: admission(services),
    features: {
      lookup: bind(services, features.lookupFeatures),
      reuse: bind(services, features.reuseLookup),
      lookupBatch: bind(services, features.lookupFeatureBatch),
    },
    embeddings: {
      get: bind(services, embeddings.getEmbedding),
      getBatch: bind(services, embeddings.getEmbeddingBatch),
      search: bind(services, embeddings.searchEmbeddings),
    },
    datasets: {
      download: bind(services, datasets.downloadDataset),
      training: bind(services, datasets.trainingDataset),
      card: bind(services, datasets.datasetCard),
      trainingLimits: bind(services, datasets.trainingLimits),
      refuseOversizeUpload: bind(services, datasets.refuseOversizeUpload),
    },
    keys: {
      create: bind(services, keys.createKey),
      list: bind(services, keys.listKeys),
      revoke: bind(services, keys.revokeKey),
      rotate: bind(services, keys.rotateKey),
    },
    accounts: {
      signup: bind(services, accounts.signup),
      admitSignup: bind(services, accounts.admitSignup),
      usage: bind(services, accounts.usage),
      list: bind(services, accounts.listAccounts),
      update: bind(services, accounts.updateAccount),
    },
    registry: {
      entities: bind(services, registry.entities),
      views: bind(services, registry.views),
      viewVersions: bind(services, registry.viewVersions),
      viewVersion: bind(services, registry.viewVersion),
      datasets: bind(services, registry.datasets),
      dataset: bind(services, registry.dataset),
      embeddings: bind(services, registry.embeddings),
      featureServices: bind(services, registry.featureServices),
      featureService: bind(services, registry.featureService),
    },
    ingest: {
      write: bind(services, ingest.ingestAnalyses),
      check: bind(services, ingest.checkAnalyses),
    },
    operations: {
      readiness: bind(services, operations.readiness),
      metrics: bind(services, operations.metricsExposition),
    },
  };
}

export type UseCases = ReturnType<typeof createUseCases>;

const bind =
  <A extends unknown[], R>(services: Services, useCase: (services: Services, ...args: A) => R) =>
  (...args: A): R =>
    useCase(services, ...args);

export type { ClosedDoor, Entry, OpenDoor } from "./admission";
export type { Services } from "./context";
export type { Payer } from "./payer";
export * from "./vocabulary";
