import type { components } from "./generated/openapi";

declare global {
  /**
   * What `rapfs codegen` knows about a deployment's registry. Empty here, so every name is a
   * plain string; the generated `.d.ts` fills it in (`declare global { interface RapFSRegistry
   * { … } }`) and names, ids and feature value types become exact: a misspelled feature or
   * service name is then a compile error. Global rather than this module's: the package has an
   * ESM and a CommonJS declaration file, and a module augmentation reaches only the one its file
   * resolves to, so a `.mts` beside a `.cts` saw untyped values.
   */
  interface RapFSRegistry {}
}

type Untyped = {
  entities: Record<string, { id: number | string }>;
  features: Record<string, Record<string, unknown>>;
  refs: Record<string, Record<string, string>>;
  services: Record<string, { entity: string; features: string }>;
  embeddings: Record<string, { entity: string }>;
  datasets: Record<string, { entity: string }>;
};
type Part<K extends keyof Untyped> = globalThis.RapFSRegistry extends { [P in K]: infer T } ? T : Untyped[K];
type Entities = Part<"entities">;
type Features = Part<"features">;
type Refs = Part<"refs">;
type Services = Part<"services">;

export type FeatureStatus = components["schemas"]["FeatureValue"]["status"];
type ValueSchema = components["schemas"]["FeatureValue"];
type ColumnSchema = components["schemas"]["FeatureColumn"];

/** One feature's value for one entity, with whether it was there and when it was true. */
export interface FeatureValue<T = unknown> extends ValueSchema {
  /** Null when `status` is `null` or `not_found`. */
  value: T | null;
  /** `not_found`: the entity has no row in the feature's view version. */
  status: FeatureStatus;
  event_timestamp: string | null;
}

/** One feature's values in id order; its event timestamps are its view version's (`event_timestamps`). */
export interface FeatureColumn<T = unknown> extends ColumnSchema {
  values: Array<T | null>;
  statuses: FeatureStatus[];
}

export type EntityName = Extract<keyof Entities, string>;
/** The key of an entity: a number for `track`, the artist's name for `artist`. */
export type EntityId<E extends string> = E extends keyof Entities
  ? Entities[E] extends { id: infer I }
    ? I
    : never
  : number | string;
/** A reference the server accepts for the entity: `view@2:feature`, `view:feature`, `view@2:*`. */
export type FeatureRef<E extends string> = E extends keyof Refs ? Extract<keyof Refs[E], string> : string;
export type ServiceName<E extends string = EntityName> = {
  [S in keyof Services]: E extends Services[S]["entity"] ? S : never;
}[keyof Services] &
  string;
type Embeddings = Part<"embeddings">;
export type EmbeddingName = Extract<keyof Embeddings, string>;
/** The entity an embedding's vectors belong to (`track`). */
export type EmbeddingEntity<N extends string> = N extends keyof Embeddings
  ? Embeddings[N] extends { entity: infer E extends string }
    ? E
    : string
  : string;
export type DatasetName = Extract<keyof Part<"datasets">, string>;

/** The canonical references (`view@version:feature`) a reference resolves to. */
export type ResolvedRefs<E extends string, R> = E extends keyof Refs
  ? R extends keyof Refs[E]
    ? Extract<Refs[E][R], string>
    : never
  : string;
export type ServiceRefs<S> = S extends keyof Services ? Extract<Services[S]["features"], string> : string;
export type FeatureType<E extends string, K extends string> = E extends keyof Features
  ? K extends keyof Features[E]
    ? Features[E][K]
    : unknown
  : unknown;

/** Values by canonical reference. */
export type FeatureValues<E extends string, K extends string> = { [P in K]: FeatureValue<FeatureType<E, P>> };
export type FeatureColumns<E extends string, K extends string> = {
  [P in K]: FeatureColumn<FeatureType<E, P>>;
};

/** Which features to read: a feature service's, or a list of references. */
export type FeatureSelection<E extends string> =
  | { service: ServiceName<E>; features?: undefined }
  | { features: readonly FeatureRef<E>[]; service?: undefined };

/** The canonical references a selection gives values for. */
export type SelectedRefs<E extends string, O> = O extends { service: infer S extends string }
  ? ServiceRefs<S>
  : O extends { features: readonly (infer R)[] }
    ? ResolvedRefs<E, R>
    : string;
