import type { APIPromise } from "../core/api-promise";
import type { RequestOptions } from "../core/request-options";
import type { components } from "../generated/openapi";
import { APIResource, seg } from "./resource";

type Schemas = components["schemas"];
export type Entity = Schemas["Entity"];
export type FeatureViewSummary = Schemas["FeatureViewSummary"];
export type FeatureViewVersions = Schemas["FeatureViewVersions"];
export type FeatureViewVersion = Schemas["FeatureViewVersion"];
export type FeatureService = Schemas["FeatureService"];
export type EmbeddingInfo = Schemas["EmbeddingInfo"];
export type Dataset = Schemas["Dataset"];
export type DatasetDetail = Schemas["DatasetDetail"];

export interface ViewFilter {
  entity?: string;
  status?: "active" | "deprecated" | "retired";
  tag?: string;
  /** Only the versions `view:feature` resolves to. */
  latest?: boolean;
  /** Text in the name, description or a feature name. */
  q?: string;
}

/** The feature catalog: what can be asked for, with types, descriptions, freshness and statistics. */
export class Registry extends APIResource {
  entities(options?: RequestOptions): APIPromise<Entity[]> {
    return this.client
      .get<Schemas["EntityList"]>("/v1/registry/entities", options)
      ._thenUnwrap((b) => b.entities);
  }

  /** Every feature view version (several per view), filtered. */
  views(filter: ViewFilter = {}, options?: RequestOptions): APIPromise<FeatureViewSummary[]> {
    return this.client
      .get<Schemas["FeatureViewList"]>("/v1/registry/views", { ...options, query: { ...filter } })
      ._thenUnwrap((b) => b.views);
  }

  /** Every version of one view, and which is latest. */
  view(name: string, options?: RequestOptions): APIPromise<FeatureViewVersions> {
    return this.client.get(`/v1/registry/views/${seg(name)}`, options);
  }

  /** One version: schema, compiled SQL, freshness, statistics and drift from the version before. */
  version(name: string, version: number, options?: RequestOptions): APIPromise<FeatureViewVersion> {
    return this.client.get(`/v1/registry/views/${seg(name)}/versions/${seg(version)}`, options);
  }

  services(options?: RequestOptions): APIPromise<FeatureService[]> {
    return this.client
      .get<Schemas["FeatureServiceList"]>("/v1/registry/services", options)
      ._thenUnwrap((b) => b.services);
  }

  service(name: string, options?: RequestOptions): APIPromise<FeatureService> {
    return this.client.get(`/v1/registry/services/${seg(name)}`, options);
  }

  embeddings(options?: RequestOptions): APIPromise<EmbeddingInfo[]> {
    return this.client
      .get<Schemas["EmbeddingList"]>("/v1/registry/embeddings", options)
      ._thenUnwrap((b) => b.embeddings);
  }

  datasets(options?: RequestOptions): APIPromise<Dataset[]> {
    return this.client
      .get<Schemas["DatasetList"]>("/v1/registry/datasets", options)
      ._thenUnwrap((b) => b.datasets);
  }

  /** One dataset's definition, with the compiled query of its rows. */
  dataset(name: string, options?: RequestOptions): APIPromise<DatasetDetail> {
    return this.client.get(`/v1/registry/datasets/${seg(name)}`, options);
  }
}
