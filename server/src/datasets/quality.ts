import { type Sql, sqlParams } from "../db/database";
import { ident } from "../definitions/compile/params";
import type { OutputColumn } from "./columns";
import type { DatasetPlan } from "./plan";
import { rowsStatement } from "./query";
import type { Snapshot } from "./snapshot";
import { formatTimestamp } from "./timestamps";

export type ColumnQuality = {
  null_rate: number;
  min?: number | string | null;
  max?: number | string | null;
  mean?: number | null;
  distinct?: number;
  true_rate?: number | null;
  /** For lists and vectors: the fewest and most items in one value. */
  min_items?: number | null;
  max_items?: number | null;
};

export type Duplicates = {
  columns: string[];
  /** Groups of rows sharing those columns (case-insensitive), and the rows in them. */
  groups: number;
  rows: number;
  examples: { values: string[]; keys: unknown[] }[];
};

export type Quality = { columns: Record<string, ColumnQuality>; duplicates: Duplicates | null };

/** Statistics of exactly the rows the download holds, read in its snapshot. */
export async function measureQuality(snapshot: Snapshot, plan: DatasetPlan): Promise<Quality> {
  const { columns } = snapshot;
  const rows = rowsStatement(snapshot.rows, plan.limit);
  const parts: string[] = ["count(*)::float8 as rows"];
  columns.forEach((c, i) => {
    parts.push(...aggregates(c, `c${i}`));
  });
  const [row] = await snapshot.read((tx) =>
    tx.unsafe<Record<string, number | null>[]>(
      `with d as (${rows.text}) select ${parts.join(", ")} from d`,
      sqlParams(rows.params),
    ),
  );
  const total = row?.rows ?? 0;
  const result: Record<string, ColumnQuality> = {};
  columns.forEach((c, i) => {
    result[c.name] = read(c, `c${i}`, row ?? {}, total);
  });
  const duplicates =
    plan.entity.name === "track"
      ? await snapshot.read((tx) => duplicatePairs(tx, rows, plan.key.name))
      : null;
  return { columns: result, duplicates };
}

function aggregates(column: OutputColumn, alias: string): string[] {
  const c = ident(column.name);
  const parts = [`count(${c})::float8 as ${alias}_n`];
  switch (column.kind) {
    case "int":
    case "float":
      parts.push(`min(${c})::float8 as ${alias}_min`, `max(${c})::float8 as ${alias}_max`);
      parts.push(`avg(${c})::float8 as ${alias}_mean`);
      break;
    case "timestamp":
      parts.push(`min(${c}) as ${alias}_min`, `max(${c}) as ${alias}_max`);
      break;
    case "bool":
      parts.push(`avg(case when ${c} then 1.0 when not ${c} then 0.0 end)::float8 as ${alias}_true`);
      break;
    case "string":
    case "json":
      parts.push(`count(distinct ${c})::float8 as ${alias}_distinct`);
      break;
    default:
      parts.push(
        `min(cardinality(${c}))::float8 as ${alias}_lo`,
        `max(cardinality(${c}))::float8 as ${alias}_hi`,
      );
  }
  return parts;
}

function read(
  column: OutputColumn,
  alias: string,
  row: Record<string, unknown>,
  total: number,
): ColumnQuality {
  const n = Number(row[`${alias}_n`] ?? 0);
  const quality: ColumnQuality = { null_rate: total === 0 ? 0 : (total - n) / total };
  const value = (suffix: string) => (row[`${alias}_${suffix}`] ?? null) as number | null;
  switch (column.kind) {
    case "int":
    case "float":
      return { ...quality, min: value("min"), max: value("max"), mean: value("mean") };
    case "timestamp": {
      const time = (v: number | null) => (v === null ? null : formatTimestamp(v));
      return { ...quality, min: time(value("min")), max: time(value("max")) };
    }
    case "bool":
      return { ...quality, true_rate: value("true") };
    case "string":
    case "json":
      return { ...quality, distinct: value("distinct") ?? 0 };
    default:
      return { ...quality, min_items: value("lo"), max_items: value("hi") };
  }
}

/** Tracks sharing an (artist, title) pair, ignoring case: the corpus's known duplicates. */
async function duplicatePairs(
  tx: Sql,
  rows: { text: string; params: unknown[] },
  key: string,
): Promise<Duplicates> {
  const groups = await tx.unsafe<{ artist: string; title: string; keys: number[]; n: number }[]>(
    `with d as (${rows.text})
     select min(t.artist) as artist, min(t.title) as title, array_agg(t.id order by t.id) as keys, count(*)::float8 as n
     from d join tracks t on t.id = d.${ident(key)}
     group by lower(t.artist), lower(t.title) having count(*) > 1
     order by min(t.id)`,
    sqlParams(rows.params),
  );
  return {
    columns: ["artist", "title"],
    groups: groups.length,
    rows: groups.reduce((sum, g) => sum + g.n, 0),
    examples: groups.slice(0, 5).map((g) => ({ values: [g.artist, g.title], keys: g.keys })),
  };
}
