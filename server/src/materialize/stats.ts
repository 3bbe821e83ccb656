import { ident } from "../definitions/compile/params";

/** Rows above which quantiles are taken from a systematic sample: sorting every column is the cost. */
export const QUANTILE_SAMPLE_ROWS = 20_000;

const QUANTILES = [0.05, 0.25, 0.5, 0.75, 0.95];
const TOP = 5;

/**
 * One statement computing every feature's statistics over `relation` (optionally only the given
 * keys): null count and rate; min/max/mean/quantiles for numbers; min/max/quantiles for
 * timestamps; lengths for lists; distinct count and top values for labels. Each label column is
 * grouped once (a hash aggregate gives both its distinct count and its top values), and numbers
 * are sorted once for all quantiles, to keep runs cheap. Histograms are counted afterwards
 * (histogram.ts): their range comes from these quantiles.
 */
export function statsQuery(
  relation: string,
  key: string,
  columns: { name: string; type: string }[],
  onlyKeys: boolean,
  sampleEvery = 1,
): string {
  const sampled = sampleEvery > 1 ? ` filter (where ${ident(key)} % ${Math.floor(sampleEvery)} = 0)` : "";
  const from = `${ident(relation)}${onlyKeys ? ` where ${ident(key)} = any($1)` : ""}`;
  const parts = columns.map((c) => {
    const col = ident(c.name);
    const fields: string[] = [
      `'type', ${literal(c.type)}`,
      `'count', count(${col})`,
      `'null_count', count(*) - count(${col})`,
      `'null_rate', 1 - count(${col})::float8 / nullif(count(*), 0)`,
    ];
    if (c.type === "int" || c.type === "float") {
      const quantiles = `percentile_cont(array[${QUANTILES.join(", ")}]) within group (order by ${col}::float8)${sampled}`;
      fields.push(
        `'min', min(${col})`,
        `'max', max(${col})`,
        `'mean', avg(${col})::float8`,
        // The same aggregate call repeated is computed once by PostgreSQL.
        `'quantiles', jsonb_build_object(${QUANTILES.map((q, i) => `'p${Math.round(q * 100)}', (${quantiles})[${i + 1}]`).join(", ")})`,
      );
    } else if (c.type === "timestamp") {
      // percentile_cont interpolates numbers only; a timestamp takes the nearest row's value.
      const quantiles = `percentile_disc(array[${QUANTILES.join(", ")}]) within group (order by ${col})${sampled}`;
      fields.push(
        `'min', min(${col})`,
        `'max', max(${col})`,
        `'quantiles', jsonb_build_object(${QUANTILES.map((q, i) => `'p${Math.round(q * 100)}', (${quantiles})[${i + 1}]`).join(", ")})`,
      );
    } else if (c.type === "string[]" || c.type === "float[]") {
      const length = `cardinality(${col})`;
      fields.push(
        `'min_length', min(${length})`,
        `'max_length', max(${length})`,
        `'mean_length', avg(${length})::float8`,
      );
    }
    return `jsonb_build_object(${fields.join(", ")})${labels(c, from, onlyKeys)} as ${ident(c.name)}`;
  });
  return `select count(*)::int as "__rows", ${parts.join(",\n  ")}\nfrom ${from}`;
}

function labels(c: { name: string; type: string }, from: string, onlyKeys: boolean): string {
  if (c.type !== "string" && c.type !== "bool") return "";
  const col = ident(c.name);
  const groups = `select ${col} as v, count(*) as n from ${from}${onlyKeys ? " and" : " where"} ${col} is not null group by ${col}`;
  return (
    ` || (select jsonb_build_object('distinct_count', count(*), 'top_values', ` +
    `coalesce(jsonb_agg(jsonb_build_object('value', v, 'count', n) order by n desc, v) filter (where rank <= ${TOP}), '[]')) ` +
    `from (select v, n, row_number() over (order by n desc, v) as rank from (${groups}) g) ranked)`
  );
}

function literal(value: string): string {
  return `'${value.replaceAll("'", "''")}'`;
}
