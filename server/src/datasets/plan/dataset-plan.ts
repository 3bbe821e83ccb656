import type { Sql } from "../../db/database";
import { datasetColumnName } from "../../definitions/compile/dataset";
import type { DatasetFilter, KeyType } from "../../definitions/schema";
import { silentLogger } from "../../log/logger";
import { type DatasetInfo, type EntityInfo, getDataset } from "../../registry";
import {
  acceptedRelationKey,
  type CatalogState,
  type CatalogView,
  entityOf,
  type ReferenceProblem,
  resolveReferences,
  ServingCatalog,
} from "../../serving";
import { type DatasetIssue, datasetError, summarize } from "../errors";
import type { OutputColumn } from "./columns";
import { addEmbeddings, type EmbeddingSource } from "./plan-embeddings";

/** A view version's table: the entity's own (inner-joined) or a related entity's (left-joined). */
export type ViewSource = {
  kind: "view";
  name: string;
  version: number;
  table: string;
  key: string;
  keyType: KeyType;
  /**
   * Rows exist only for entities this view has (inner join), as in the dataset's own query; a
   * related entity's view is left-joined: a track whose artist has no row keeps its row.
   */
  join: "inner" | "left";
  /** A related entity's view: found by the key `keyField` of the entity's own `keySource` holds. */
  via?: { relation: string; keySource: ViewSource; keyField: string };
};

/** A relation rows are read from: a view version's table, or where an embedding's vectors live. */
export type Source = ViewSource | EmbeddingSource;

export type PlannedColumn = { column: OutputColumn; source: Source; field: string; pgType: string };
export type PlannedFilter = Omit<DatasetFilter, "feature"> & {
  source: Source;
  field: string;
  pgType: string;
};

export type DatasetPlan = {
  /** As requested: `public`, or `service:hit_predictor` for a feature service. */
  name: string;
  kind: "dataset" | "feature_service";
  entity: EntityInfo;
  description: string;
  license: string | null;
  /**
   * A public dataset as defined (its own features, no embeddings added): downloadable whole on
   * every tier, so its downloads spend downloads and bytes, not entity rows.
   */
  public: boolean;
  owner: string | null;
  key: OutputColumn;
  features: PlannedColumn[];
  filters: PlannedFilter[];
  sources: Source[];
  /** Point in time (epoch microseconds, UTC wall time) the features are computed as of. */
  asOf?: number;
  limit?: number;
};

export type PlanRequest = {
  dataset: string;
  features?: string[];
  service?: string;
  embeddings?: string[];
  asOf?: number;
  limit?: number;
};

/** Where a plan is made: the database, and the catalog references resolve against (as online lookups do). */
export type PlanSource = {
  sql: Sql;
  catalog: Pick<ServingCatalog, "current">;
  /** The clock sunsets are read against (tests pin it). */
  now?: () => number;
};

/** A source with a catalog of its own, for a plan made outside a server (the CLI's export, benches). */
export function standalonePlanSource(sql: Sql): PlanSource {
  return { sql, catalog: new ServingCatalog(sql, { logger: silentLogger }) };
}

export const SERVICE_PREFIX = "service:";
const RAW_LYRICS = /^\s*(t\.)?lyrics\s*$/;

/** Resolves what a download contains, against the registry as applied now. */
export async function planDownload(source: PlanSource, request: PlanRequest): Promise<DatasetPlan> {
  const { sql } = source;
  const state = await source.catalog.current();
  if (request.features && request.service) {
    throw datasetError("BAD_REQUEST", "Give features or service, not both.", [
      { path: ["service"], detail: "conflicts with features" },
    ]);
  }
  const base = await baseOf(sql, state, request.dataset);
  let refs = base.refs;
  if (request.features) refs = request.features;
  else if (request.service) refs = serviceRefs(state, request.service, base.entity.name, "service").refs;
  const field = request.features ? "features" : request.service ? "service" : "dataset";
  const plan = buildPlan(source, state, base, refs, field);
  await addEmbeddings(sql, plan, request.embeddings ?? []);
  if (request.asOf !== undefined) plan.asOf = request.asOf;
  if (request.limit !== undefined) plan.limit = request.limit;
  plan.public = base.public && field === "dataset" && !request.embeddings?.length;
  return plan;
}

type Base = Omit<DatasetPlan, "key" | "features" | "filters" | "sources"> & {
  refs: string[];
  filterDefs: DatasetFilter[];
};

async function baseOf(sql: Sql, state: CatalogState, name: string): Promise<Base> {
  if (name.startsWith(SERVICE_PREFIX)) {
    const service = serviceRefs(state, name.slice(SERVICE_PREFIX.length), undefined, "name");
    return { ...service, name, kind: "feature_service", license: null, public: false, filterDefs: [] };
  }
  const dataset: DatasetInfo | undefined = await getDataset(sql, name);
  if (!dataset) {
    throw datasetError("NOT_FOUND", `There is no dataset ${name} (a feature service is service:<name>).`);
  }
  return {
    name,
    kind: "dataset",
    entity: entityOf(state, dataset.entity),
    description: dataset.description,
    license: dataset.license,
    public: dataset.public,
    owner: dataset.owner,
    refs: dataset.features.map((f) => f.ref),
    filterDefs: dataset.filters,
  };
}

function serviceRefs(state: CatalogState, name: string, entity: string | undefined, field: string) {
  const service = state.services.get(name);
  if (!service || (entity && service.entity !== entity)) {
    const detail = service
      ? `Feature service ${name} serves entity ${service.entity}, not ${entity}.`
      : `There is no feature service ${name}.`;
    throw datasetError(field === "name" ? "NOT_FOUND" : "UNKNOWN_FEATURE", detail, [
      { path: [field], detail },
    ]);
  }
  return {
    entity: entityOf(state, service.entity),
    description: service.description,
    owner: service.owner,
    refs: service.featureRefs,
  };
}

/** Training rows name an entity instead of a dataset; features come from features=, service= or dataset=. */
export async function planTraining(
  source: PlanSource,
  request: { entity: string; features?: string[]; service?: string; dataset?: string; embeddings?: string[] },
): Promise<DatasetPlan> {
  const given = (["features", "service", "dataset"] as const).filter((k) => request[k] !== undefined);
  if (given.length !== 1) {
    throw datasetError("BAD_REQUEST", "Give exactly one of features, service or dataset.", [
      { path: [given[1] ?? "features"], detail: "give exactly one of features, service or dataset" },
    ]);
  }
  const { sql } = source;
  const state = await source.catalog.current();
  const entity = entityOf(state, request.entity);
  let base: Base = {
    name: `training:${entity.name}`,
    kind: "dataset",
    entity,
    description: `Point-in-time features of uploaded ${entity.name} rows.`,
    license: null,
    public: false,
    owner: null,
    refs: request.features ?? [],
    filterDefs: [],
  };
  if (request.service) base = { ...base, ...serviceRefs(state, request.service, entity.name, "service") };
  if (request.dataset) {
    const dataset = await baseOf(sql, state, request.dataset);
    if (dataset.entity.name !== entity.name) {
      throw datasetError("BAD_REQUEST", `Dataset ${request.dataset} is about ${dataset.entity.name}.`);
    }
    // A dataset's row filters choose which entities it offers; training rows choose their own.
    base = { ...base, license: dataset.license, refs: dataset.refs };
  }
  const plan = buildPlan(source, state, base, base.refs, given[0] as string);
  await addEmbeddings(sql, plan, request.embeddings ?? []);
  return plan;
}

function buildPlan(
  source: PlanSource,
  state: CatalogState,
  base: Base,
  refs: string[],
  field: string,
): DatasetPlan {
  const { entity } = base;
  const now = (source.now ?? Date.now)();
  const { columns, problems } = resolveReferences(state, entity, refs, now);
  const issues: DatasetIssue[] = problems.map((p) => ({
    path: field === "features" ? [field, p.index] : [field],
    detail: `${p.ref}: ${p.detail}`,
  }));
  const sources: Source[] = [];
  const sourceOf = (view: CatalogView, relation?: string): ViewSource => {
    const found = sources.find(
      (s): s is ViewSource =>
        s.kind === "view" &&
        s.name === view.name &&
        s.version === view.version &&
        s.via?.relation === relation,
    );
    if (found) return found;
    const source: ViewSource = {
      kind: "view",
      name: view.name,
      version: view.version,
      table: view.table,
      key: view.keyColumn,
      keyType: view.keyType,
      join: relation ? "left" : "inner",
    };
    if (relation) {
      // The key's own source comes first, so its values are there when the related rows are read.
      const key = acceptedRelationKey(state, entity, relation);
      source.via = { relation, keySource: sourceOf(key.view), keyField: key.feature };
    }
    sources.push(source);
    return source;
  };
  const planned: PlannedColumn[] = [];
  for (const f of columns) {
    const view = state.byKey.get(f.viewKey) as CatalogView;
    const info = view.featureByName.get(f.feature);
    if (!info) continue;
    if (RAW_LYRICS.test(info.expr)) {
      issues.push({
        path: [field],
        detail: `${f.ref} is the raw lyrics text, which downloads never contain`,
      });
      continue;
    }
    const name = datasetColumnName(f);
    if (planned.some((p) => p.column.name === name)) {
      issues.push({
        path: [field],
        detail: `${f.ref} collides with another version's ${name}; take one version per view`,
      });
      continue;
    }
    planned.push({
      column: {
        name,
        kind: info.type,
        description: f.relation
          ? `${info.description} (Of the ${entity.name}'s ${view.entity}, through relation ${f.relation}.)`
          : info.description,
        source: f.ref,
      },
      source: sourceOf(view, f.relation),
      field: f.feature,
      pgType: info.pg_type,
    });
  }
  if (issues.length === 0 && planned.length === 0) {
    issues.push({ path: [field], detail: "selects no features" });
  }
  if (issues.length > 0) throw unservable(issues, problems);
  const filters = planFilters(state, entity, base.filterDefs, sourceOf, now);
  return {
    name: base.name,
    kind: base.kind,
    entity,
    description: base.description,
    license: base.license,
    public: false,
    owner: base.owner,
    key: {
      name: entity.keyColumn,
      kind: entity.keyType === "int" ? "int" : "string",
      description: entity.description,
      source: `${entity.name} key`,
    },
    features: planned,
    filters,
    sources,
  };
}

/** 410 when every problem is a version gone for good, else 400; with the resolver's suggestions. */
function unservable(issues: DatasetIssue[], problems: ReferenceProblem[]) {
  const gone = problems.length > 0 && problems.length === issues.length && problems.every((p) => p.gone);
  const suggestions = Object.fromEntries(problems.map((p) => [p.ref, p.suggestions]));
  return datasetError(
    gone ? "GONE" : "UNKNOWN_FEATURE",
    summarize(issues.map((i) => i.detail)),
    issues,
    problems.length > 0 ? { suggestions } : {},
  );
}

function planFilters(
  state: CatalogState,
  entity: EntityInfo,
  defs: DatasetFilter[],
  sourceOf: (view: CatalogView, relation?: string) => Source,
  now: number,
): PlannedFilter[] {
  const planned: PlannedFilter[] = [];
  for (const def of defs) {
    const { columns, problems } = resolveReferences(state, entity, [def.feature], now);
    const f = columns[0];
    const view = f && state.byKey.get(f.viewKey);
    const info = view?.featureByName.get(f?.feature ?? "");
    if (!f || !view || !info) {
      throw datasetError(
        "CONFLICT",
        `The dataset's filter on ${def.feature} no longer resolves: ${problems[0]?.detail}`,
      );
    }
    const { feature: _, ...rest } = def;
    planned.push({ ...rest, source: sourceOf(view, f.relation), field: f.feature, pgType: info.pg_type });
  }
  return planned;
}
