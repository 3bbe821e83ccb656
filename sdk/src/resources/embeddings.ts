import type { APIPromise } from "../core/api-promise";
import type { RequestOptions } from "../core/request-options";
import type { components } from "../generated/openapi";
import { anySignal } from "../internal/abort";
import { mapChunks } from "../internal/chunks";
import type { EmbeddingName } from "../typed";
import { MAX_BATCH_IDS } from "./features";
import { APIResource, seg } from "./resource";

type Schemas = components["schemas"];
export type EmbeddingVector = Schemas["EmbeddingVector"];
export type EmbeddingBatch = Schemas["EmbeddingBatch"];
export type SearchRequest = Schemas["SearchRequest"];
export type SearchResponse = Schemas["SearchResponse"];
export type FeatureFilter = Schemas["FeatureFilter"];

export type EmbeddingId = number | string;
export type GetManyEmbeddingsOptions = RequestOptions & { chunkSize?: number; concurrency?: number };
/** Search by `vector` or by `id` (that entity's own vector; the entity itself is left out). */
export type SearchParams = Omit<SearchRequest, "k" | "filters"> & {
  k?: number;
  filters?: FeatureFilter[];
} & ({ vector: number[]; id?: undefined } | { id: EmbeddingId; vector?: undefined });

export class Embeddings extends APIResource {
  /** One entity's vector; `name` is an embedding (`lyrics`) or a pinned version (`lyrics@1`). */
  get(name: EmbeddingName, id: EmbeddingId, options?: RequestOptions): APIPromise<EmbeddingVector> {
    return this.client.get(`/v1/embeddings/${seg(name)}/${seg(id)}`, options);
  }

  /** Many entities' vectors in the order of `ids`, in batches of up to 1,000. */
  async getMany(
    name: EmbeddingName,
    ids: readonly EmbeddingId[],
    options: GetManyEmbeddingsOptions = {},
  ): Promise<EmbeddingBatch> {
    const { chunkSize, concurrency, signal, ...request } = options;
    const size = Math.min(chunkSize ?? MAX_BATCH_IDS, MAX_BATCH_IDS);
    const parts = await mapChunks(ids, size, concurrency ?? 4, (chunk, _index, failed) =>
      this.client.post<EmbeddingBatch>(`/v1/embeddings/${seg(name)}/batch`, {
        ...request,
        signal: signal ? anySignal([signal, failed]) : failed,
        body: { ids: chunk },
        idempotent: true,
      }),
    );
    const [first] = parts;
    if (!first) return { embedding: name, entity: "", dimension: 0, metric: "cosine", items: [] };
    return { ...first, items: parts.flatMap((p) => p.items) };
  }

  /** The k nearest neighbours, nearest first, optionally filtered on features and with theirs. */
  search(name: EmbeddingName, params: SearchParams, options?: RequestOptions): APIPromise<SearchResponse> {
    return this.client.post(`/v1/embeddings/${seg(name)}/search`, {
      ...options,
      body: params,
      idempotent: true,
    });
  }
}
