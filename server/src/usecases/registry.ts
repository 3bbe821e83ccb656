import { DomainError } from "../errors";
import {
  type DatasetInfo,
  type EmbeddingInfo,
  type EntityInfo,
  type FeatureServiceInfo,
  getViewVersion,
  listDatasets,
  listEmbeddings,
  listEntities,
  listViews,
  type ViewVersion,
  type ViewVersionDetail,
} from "../registry";
import type { Resolution } from "../serving";
import { statsDrift } from "../serving";
import { closeMatches } from "../serving/suggest";
import type { Services } from "./context";

export const entities = (services: Services): Promise<EntityInfo[]> => listEntities(services.sql);

export const embeddings = (services: Services): Promise<EmbeddingInfo[]> => listEmbeddings(services.sql);

export const datasets = (services: Services): Promise<DatasetInfo[]> => listDatasets(services.sql);

export type ViewFilter = {
  entity?: string | undefined;
  status?: ViewVersion["status"] | undefined;
  tag?: string | undefined;
  /** Only the versions `view:feature` resolves to (true), or only the others (false). */
  latest?: boolean | undefined;
  /** Text in the name, description or a feature name. */
  text?: string | undefined;
};

/** Whether a version serves its sources' changes within its objective, as this process's scheduler saw last. */
export type ServedFreshness = {
  objectiveSeconds: number;
  /** null: nothing measures it here (RAPFS_FRESHNESS=off, or before the first look). */
  lagSeconds: number | null;
  pendingChanges: number | null;
  status: "fresh" | "behind" | "unmonitored";
  /** Analyses its runs skip because it cannot read them (null: nothing measures it here). */
  quarantinedAnalyses: number | null;
};

export type ViewWithFreshness = ViewVersion & { freshness: ServedFreshness };

function withFreshness<T extends ViewVersion>(
  services: Services,
  view: T,
): T & { freshness: ServedFreshness } {
  const ref = `${view.name}@${view.version}`;
  const seen = services.freshness.views().find((v) => v.view === ref && v.kind === "feature_view");
  const objectiveSeconds = view.freshnessSeconds ?? services.config.freshness.defaultObjectiveSeconds;
  return {
    ...view,
    freshness: seen
      ? {
          objectiveSeconds,
          lagSeconds: seen.lagSeconds,
          pendingChanges: seen.pendingChanges,
          status: seen.status,
          quarantinedAnalyses: seen.quarantinedAnalyses,
        }
      : {
          objectiveSeconds,
          lagSeconds: null,
          pendingChanges: null,
          status: "unmonitored",
          quarantinedAnalyses: null,
        },
  };
}

export async function views(services: Services, filter: ViewFilter = {}): Promise<ViewWithFreshness[]> {
  const text = filter.text?.toLowerCase();
  const all = (await listViews(services.sql, filter.entity ? { entity: filter.entity } : {})).map((v) =>
    withFreshness(services, v),
  );
  return all.filter(
    (v) =>
      (!filter.status || v.status === filter.status) &&
      (!filter.tag || v.tags.includes(filter.tag)) &&
      (filter.latest === undefined || v.isLatest === filter.latest) &&
      (!text ||
        v.name.includes(text) ||
        v.description.toLowerCase().includes(text) ||
        v.features.some((f) => f.name.includes(text))),
  );
}

/** One dataset by name; an unknown one is NOT_FOUND with the closest names. */
export async function dataset(services: Services, name: string): Promise<DatasetInfo> {
  const all = await listDatasets(services.sql);
  const found = all.find((d) => d.name === name);
  if (found) return found;
  throw new DomainError("NOT_FOUND", `There is no dataset ${name}.`, {
    extensions: {
      suggestions: closeMatches(
        name,
        all.map((d) => d.name),
      ),
    },
  });
}

/** Every version of a view, oldest first; an unknown view is NOT_FOUND with the closest names. */
export async function viewVersions(services: Services, name: string): Promise<ViewWithFreshness[]> {
  const all = await listViews(services.sql);
  const versions = all.filter((v) => v.name === name).map((v) => withFreshness(services, v));
  if (versions.length > 0) return versions;
  throw new DomainError("NOT_FOUND", `There is no feature view ${name}.`, {
    extensions: {
      suggestions: closeMatches(
        name,
        all.map((v) => v.name),
      ),
    },
  });
}

export type ViewVersionReport = {
  view: ViewVersionDetail & { freshness: ServedFreshness };
  /** The statistics' drift against the previous version still served, if both have statistics. */
  drift: { against: string; features: ReturnType<typeof statsDrift> } | null;
  /** The latest version, when this one is not. */
  successor: string | null;
};

/** One view version with its compiled SQL, statistics, drift and successor. */
export async function viewVersion(
  services: Services,
  name: string,
  version: number,
): Promise<ViewVersionReport> {
  const { sql } = services;
  const view = await getViewVersion(sql, name, version);
  const versions = (await listViews(sql)).filter((v) => v.name === name);
  if (!view) {
    throw new DomainError("NOT_FOUND", `There is no feature view ${name}@${version}.`, {
      extensions: { suggestions: versions.map((v) => `${v.name}@${v.version}`) },
    });
  }
  const previous = versions.filter((v) => v.version < version && v.status !== "retired").at(-1);
  const before = previous ? await getViewVersion(sql, name, previous.version) : undefined;
  const latest = versions.find((v) => v.isLatest);
  return {
    view: withFreshness(services, view),
    drift:
      view.stats && before?.stats
        ? { against: `${name}@${before.version}`, features: statsDrift(view.stats, before.stats) }
        : null,
    successor: latest && latest.version > version ? `${name}@${latest.version}` : null,
  };
}

/** A feature service as stored, and what its references resolve to now (or why they do not). */
export type ServiceReport = { service: FeatureServiceInfo; resolved: Resolution | Error };

export async function featureServices(services: Services): Promise<ServiceReport[]> {
  const state = await services.serving.catalog.current();
  return Promise.all([...state.services.values()].map((s) => resolveService(services, s)));
}

/** One feature service; an unknown one is NOT_FOUND with the closest names. */
export async function featureService(services: Services, name: string): Promise<ServiceReport> {
  const state = await services.serving.catalog.current();
  const service = state.services.get(name);
  if (service) return resolveService(services, service);
  throw new DomainError("NOT_FOUND", `There is no feature service ${name}.`, {
    extensions: { suggestions: closeMatches(name, state.services.keys()) },
  });
}

async function resolveService(services: Services, service: FeatureServiceInfo): Promise<ServiceReport> {
  const selection = { service: service.name, in: "query", field: "service" } as const;
  const resolved = await services.serving.features.resolve(service.entity, selection).catch((e: Error) => e);
  return { service, resolved };
}
