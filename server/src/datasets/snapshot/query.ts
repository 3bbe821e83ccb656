import { ident } from "../../definitions/compile/params";
import { FILTER_SQL_OPERATORS } from "../../definitions/schema";
import { formatTimestamp } from "../../values/timestamps";
import { valueSql } from "../plan/columns";
import type { DatasetPlan, PlannedFilter, Source } from "../plan/dataset-plan";
import type { WorkTables } from "../point-in-time/pit";
import { keyOf, readsPointInTime } from "../point-in-time/pit-sources";

/** The rows of a download as SQL parts, so the same FROM/WHERE serves the rows, the count and the card. */
export type RowsSql = {
  /** Selected expressions, each aliased to its output column name. */
  select: string[];
  from: string;
  where: string[];
  order: string;
  /**
   * When `order` is the first column's unique key: that key in every inner-joined source, so
   * the rows can be read in key ranges (empty when they cannot).
   */
  rangeKeys: string[];
  /**
   * The table holding the first range key, and that key's column (both quoted): its index gives
   * each range's last key before the range is read. Keys 1 to `dense`, each one a row (a
   * training set's `ord`), need no lookup: the n-th key past k is k + n.
   */
  rangeTable: { table: string; key: string; dense?: number };
  params: unknown[];
};

/**
 * Current values: the materialized tables joined on the entity key (inner for views, left for
 * embeddings), the dataset's filters, ordered by key.
 */
export function currentRows(plan: DatasetPlan): RowsSql {
  const params: unknown[] = [];
  const alias = (s: Source) => `s${plan.sources.indexOf(s)}`;
  const [base] = plan.sources;
  if (base?.kind !== "view") throw new Error("a download reads at least one feature view");
  const key = `s0.${ident(base.key)}`;
  const joins = plan.sources.slice(1).map((s) => {
    const kind = s.join === "inner" ? "join" : "left join";
    // A related entity's row is the one whose key the entity's own key source holds.
    const on = s.kind === "view" && s.via ? `${alias(s.via.keySource)}.${ident(s.via.keyField)}` : key;
    return `${kind} ${ident(s.table)} ${alias(s)} on ${alias(s)}.${ident(s.key)} = ${on}`;
  });
  return {
    select: [
      `${valueSql(plan.key.kind, key)} as ${ident(plan.key.name)}`,
      ...plan.features.map(
        (f) =>
          `${valueSql(f.column.kind, `${alias(f.source)}.${ident(f.field)}`)} as ${ident(f.column.name)}`,
      ),
    ],
    from: [`${ident(base.table)} s0`, ...joins].join("\n"),
    where: plan.filters.map((f) => filterSql(f, `${alias(f.source)}.${ident(f.field)}`, params)),
    order: key,
    rangeKeys: [base, ...plan.sources.slice(1).filter((s) => s.join === "inner")].map(
      (s) => `${alias(s)}.${ident(s.key)}`,
    ),
    rangeTable: { table: ident(base.table), key: ident(base.key) },
    params,
  };
}

/**
 * Values at one instant, or as of each uploaded row's time, read from the work tables the
 * point-in-time engine filled (see pit.ts). An instant's rows are keyed by entity and joined as
 * current values are (inner for the entity's views, left for embeddings and related entities),
 * a view's row counting only where it has one then; training rows keep every uploaded row, in
 * upload order: each source's values joined to the uploaded rows as the work tables say
 * (WorkTables.joinRows), a related entity's on its key and the row's instant.
 */
export function pointInTimeRows(
  plan: DatasetPlan,
  tables: Pick<WorkTables, "tableOf" | "rows" | "isStates" | "joinRows">,
  mode: { instant: number } | { training: number },
): RowsSql {
  const params: unknown[] = [];
  const alias = (s: Source) => `p${plan.sources.indexOf(s)}`;
  const timed = plan.sources.filter(readsPointInTime);
  const [firstTimed] = timed;
  if (!firstTimed) throw new Error("a download reads at least one feature view");
  const training = "training" in mode;
  const rowCount = training ? mode.training : undefined;
  if (training && !tables.rows) throw new Error("a training set's work tables hold its uploaded rows");
  const base = training ? undefined : firstTimed;
  const first = base ? alias(base) : "r";
  const key = `${first}.${ident(plan.key.name)}`;
  // A tracks column (a vector fixed at the track's creation) is there once the track is.
  const asOf = () => {
    if ("training" in mode) return `${first}.as_of`;
    params.push(formatTimestamp(mode.instant));
    return `$${params.length}::text::timestamp`;
  };
  const joins = plan.sources
    .filter((s) => s !== base)
    .map((s) => {
      const table = `${ident(readsPointInTime(s) ? tables.tableOf(s) : s.table)} ${alias(s)}`;
      if (!readsPointInTime(s)) {
        return `left join ${table} on ${alias(s)}.${ident(s.key)} = ${key} and coalesce(${alias(s)}.created_at <= ${asOf()}, true)`;
      }
      const via = s.kind === "view" ? s.via : undefined;
      const related = via ? `${alias(via.keySource)}.${ident(via.keyField)}` : undefined;
      if (training) {
        if (!related) return tables.joinRows(s, alias(s), first);
        // One probe of its (key, instant) index a row: joined, the planner hashed each range's
        // rows and scanned the whole table for them (30 of a 430-row range's 39 ms at scale 0.25).
        const one = `select * from ${ident(tables.tableOf(s))} _a where _a.${ident(s.key)} = ${related} and _a.as_of = ${first}.as_of limit 1`;
        return `left join lateral (${one}) ${alias(s)} on true`;
      }
      const kind = s.join === "inner" ? "join" : "left join";
      return `${kind} ${table} on ${alias(s)}.${ident(keyOf(plan, s).name)} = ${related ?? key}`;
    });
  const where = plan.filters.map((f) => filterSql(f, `${alias(f.source)}.${ident(f.field)}`, params));
  if (!training) {
    for (const s of timed) if (s.join === "inner") where.push(`${alias(s)}.event_timestamp is not null`);
  }
  const features = plan.features.map(
    (f) => `${valueSql(f.column.kind, `${alias(f.source)}.${ident(f.field)}`)} as ${ident(f.column.name)}`,
  );
  const inner = timed.filter((s) => s.join === "inner");
  const baseTable = ident(base ? tables.tableOf(base) : (tables.rows as string));
  // Training rows: every table joined on ord gets the bound, or each range merges them from
  // their first row (at 100,000 rows, half of every table read per range of 1,024).
  const byOrd = timed.filter((s) => !(s.kind === "view" && s.via) && !tables.isStates(s));
  return {
    select: training
      ? [`${first}.ord::float8 as ord`, ...features]
      : [`${valueSql(plan.key.kind, key)} as ${ident(plan.key.name)}`, ...features],
    from: [`${baseTable} ${first}`, ...joins].join("\n"),
    where,
    order: training ? `${first}.ord` : key,
    rangeKeys: training
      ? [`${first}.ord`, ...byOrd.map((s) => `${alias(s)}.ord`)]
      : inner.map((s) => `${alias(s)}.${ident(keyOf(plan, s).name)}`),
    rangeTable: training
      ? { table: baseTable, key: "ord", dense: rowCount }
      : { table: baseTable, key: ident(plan.key.name) },
    params,
  };
}

function filterSql(filter: PlannedFilter, target: string, params: unknown[]): string {
  if (filter.op === "is_null") return `${target} is null`;
  if (filter.op === "not_null") return `${target} is not null`;
  params.push(filter.value);
  return `${target} ${FILTER_SQL_OPERATORS[filter.op]} $${params.length}::${filter.pgType}`;
}

/**
 * The rows whose key is past `after` (all, when undefined) and at most `upTo` (no bound, when
 * undefined): one range of a keyed read. Both bounds are set on every inner-joined source's key,
 * not only the first: PostgreSQL does not carry an inequality across a join. With the lower bound
 * alone a range was only as small as its LIMIT, and the planner, reading its filters and joins
 * as keeping few of the rows past the key, planned hash joins and a sort over every one of them:
 * each range read the tables' whole remainder, and a card's count grew with the square of the
 * corpus. With both, every plan reads the range's rows only.
 */
export function rowsBetween(rows: RowsSql, after: unknown, upTo: unknown): RowsSql {
  const params = [...rows.params];
  const bounds: string[] = [];
  for (const [bound, op] of [
    [after, ">"],
    [upTo, "<="],
  ] as const) {
    if (bound === undefined) continue;
    params.push(bound);
    bounds.push(...rows.rangeKeys.map((key) => `${key} ${op} $${params.length}`));
  }
  return { ...rows, where: [...rows.where, ...bounds], params };
}

/**
 * The key of the `count`-th row of the range table past `after` (from the first, when undefined):
 * where the next range ends. No row when fewer remain, and that range is the last.
 */
export function rangeEndStatement(rows: RowsSql, after: unknown, count: number) {
  const { table, key } = rows.rangeTable;
  const params: unknown[] = after === undefined ? [] : [after];
  const where = after === undefined ? "" : ` where ${key} > $1`;
  params.push(count - 1);
  return {
    text: `select ${key} as "key" from ${table}${where} order by ${key} offset $${params.length}::int8 limit 1`,
    params,
  };
}

/** The full statement; `limit` becomes one more parameter. */
export function rowsStatement(rows: RowsSql, limit?: number): { text: string; params: unknown[] } {
  const params = [...rows.params];
  const lines = [`select ${rows.select.join(",\n  ")}`, `from ${rows.from}`];
  if (rows.where.length > 0) lines.push(`where ${rows.where.join("\n  and ")}`);
  lines.push(`order by ${rows.order}`);
  if (limit !== undefined) {
    params.push(limit);
    lines.push(`limit $${params.length}::int8`);
  }
  return { text: lines.join("\n"), params };
}
