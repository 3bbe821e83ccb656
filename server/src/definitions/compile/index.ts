import { type Catalog, datasetRefs, type Located, resolveCatalogRefs } from "../definition-set";
import { ErrorReporter } from "../errors";
import type { ResolvedFeature } from "../refs";
import type {
  DatasetDefinition,
  EmbeddingDefinition,
  EntityDefinition,
  FeatureServiceDefinition,
  FeatureViewDefinition,
} from "../schema";
import { type CompiledDataset, compileDataset } from "./dataset";
import { type CompiledEmbedding, compileEmbedding } from "./embedding";
import { checkExpression } from "./expression";
import type { PreAggregate } from "./pre-aggregate";
import { splitAggregates } from "./split-aggregates";
import { PG_TYPES } from "./types";
import { type CompiledView, compileView, type ViewSpec } from "./view";

export type CompiledFeatureView = {
  located: Located<FeatureViewDefinition>;
  compiled: CompiledView;
  /** Functions each feature calls, for the database's volatility check. */
  functions: Map<string, Set<string>>;
  /** Each feature's checked expression SQL (before its cast). */
  sqlByColumn: Map<string, string>;
};

export type CompiledCatalog = {
  entities: Located<EntityDefinition>[];
  views: CompiledFeatureView[];
  embeddings: { located: Located<EmbeddingDefinition>; compiled: CompiledEmbedding }[];
  services: { located: Located<FeatureServiceDefinition>; resolved: ResolvedFeature[] }[];
  datasets: { located: Located<DatasetDefinition>; resolved: ResolvedFeature[]; compiled: CompiledDataset }[];
};

/**
 * Parses and checks every feature expression and compiles every view; all problems across all
 * files are collected and thrown together.
 */
export async function compileCatalog(catalog: Catalog): Promise<CompiledCatalog> {
  const reporter = ErrorReporter.create();
  const views: CompiledFeatureView[] = [];
  for (const located of catalog.views) {
    const view = await compileFeatureView(located, reporter.inContext(located.file, located.where));
    if (view) views.push(view);
  }
  const refs = (features: string[], entity: string) => resolveCatalogRefs(catalog, features, entity);
  const compiledViews = views.map((v) => v.compiled);
  const datasets: CompiledCatalog["datasets"] = [];
  for (const located of catalog.datasets) {
    const { entity } = located.def;
    const resolved = refs(datasetRefs(catalog, located.def), entity);
    const filters = located.def.filters.map((f) => refs([f.feature], entity)[0] as ResolvedFeature);
    const here = reporter.inContext(located.file, located.where);
    const relations = catalog.entities.find((e) => e.def.name === entity)?.def.relations ?? {};
    const compiled = compileDataset(located, resolved, filters, compiledViews, relations, here);
    if (compiled) datasets.push({ located, resolved, compiled });
  }
  reporter.throwIfAny();
  return {
    entities: catalog.entities,
    views,
    embeddings: catalog.embeddings.map((located) => ({ located, compiled: compileEmbedding(located) })),
    services: catalog.services.map((located) => ({
      located,
      resolved: refs(located.def.features, located.def.entity),
    })),
    datasets,
  };
}

export async function compileFeatureView(
  located: Located<FeatureViewDefinition>,
  reporter: ErrorReporter,
): Promise<CompiledFeatureView | undefined> {
  const { def } = located;
  const aliases = new Set(["t", ...Object.keys(def.source.join_latest ?? {})]);
  if (def.source.from === "analyses") aliases.add("a");
  const aggregate = def.source.pick === "aggregate";
  const columns: ViewSpec["columns"] = [];
  const functions = new Map<string, Set<string>>();
  let failed = false;
  for (const feature of def.features) {
    const result = await checkExpression(feature.expr, aliases);
    if (!result.ok) {
      reporter.error(`expr ${result.message}`, `feature ${feature.name}`);
      failed = true;
      continue;
    }
    if (result.value.aggregate && !aggregate) {
      reporter.error(
        "expr is an aggregate, but this view reads one row per entity (use pick: aggregate)",
        `feature ${feature.name}`,
      );
      failed = true;
      continue;
    }
    functions.set(feature.name, result.value.functions);
    columns.push({
      name: feature.name,
      type: feature.type,
      pgType: PG_TYPES[feature.type],
      sql: result.value.sql,
      tree: result.value.tree,
    });
  }
  if (failed) return undefined;
  const preAggregate =
    def.entity === "artist" && def.source.from === "tracks"
      ? await splitAll(columns.map((c) => c.sql))
      : undefined;
  const compiled = compileView({
    ...(preAggregate ? { preAggregate } : {}),
    kind: "feature_view",
    name: def.name,
    version: def.version,
    entity: def.entity,
    source: def.source,
    columns,
  });
  return { located, compiled, functions, sqlByColumn: new Map(columns.map((c) => [c.name, c.sql])) };
}

/** Every feature split into per-track inputs, or undefined when one cannot be. */
async function splitAll(sqls: string[]): Promise<PreAggregate | undefined> {
  const outers: string[] = [];
  const running: (string | undefined)[] = [];
  const totals: PreAggregate["totals"] = [];
  const inputs: string[] = [];
  for (const sql of sqls) {
    const split = await splitAggregates(sql, inputs.length + 1);
    if (!split) return undefined;
    outers.push(split.outer);
    running.push(split.running);
    totals.push(split.totals);
    inputs.push(...split.inputs);
  }
  return { outers, running, totals, inputs };
}
