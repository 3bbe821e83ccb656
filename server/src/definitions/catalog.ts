import type { ErrorReporter } from "./errors";
import { type ResolvedFeature, resolveRefs, type ViewCatalog } from "./refs";
import type {
  DatasetDefinition,
  EmbeddingDefinition,
  EntityDefinition,
  FeatureServiceDefinition,
  FeatureViewDefinition,
} from "./schema";

/** A definition and where it was written, for messages. */
export type Located<T> = { def: T; file: string; where: string };

export type Catalog = {
  entities: Located<EntityDefinition>[];
  views: Located<FeatureViewDefinition>[];
  embeddings: Located<EmbeddingDefinition>[];
  services: Located<FeatureServiceDefinition>[];
  datasets: Located<DatasetDefinition>[];
  /** Views whose definition was refused; references to them are not reported a second time. */
  refused: Set<string>;
};

export function emptyCatalog(): Catalog {
  return { entities: [], views: [], embeddings: [], services: [], datasets: [], refused: new Set() };
}

export function viewCatalog(views: FeatureViewDefinition[]): ViewCatalog {
  const catalog: ViewCatalog = new Map();
  for (const view of views) {
    const versions = catalog.get(view.name) ?? new Map();
    versions.set(view.version, { features: view.features.map((f) => f.name), status: view.status });
    catalog.set(view.name, versions);
  }
  return catalog;
}

/** The concrete features a service or dataset names (refs resolved against the catalog). */
export function resolveCatalogRefs(catalog: Catalog, refs: string[]): ResolvedFeature[] {
  return resolveRefs(refs, viewCatalog(catalog.views.map((v) => v.def))).resolved;
}

export function datasetRefs(catalog: Catalog, dataset: DatasetDefinition): string[] {
  if (dataset.features) return dataset.features;
  return catalog.services.find((s) => s.def.name === dataset.service)?.def.features ?? [];
}

/** Checks across definitions: duplicates, entities, sources, lifecycles and references. */
export function validateCatalog(catalog: Catalog, reporter: ErrorReporter): void {
  const entities = new Set(catalog.entities.map((e) => e.def.name));
  const seen = new Map<string, string>();
  const once = (key: string, at: Located<unknown>) => {
    const first = seen.get(key);
    if (first) reporter.inContext(at.file, at.where).error(`is defined twice (first in ${first})`);
    else seen.set(key, at.file);
  };
  for (const e of catalog.entities) once(`entity ${e.def.name}`, e);
  for (const located of [...catalog.views, ...catalog.embeddings]) {
    const { def } = located;
    const here = reporter.inContext(located.file, located.where);
    once(`${def.kind} ${def.name}@${def.version}`, located);
    if (!entities.has(def.entity))
      here.error(`entity ${def.entity} is not defined (add an entity definition)`);
    if (def.status === "deprecated" && !def.sunset) here.error("a deprecated version needs a sunset date");
    if (def.status === "active" && def.sunset) here.error("only a deprecated version has a sunset date");
  }
  for (const located of catalog.views) checkView(located, reporter.inContext(located.file, located.where));

  const views = viewCatalog(catalog.views.map((v) => v.def));
  const viewEntity = new Map(catalog.views.map((v) => [v.def.name, v.def.entity]));
  const checkRefs = (refs: string[], entity: string, here: ErrorReporter) => {
    const { resolved, errors } = resolveRefs(refs, views);
    for (const e of errors) {
      if (!catalog.refused.has(e.ref.split(/[@:]/)[0] ?? "")) here.error(`${e.ref} ${e.message}`);
    }
    for (const r of resolved) {
      if (viewEntity.get(r.view) !== entity)
        here.error(`${r.ref} belongs to entity ${viewEntity.get(r.view)}`);
    }
    return resolved;
  };
  for (const s of catalog.services) {
    once(`feature_service ${s.def.name}`, s);
    checkRefs(s.def.features, s.def.entity, reporter.inContext(s.file, s.where));
  }
  for (const d of catalog.datasets) {
    once(`dataset ${d.def.name}`, d);
    const here = reporter.inContext(d.file, d.where);
    if (!d.def.features === !d.def.service) {
      here.error("name either features or a service");
      continue;
    }
    if (d.def.service && !catalog.services.some((s) => s.def.name === d.def.service)) {
      here.error(`service ${d.def.service} is not defined`);
      continue;
    }
    const resolved = checkRefs(datasetRefs(catalog, d.def), d.def.entity, here);
    for (const r of resolved) {
      const feature = catalog.views
        .find((v) => v.def.name === r.view && v.def.version === r.version)
        ?.def.features.find((f) => f.name === r.feature);
      if (feature && /^\s*(t\.)?lyrics\s*$/.test(feature.expr)) {
        here.error(`${r.ref} is the raw lyrics text, which datasets never contain`);
      }
    }
    checkRefs(
      d.def.filters.map((f) => f.feature),
      d.def.entity,
      here.inContext("filters"),
    );
    d.def.filters.forEach((f, i) => {
      const needsValue = f.op !== "is_null" && f.op !== "not_null";
      if (needsValue !== (f.value !== undefined)) {
        here.error(needsValue ? `${f.op} needs a value` : `${f.op} takes no value`, `filters[${i}]`);
      }
    });
  }
}

function checkView({ def }: Located<FeatureViewDefinition>, here: ErrorReporter): void {
  const names = new Set<string>();
  for (const f of def.features) {
    if (names.has(f.name)) here.error("is defined twice in this view", `feature ${f.name}`);
    names.add(f.name);
  }
  const { source } = def;
  const aggregate = source.pick === "aggregate";
  if (def.entity === "artist" && !aggregate) {
    here.error("an artist view aggregates tracks: use pick: aggregate", "source");
  }
  if (def.entity === "track" && source.from === "tracks" && aggregate) {
    here.error("a track view over tracks reads one row per track: use pick: row", "source");
  }
  if (source.from === "analyses" && source.pick === "by_analyzer" && source.analyzers.length < 2) {
    here.error("by_analyzer needs at least two analyzers in preference order", "source");
  }
}
