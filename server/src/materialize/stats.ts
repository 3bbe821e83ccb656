import { ident } from "../definitions/compile/params";

export type ColumnStats = {
  type: string;
  null_rate: number | null;
  count: number;
  distinct_count?: number;
  min?: unknown;
  max?: unknown;
  mean?: number | null;
  quantiles?: Record<string, number> | null;
  mean_length?: number | null;
  top_values?: { value: unknown; count: number }[] | null;
};
export type RunStats = { scope: "table" | "changed"; rows: number; features: Record<string, ColumnStats> };

const QUANTILES = [0.05, 0.25, 0.5, 0.75, 0.95];
const TOP = 5;

/**
 * One statement computing every feature's statistics over `relation` (optionally only the given
 * keys): null rate; min/max/mean/quantiles for numbers; distinct counts; top values for labels.
 */
export function statsQuery(
  relation: string,
  key: string,
  columns: { name: string; type: string }[],
  onlyKeys: boolean,
): string {
  const from = `${ident(relation)}${onlyKeys ? ` where ${ident(key)} = any($1)` : ""}`;
  const parts = columns.map((c) => {
    const col = ident(c.name);
    const fields: string[] = [
      `'type', ${literal(c.type)}`,
      `'count', count(${col})`,
      `'null_rate', 1 - count(${col})::float8 / nullif(count(*), 0)`,
    ];
    if (c.type === "int" || c.type === "float") {
      fields.push(
        `'min', min(${col})`,
        `'max', max(${col})`,
        `'mean', avg(${col})::float8`,
        `'distinct_count', count(distinct ${col})`,
        // The same aggregate call repeated is computed once by PostgreSQL.
        `'quantiles', jsonb_build_object(${QUANTILES.map(
          (q, i) =>
            `'p${Math.round(q * 100)}', (percentile_cont(array[${QUANTILES.join(", ")}]) within group (order by ${col}::float8))[${i + 1}]`,
        ).join(", ")})`,
      );
    } else if (c.type === "timestamp") {
      fields.push(`'min', min(${col})`, `'max', max(${col})`, `'distinct_count', count(distinct ${col})`);
    } else if (c.type === "string" || c.type === "bool") {
      fields.push(
        `'distinct_count', count(distinct ${col})`,
        `'top_values', (select jsonb_agg(jsonb_build_object('value', v, 'count', n) order by n desc, v) from ` +
          `(select ${col} as v, count(*) as n from ${from}${onlyKeys ? " and" : " where"} ${col} is not null ` +
          `group by ${col} order by n desc, v limit ${TOP}) top)`,
      );
    } else if (c.type === "string[]" || c.type === "float[]") {
      fields.push(`'mean_length', avg(cardinality(${col}))::float8`);
    }
    return `jsonb_build_object(${fields.join(", ")}) as ${ident(c.name)}`;
  });
  return `select count(*)::int as "__rows", ${parts.join(",\n  ")}\nfrom ${from}`;
}

function literal(value: string): string {
  return `'${value.replaceAll("'", "''")}'`;
}
