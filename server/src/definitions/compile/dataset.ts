import type { Located } from "../catalog";
import type { ErrorReporter } from "../errors";
import type { ResolvedFeature } from "../refs";
import { type DatasetDefinition, FILTER_SQL_OPERATORS } from "../schema";
import { type CompiledQuery, ident, ParamAllocator } from "./params";
import type { CompiledView } from "./view";

export type DatasetColumn = ResolvedFeature & { column: string; type: string; pgType: string };
export type CompiledDataset = { columns: DatasetColumn[]; query: CompiledQuery };

/**
 * A download's rows: one per entity present in every view the dataset reads, a column per
 * feature (named view__feature, so two views' `sentiment` never collide), filters bound as
 * parameters of the feature's own type.
 */
export function compileDataset(
  { def }: Located<DatasetDefinition>,
  features: ResolvedFeature[],
  filters: ResolvedFeature[],
  views: CompiledView[],
  reporter: ErrorReporter,
): CompiledDataset | undefined {
  const find = (r: ResolvedFeature) => views.find((v) => v.name === r.view && v.version === r.version);
  const tables = new Map<string, CompiledView>();
  const columns: DatasetColumn[] = [];
  for (const r of features) {
    const view = find(r);
    const column = view?.columns.find((c) => c.name === r.feature);
    if (!view || !column) continue;
    tables.set(view.table, view);
    const name = `${r.view}__${r.feature}`;
    if (columns.some((c) => c.column === name)) {
      reporter.error(`${r.ref} collides with another version's ${name}; take one version per view`);
      continue;
    }
    columns.push({ ...r, column: name, type: column.type, pgType: column.pgType });
  }
  const p = new ParamAllocator();
  const where: string[] = [];
  def.filters.forEach((filter, i) => {
    const r = filters[i];
    const view = r && find(r);
    const column = view?.columns.find((c) => c.name === r?.feature);
    if (!view || !column) return;
    tables.set(view.table, view);
    const target = `${ident(view.table)}.${ident(column.name)}`;
    if (filter.op === "is_null") where.push(`${target} is null`);
    else if (filter.op === "not_null") where.push(`${target} is not null`);
    else where.push(`${target} ${FILTER_SQL_OPERATORS[filter.op]} ${p.value(filter.value, column.pgType)}`);
  });
  const [first, ...rest] = [...tables.values()];
  if (!first) return undefined;
  const key = ident(first.key.name);
  const lines = [
    `select ${ident(first.table)}.${key}, ${columns
      .map((c) => {
        const view = find(c) as CompiledView;
        return `${ident(view.table)}.${ident(c.feature)} as ${ident(c.column)}`;
      })
      .join(", ")}`,
    `from ${ident(first.table)}`,
    ...rest.map((v) => `join ${ident(v.table)} on ${ident(v.table)}.${key} = ${ident(first.table)}.${key}`),
  ];
  if (where.length > 0) lines.push(`where ${where.join("\n  and ")}`);
  lines.push(`order by ${ident(first.table)}.${key}`);
  return { columns, query: p.query(lines.join("\n")) };
}
