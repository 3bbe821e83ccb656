import type { APIPromise } from "../core/api-promise";
import type { RequestOptions } from "../core/request-options";
import type { components } from "../generated/openapi";
import { type ChunkOptions, paidChunks } from "../internal/paid-chunks";
import type { EmbeddingEntity, EmbeddingName, FeatureRef } from "../typed";
import { APIResource, seg } from "./resource";

type Schemas = components["schemas"];
export type EmbeddingVector = Schemas["EmbeddingVector"];
export type EmbeddingBatch = Schemas["EmbeddingBatch"];
export type SearchRequest = Schemas["SearchRequest"];
export type SearchResponse = Schemas["SearchResponse"];
export type FeatureFilter = Schemas["FeatureFilter"];

export type EmbeddingId = number | string;
export type GetManyEmbeddingsOptions = ChunkOptions;
/** A filter on one of entity `E`'s features: its reference is checked once codegen typed the registry. */
export type TypedFeatureFilter<E extends string = string> = Omit<FeatureFilter, "feature"> & {
  feature: FeatureRef<E>;
};
/**
 * Search by `vector` or by `id` (that entity's own vector; the entity itself is left out), for
 * an embedding of entity `E`: filters and `include_features` name `E`'s features.
 */
export type SearchParams<E extends string = string> = Omit<
  SearchRequest,
  "k" | "filters" | "include_features"
> & {
  k?: number;
  filters?: TypedFeatureFilter<E>[];
  include_features?: FeatureRef<E>[];
} & ({ vector: number[]; id?: undefined } | { id: EmbeddingId; vector?: undefined });

export class Embeddings extends APIResource {
  /** One entity's vector; `name` is an embedding (`lyrics`) or a pinned version (`lyrics@1`). */
  get(name: EmbeddingName, id: EmbeddingId, options?: RequestOptions): APIPromise<EmbeddingVector> {
    return this.client.get(`/v1/embeddings/${seg(name)}/${seg(id)}`, options);
  }

  /**
   * Many entities' vectors in the order of `ids`, in batches of up to 1,000; quota checked up
   * front and answers kept on a failure, as `features.getMany` does.
   */
  async getMany(
    name: EmbeddingName,
    ids: readonly EmbeddingId[],
    options: GetManyEmbeddingsOptions = {},
  ): Promise<EmbeddingBatch> {
    return paidChunks(
      this.client,
      ids,
      options,
      (chunk, request) =>
        this.client.post<EmbeddingBatch>(`/v1/embeddings/${seg(name)}/batch`, {
          ...request,
          body: { ids: chunk },
          idempotent: true,
        }),
      (parts) => {
        const [first] = parts;
        if (!first) return { embedding: name, entity: "", dimension: 0, metric: "cosine", items: [] };
        return { ...first, items: parts.flatMap((p) => p.items) };
      },
    );
  }

  /** The k nearest neighbours, nearest first, optionally filtered on features and with theirs. */
  search<const N extends EmbeddingName>(
    name: N,
    params: SearchParams<EmbeddingEntity<N>>,
    options?: RequestOptions,
  ): APIPromise<SearchResponse> {
    return this.client.post(`/v1/embeddings/${seg(name)}/search`, {
      ...options,
      body: params,
      idempotent: true,
    });
  }
}
