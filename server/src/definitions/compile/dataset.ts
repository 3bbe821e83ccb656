import type { Located } from "../definition-set";
import type { ErrorReporter } from "../errors";
import type { ResolvedFeature } from "../refs";
import { parseFeatureRef } from "../refs";
import { type DatasetDefinition, FILTER_SQL_OPERATORS, type RelationDefinition } from "../schema";
import { type CompiledQuery, ident, ParamAllocator } from "./params";
import { type CompiledView, tableName } from "./view";

export type DatasetColumn = ResolvedFeature & { column: string; type: string; pgType: string };
export type CompiledDataset = { columns: DatasetColumn[]; query: CompiledQuery };

/** A dataset column's name: view__feature, or relation__view__feature for a related entity's feature. */
export function datasetColumnName(r: Pick<ResolvedFeature, "view" | "feature" | "relation">): string {
  return `${r.relation ? `${r.relation}__` : ""}${r.view}__${r.feature}`;
}

/**
 * A download's rows: one per entity present in every view the dataset reads, a column per
 * feature (named view__feature, so two views' `sentiment` never collide), filters bound as
 * parameters of the feature's own type. A related entity's views are left-joined on the key its
 * relation's feature holds: a track whose artist has no row keeps its row, with nulls.
 */
export function compileDataset(
  { def }: Located<DatasetDefinition>,
  features: ResolvedFeature[],
  filters: ResolvedFeature[],
  views: CompiledView[],
  relations: Readonly<Record<string, RelationDefinition>>,
  reporter: ErrorReporter,
): CompiledDataset | undefined {
  const find = (r: { view: string; version: number }) =>
    views.find((v) => v.name === r.view && v.version === r.version);
  const tables = new Map<string, CompiledView>();
  const related = new Map<string, { view: CompiledView; relation: string }>();
  /** The qualifier of a feature's table in the query, joining what it needs on the way. */
  const qualifier = (r: ResolvedFeature, view: CompiledView): string | undefined => {
    if (!r.relation) {
      tables.set(view.table, view);
      return ident(view.table);
    }
    const key = parseFeatureRef(relations[r.relation]?.key ?? "");
    const keyView =
      key && key.version !== "latest" ? find({ view: key.view, version: key.version }) : undefined;
    if (!keyView) return undefined;
    tables.set(keyView.table, keyView);
    const alias = `${r.relation}__${view.table}`;
    related.set(alias, { view, relation: r.relation });
    return ident(alias);
  };
  const columns: (DatasetColumn & { qualifier: string })[] = [];
  for (const r of features) {
    const view = find(r);
    const column = view?.columns.find((c) => c.name === r.feature);
    const at = view && column && qualifier(r, view);
    if (!view || !column || !at) continue;
    const name = datasetColumnName(r);
    if (columns.some((c) => c.column === name)) {
      reporter.error(`${r.ref} collides with another version's ${name}; take one version per view`);
      continue;
    }
    columns.push({ ...r, column: name, type: column.type, pgType: column.pgType, qualifier: at });
  }
  const p = new ParamAllocator();
  const where: string[] = [];
  def.filters.forEach((filter, i) => {
    const r = filters[i];
    const view = r && find(r);
    const column = view?.columns.find((c) => c.name === r?.feature);
    const at = r && view && column && qualifier(r, view);
    if (!view || !column || !at) return;
    const target = `${at}.${ident(column.name)}`;
    if (filter.op === "is_null") where.push(`${target} is null`);
    else if (filter.op === "not_null") where.push(`${target} is not null`);
    else where.push(`${target} ${FILTER_SQL_OPERATORS[filter.op]} ${p.value(filter.value, column.pgType)}`);
  });
  const [first, ...rest] = [...tables.values()];
  if (!first) return undefined;
  const key = ident(first.key.name);
  const relatedJoins = [...related].map(([alias, { view, relation }]) => {
    const ref = parseFeatureRef(relations[relation]?.key ?? "");
    const keyTable = tableName("feature_view", ref?.view ?? "", Number(ref?.version));
    return (
      `left join ${ident(view.table)} ${ident(alias)} on ${ident(alias)}.${ident(view.key.name)} = ` +
      `${ident(keyTable)}.${ident(ref?.feature ?? "")}`
    );
  });
  const lines = [
    `select ${ident(first.table)}.${key}, ${columns.map((c) => `${c.qualifier}.${ident(c.feature)} as ${ident(c.column)}`).join(", ")}`,
    `from ${ident(first.table)}`,
    ...rest.map((v) => `join ${ident(v.table)} on ${ident(v.table)}.${key} = ${ident(first.table)}.${key}`),
    ...relatedJoins,
  ];
  if (where.length > 0) lines.push(`where ${where.join("\n  and ")}`);
  lines.push(`order by ${ident(first.table)}.${key}`);
  return { columns: columns.map(({ qualifier: _, ...c }) => c), query: p.query(lines.join("\n")) };
}
