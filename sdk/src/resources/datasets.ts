import type { APIPromise } from "../core/api-promise";
import { DatasetDownload, type DownloadFormat, type DownloadProgress } from "../core/download";
import type { RequestOptions } from "../core/request-options";
import type { components } from "../generated/openapi";
import type { DatasetName, ServiceName } from "../typed";
import { APIResource, seg } from "./resource";

export type DatasetCard = components["schemas"]["DatasetCard"];

/** A dataset, or a feature service downloaded as one (`service:hit_predictor`). */
export type DatasetRef = DatasetName | `service:${ServiceName}`;

export interface DatasetSelection {
  /** Instead of the dataset's features: references (`view@2:*` pins a version). */
  features?: readonly string[];
  /** Instead of the dataset's features: a feature service's. */
  service?: string;
  /** Embeddings to add as `<name>_embedding` columns. */
  embeddings?: readonly string[];
}

export interface CardOptions extends DatasetSelection, RequestOptions {
  /** Features as they were then: only analyses created at or before it. */
  asOf?: Date | string;
  limit?: number;
}

export interface DownloadOptions extends CardOptions {
  /** Default `parquet`; `arrow` for `toArrowTable()`, `json` (NDJSON) for `records()`. */
  format?: DownloadFormat;
  onProgress?: (progress: DownloadProgress) => void;
}

export interface TrainingOptions extends DatasetSelection, RequestOptions {
  /** What the uploaded ids are. Default `track`. */
  entity?: string;
  /** Take a dataset's features (not its row filters). */
  dataset?: string;
  format?: DownloadFormat;
  onProgress?: (progress: DownloadProgress) => void;
}

/** One label row: the entity key column (`track_id`), `event_timestamp`, and optionally `label`. */
export type TrainingRow = Record<string, unknown>;

export class Datasets extends APIResource {
  /** Schema, licence, row count, quality and version of exactly what a download would hold. */
  card(name: DatasetRef, options: CardOptions = {}): APIPromise<DatasetCard> {
    const { query, request } = split(options);
    return this.client.get(`/v1/datasets/${seg(name)}`, { ...request, query });
  }

  /**
   * Streams a dataset as Parquet, CSV or Arrow. Nothing is sent until the download is used:
   * `await` it for a `ReadableStream`, or call `toArrowTable()`, `toFile(path)` or `text()`.
   */
  download(name: DatasetRef, options: DownloadOptions = {}): DatasetDownload {
    const { format, onProgress, ...rest } = options;
    const { query, request } = split(rest);
    const send = (chosen: DownloadFormat) =>
      this.client
        .get(`/v1/datasets/${seg(name)}/download`, {
          ...request,
          query: { ...query, format: chosen },
          stream: true,
        })
        .asResponse();
    return new DatasetDownload(format, send, onProgress);
  }

  /**
   * Point-in-time training data: each row joined with the features computed only from analyses
   * created at or before its `event_timestamp` (Feast's historical features, over HTTP).
   */
  training(rows: readonly TrainingRow[], options: TrainingOptions = {}): DatasetDownload {
    const { format, onProgress, entity, dataset, features, service, embeddings, ...request } = options;
    const query = { entity, dataset, features, service, embeddings };
    const send = (chosen: DownloadFormat) =>
      this.client
        .post("/v1/datasets/training", {
          ...request,
          query: { ...query, format: chosen },
          body: rows,
          // The server keys the file by the upload's digest: a repeat is neither recomputed nor charged.
          idempotent: true,
          stream: true,
        })
        .asResponse();
    return new DatasetDownload(format, send, onProgress);
  }
}

function split<T extends CardOptions>(options: T) {
  const { features, service, embeddings, asOf, limit, ...request } = options;
  const as_of = asOf instanceof Date ? asOf.toISOString() : asOf;
  return { query: { features, service, embeddings, as_of, limit }, request };
}
