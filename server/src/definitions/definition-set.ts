import { KEY_COLUMN } from "./compile/select";
import type { ErrorReporter } from "./errors";
import { parseFeatureRef, type RefScope, type ResolvedFeature, resolveRefs, type ViewCatalog } from "./refs";
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
    versions.set(view.version, {
      features: view.features.map((f) => f.name),
      status: view.status,
      entity: view.entity,
    });
    catalog.set(view.name, versions);
  }
  return catalog;
}

/** What references written for `entity` may reach: its views, and its relations' entities' views. */
export function refScope(catalog: Catalog, entity: string): RefScope {
  const relations = catalog.entities.find((e) => e.def.name === entity)?.def.relations ?? {};
  return { entity, relations };
}

/** The concrete features a service or dataset of `entity` names (refs resolved against the catalog). */
export function resolveCatalogRefs(catalog: Catalog, refs: string[], entity: string): ResolvedFeature[] {
  return resolveRefs(refs, viewCatalog(catalog.views.map((v) => v.def)), refScope(catalog, entity)).resolved;
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
  for (const e of catalog.entities) {
    once(`entity ${e.def.name}`, e);
    checkKey(e, reporter.inContext(e.file, e.where));
  }
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
  for (const e of catalog.entities) checkRelations(catalog, e, views, reporter.inContext(e.file, e.where));
  const checkRefs = (refs: string[], entity: string, here: ErrorReporter) => {
    const { resolved, errors } = resolveRefs(refs, views, refScope(catalog, entity));
    for (const e of errors) {
      if (!catalog.refused.has(parseFeatureRef(e.ref)?.view ?? "")) here.error(`${e.ref} ${e.message}`);
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

/**
 * A relation's key is a pinned feature of one of the entity's own views whose type is the related
 * entity's key type; relations go one hop (a related entity's own relations are not followed).
 */
function checkRelations(
  catalog: Catalog,
  { def }: Located<EntityDefinition>,
  views: ViewCatalog,
  reporter: ErrorReporter,
): void {
  for (const [name, relation] of Object.entries(def.relations)) {
    const here = reporter.inContext(`relation ${name}`);
    const target = catalog.entities.find((e) => e.def.name === relation.entity)?.def;
    if (!target) {
      here.error(`entity ${relation.entity} is not defined`);
      continue;
    }
    if (target.name === def.name) here.error("relates the entity to itself");
    const ref = parseFeatureRef(relation.key);
    if (!ref || ref.relation || ref.version === "latest" || ref.feature === "*") {
      here.error(`key ${relation.key} must be a pinned reference view@version:feature`);
      continue;
    }
    const view = views.get(ref.view)?.get(ref.version);
    if (!view) {
      if (!catalog.refused.has(ref.view))
        here.error(`key ${relation.key} refers to a view version that does not exist`);
      continue;
    }
    if (view.entity !== def.name)
      here.error(`key ${relation.key} is a feature of entity ${view.entity}, not ${def.name}`);
    const feature = catalog.views
      .find((v) => v.def.name === ref.view && v.def.version === ref.version)
      ?.def.features.find((f) => f.name === ref.feature);
    if (!feature) {
      here.error(`key ${relation.key}: ${ref.view}@${ref.version} has no feature ${ref.feature}`);
      continue;
    }
    const wanted = target.key.type === "int" ? "int" : "string";
    if (feature.type !== wanted) {
      here.error(`key ${relation.key} is ${feature.type}, but entity ${target.name}'s key is ${wanted}`);
    }
  }
}

/** Views are compiled keyed by their entity's column; an entity written otherwise could not be read. */
function checkKey({ def }: Located<EntityDefinition>, here: ErrorReporter): void {
  const { name, type } = KEY_COLUMN[def.name];
  if (def.key.column !== name || def.key.type !== type) {
    here.error(`must be { column: ${name}, type: ${type} }: ${def.name} views are keyed by it`, "key");
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
