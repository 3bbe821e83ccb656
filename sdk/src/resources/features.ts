import type { APIPromise } from "../core/api-promise";
import type { RequestOptions } from "../core/request-options";
import type { components } from "../generated/openapi";
import { type ChunkOptions, paidChunks } from "../internal/paid-chunks";
import type {
  EntityId,
  EntityName,
  FeatureColumns,
  FeatureSelection,
  FeatureValue,
  FeatureValues,
  SelectedRefs,
} from "../typed";
import { APIResource, seg } from "./resource";

export { MAX_BATCH_IDS } from "../internal/paid-chunks";

// The server's shapes; the interfaces below narrow their entity, ids, references and values.
type VectorSchema = components["schemas"]["FeatureVector"];
type RowsSchema = components["schemas"]["FeatureRows"];
type ColumnsSchema = components["schemas"]["FeatureColumns"];

/** One entity's features (the OpenAPI `FeatureVector`), typed by entity and references. */
export interface FeatureVector<E extends string = string, K extends string = string> extends VectorSchema {
  entity: E;
  id: EntityId<E>;
  features: FeatureValues<E, K>;
}

/** Many entities' features, one object per id (the OpenAPI `FeatureRows`). */
export interface FeatureRows<E extends string = string, K extends string = string> extends RowsSchema {
  entity: E;
  /** Canonical references, in the order the values are given. */
  features: K[];
  rows: Array<{ id: EntityId<E>; features: FeatureValues<E, K> }>;
}
/** Many entities' features, one array per feature (the OpenAPI `FeatureColumns`, every status filled in). */
export interface FeatureColumnTable<E extends string = string, K extends string = string>
  extends ColumnsSchema {
  entity: E;
  /** Canonical references, in the order the columns are given. */
  features: K[];
  ids: Array<EntityId<E>>;
  /**
   * Per view version (`view@version`, a reference's part before `:`), each id's event timestamp;
   * null where the id has no row there. `eventTimestamp(table, ref, i)` looks one up.
   */
  event_timestamps: Record<string, Array<string | null>>;
  columns: FeatureColumns<E, K>;
}

/** The event timestamp of the i-th id's value of `ref` in a columnar table. */
export function eventTimestamp(table: FeatureColumnTable, ref: string, i: number): string | null {
  return table.event_timestamps[ref.slice(0, ref.indexOf(":"))]?.[i] ?? null;
}

export type GetFeaturesOptions<E extends string> = FeatureSelection<E> & RequestOptions;
export type GetManyOptions<E extends string> = FeatureSelection<E> &
  ChunkOptions & {
    /** `rows` (default): one object per id; `columns`: one array per feature. */
    format?: "rows" | "columns";
  };
type ManyResult<E extends string, O> = O extends { format: "columns" }
  ? FeatureColumnTable<E, SelectedRefs<E, O>>
  : FeatureRows<E, SelectedRefs<E, O>>;

export class Features extends APIResource {
  /** The features of one entity: `get("track", 42, { service: "hit_predictor" })`. */
  get<const E extends EntityName, const O extends GetFeaturesOptions<E>>(
    entity: E,
    id: EntityId<E>,
    options: O,
  ): APIPromise<FeatureVector<E, SelectedRefs<E, O>>> {
    const { features, service, ...request } = options;
    return this.client.get(`/v1/features/${seg(entity)}/${seg(id)}`, {
      ...request,
      query: { features, service },
    });
  }

  /**
   * The features of many entities, in the order of `ids` (duplicates included). More than 1,000
   * ids go out as several batch requests, a few at a time; the answers are joined in order.
   * Before sending several, it asks /v1/usage whether the ids fit the rows left today and throws
   * an InsufficientQuotaError if not, having spent nothing. If a request fails after others were
   * answered, the answers are not lost: a PartialResultError carries them (`result`) and the ids
   * left (`failedIds`); if none was answered, the failure itself is thrown.
   */
  async getMany<const E extends EntityName, const O extends GetManyOptions<E>>(
    entity: E,
    ids: ReadonlyArray<EntityId<E>>,
    options: O,
  ): Promise<ManyResult<E, O>> {
    const { features, service, format = "rows", ...chunking } = options;
    const path = `/v1/features/${seg(entity)}/batch`;
    // Always asked for in columns: the same values in about an eighth of the bytes, and a third of
    // the server's work (it repeats no timestamp and no `present`); rows are built here.
    return paidChunks(
      this.client,
      ids,
      chunking,
      (chunk, request) =>
        this.client.post<ColumnsSchema>(path, {
          ...request,
          body: { ids: chunk, features, service, format: "columns" },
          // A batch read changes nothing on the server, so a failed one is safe to send again.
          idempotent: true,
        }),
      (tables) => {
        const table = join(entity, service, tables);
        return (format === "rows" ? rowsOf(table) : table) as ManyResult<E, O>;
      },
    );
  }
}

/** A columnar table as the server's rows form: each id with every value, status and timestamp. */
function rowsOf(table: FeatureColumnTable): FeatureRows {
  const { ids, features, columns, event_timestamps, format: _format, ...head } = table;
  const stamps = features.map((ref) => event_timestamps[ref.slice(0, ref.indexOf(":"))] ?? []);
  const rows = ids.map((id, i) => {
    const values: Record<string, FeatureValue> = {};
    features.forEach((ref, f) => {
      const column = columns[ref];
      values[ref] = {
        value: column?.values[i] ?? null,
        status: column?.statuses?.[i] ?? "present",
        event_timestamp: stamps[f]?.[i] ?? null,
      };
    });
    return { id, features: values };
  });
  return { ...head, features, format: "rows", rows } as FeatureRows;
}

function join(entity: string, service: string | undefined, tables: ColumnsSchema[]): FeatureColumnTable {
  const [first] = tables;
  const head = { entity, ...(service ? { service } : {}), features: first?.features ?? [] };
  const format = "columns" as const;
  const columns: FeatureColumnTable["columns"] = {};
  for (const ref of head.features) {
    const pieces = tables.map((p) => p.columns[ref]);
    columns[ref] = {
      values: pieces.flatMap((c) => c?.values ?? []),
      // The server leaves statuses out of a column whose values are all present.
      statuses: pieces.flatMap((c) => c?.statuses ?? (c?.values ?? []).map(() => "present" as const)),
    };
  }
  const event_timestamps: FeatureColumnTable["event_timestamps"] = {};
  for (const view of Object.keys(first?.event_timestamps ?? {})) {
    event_timestamps[view] = tables.flatMap((p) => p.event_timestamps[view] ?? []);
  }
  const ids = tables.flatMap((p) => p.ids);
  return { ...head, format, ids, event_timestamps, columns };
}
