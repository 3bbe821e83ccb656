import { ident } from "../definitions/compile/params";

export type StatsColumn = { name: string; type: string };

/** What one key range of a table holds of one column: enough to merge into the table's statistics. */
export type ColumnPartial = {
  count: number;
  null_count: number;
  min?: number | string | null;
  max?: number | string | null;
  sum?: number | null;
  /** Values of the quantile sample, in no particular order: numbers, or timestamps as JSON text. */
  sample?: (number | string)[] | null;
  min_length?: number | null;
  max_length?: number | null;
  sum_length?: number | null;
  /** Labels: rows per value, keyed by the value as text. */
  groups?: Record<string, number>;
};

export type SlicePartials = {
  rows: number;
  /** The slice's last key: the next slice starts after it. */
  last: unknown;
  /** The view's last run as this statement saw it: slices that saw different runs are not merged. */
  run: number | null;
  columns: Record<string, ColumnPartial>;
};

export const isNumber = (type: string) => type === "int" || type === "float";
export const isLabel = (type: string) => type === "string" || type === "bool";
export const isList = (type: string) => type.endsWith("[]");

/**
 * The rows of one slice: up to `$3` rows after key `$4` (from the first row without a lower
 * bound), or, with `upTo`, the rows after `$4` up to and including key `$3`. Keyset order on
 * the primary key: each slice is an index range scan, never a scan of the table. (`$1`, `$2`
 * are the view's name and version.)
 */
export function sliceRows(
  table: string,
  key: string,
  columns: StatsColumn[],
  bounds: { after: boolean; upTo: boolean },
): string {
  const k = ident(key);
  const conditions = [bounds.after ? `${k} > $4` : "", bounds.upTo ? `${k} <= $3` : ""].filter(Boolean);
  const where = conditions.length > 0 ? ` where ${conditions.join(" and ")}` : "";
  const limit = bounds.upTo ? "" : " limit $3";
  const list = [k, ...columns.map((c) => ident(c.name))].join(", ");
  return `(select ${list} from ${ident(table)}${where} order by ${k}${limit})`;
}

/**
 * One statement giving a slice's partial statistics: counts, sums, extremes, the quantile sample
 * (every `sampleEvery`-th key, as statsQuery samples) and each label's rows per value; with the
 * view's last run id read in the same snapshot.
 */
export function slicePartialsQuery(
  rows: string,
  key: string,
  columns: StatsColumn[],
  registryTable: string,
  sampleEvery: number,
): string {
  const sampled = (col: string) =>
    `${col} is not null${sampleEvery > 1 ? ` and ${ident(key)} % ${Math.floor(sampleEvery)} = 0` : ""}`;
  const parts = columns.map((c) => {
    const col = ident(c.name);
    const fields = [`'count', count(${col})`, `'null_count', count(*) - count(${col})`];
    if (isNumber(c.type)) {
      fields.push(
        `'min', min(${col})`,
        `'max', max(${col})`,
        `'sum', sum(${col})`,
        `'sample', to_jsonb(array_agg(${col}::float8) filter (where ${sampled(col)}))`,
      );
    } else if (c.type === "timestamp") {
      fields.push(
        `'min', min(${col})`,
        `'max', max(${col})`,
        `'sample', to_jsonb(array_agg(${col}) filter (where ${sampled(col)}))`,
      );
    } else if (isList(c.type)) {
      const length = `cardinality(${col})`;
      fields.push(
        `'min_length', min(${length})`,
        `'max_length', max(${length})`,
        `'sum_length', sum(${length})`,
      );
    } else if (isLabel(c.type)) {
      fields.push(
        `'groups', (select coalesce(jsonb_object_agg(v, n), '{}') from (select ${col}::text as v, count(*) as n ` +
          `from s where ${col} is not null group by ${col}) g)`,
      );
    }
    return `jsonb_build_object(${fields.join(", ")}) as ${ident(c.name)}`;
  });
  return (
    `with s as materialized ${rows}\n` +
    `select count(*)::int as "__rows", max(${ident(key)}) as "__last",\n` +
    `  ${lastRunOf(registryTable)} as "__run",\n` +
    `  ${parts.join(",\n  ")}\nfrom s`
  );
}

/** The view's last run id, read in the statement's own snapshot (`$1`, `$2`: its name and version). */
export const lastRunOf = (registryTable: string) =>
  `(select last_run_id from ${ident(registryTable)} where name = $1 and version = $2)::int`;

/** A slice's row of slicePartialsQuery as partials. */
export function toPartials(row: Record<string, unknown>, columns: StatsColumn[]): SlicePartials {
  const out: SlicePartials = {
    rows: Number(row.__rows),
    last: row.__last,
    run: row.__run == null ? null : Number(row.__run),
    columns: {},
  };
  for (const c of columns) out.columns[c.name] = row[c.name] as ColumnPartial;
  return out;
}
