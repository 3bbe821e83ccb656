import type postgres from "postgres";
import type { Sql } from "../db/database";
import { PG_TYPES } from "../definitions/compile/types";
import { parseFeatureRef } from "../definitions/refs";
import type { FeatureType } from "../definitions/schema";
import { DomainError, type FieldError } from "../errors";
import type { EntityInfo } from "../registry";
import type { CatalogState } from "./catalog";
import { acceptedRelationKey } from "./relations";
import { type ResolvedColumn, resolveSelection } from "./resolve";

export const FILTER_OPS = [
  "eq",
  "ne",
  "gt",
  "gte",
  "lt",
  "lte",
  "in",
  "contains",
  "is_null",
  "not_null",
] as const;
export type FilterOp = (typeof FILTER_OPS)[number];
export type FeatureFilter = { feature: string; op: FilterOp; value?: unknown };

type Fragment = postgres.PendingQuery<postgres.Row[]>;
export type CompiledFilters = { joins: Fragment; where: Fragment };

const COMPARE: Partial<Record<FilterOp, string>> = {
  eq: "=",
  ne: "<>",
  gt: ">",
  gte: ">=",
  lt: "<",
  lte: "<=",
};
const SCALAR: FeatureType[] = ["int", "float", "string", "timestamp", "bool"];
const MAX_IN = 1_000;

/** Which operators each feature type takes. */
function allowed(type: FeatureType): FilterOp[] {
  const nulls: FilterOp[] = ["is_null", "not_null"];
  if (type === "bool") return ["eq", "ne", "in", ...nulls];
  if (SCALAR.includes(type)) return ["eq", "ne", "gt", "gte", "lt", "lte", "in", ...nulls];
  if (type === "string[]" || type === "float[]") return ["contains", ...nulls];
  return nulls;
}

function validValue(type: FeatureType, value: unknown): boolean {
  switch (type) {
    case "int":
    case "float":
    case "float[]":
      return (
        typeof value === "number" && Number.isFinite(value) && (type !== "int" || Number.isInteger(value))
      );
    case "bool":
      return typeof value === "boolean";
    case "timestamp":
      return typeof value === "string" && !Number.isNaN(Date.parse(value));
    default:
      return typeof value === "string";
  }
}

/** Checks a filter's operator and value against its feature's type; the problem text, if any. */
function check(filter: FeatureFilter, column: ResolvedColumn): string | undefined {
  const ops = allowed(column.type);
  if (!ops.includes(filter.op))
    return `${column.ref} (${column.type}) takes ${ops.join(", ")}, not ${filter.op}`;
  if (filter.op === "is_null" || filter.op === "not_null") return undefined;
  const elementType = column.type === "string[]" ? "string" : column.type;
  if (filter.op === "in") {
    const values = filter.value;
    if (!Array.isArray(values) || values.length === 0 || values.length > MAX_IN) {
      return `"in" takes an array of 1 to ${MAX_IN} values`;
    }
    return values.every((v) => validValue(elementType, v))
      ? undefined
      : `every value must be a ${column.type}`;
  }
  return validValue(elementType, filter.value) ? undefined : `the value must be a ${elementType}`;
}

/**
 * Compiles feature filters into joins on the view tables (one per view version) and a WHERE
 * conjunction. Names come from the registry as identifiers, operators from a fixed table, and
 * every value is a bound parameter with an explicit cast. A missing row counts as null.
 */
export function compileFilters(
  sql: Sql,
  state: CatalogState,
  entity: EntityInfo,
  filters: readonly FeatureFilter[],
  key: Fragment,
  now: number,
): CompiledFilters {
  const wildcard = filters.findIndex((f) => parseFeatureRef(f.feature)?.feature === "*");
  if (wildcard >= 0) {
    throw new DomainError("VALIDATION_FAILED", "A filter names one feature, not view:*.", {
      errors: [field(wildcard, "a filter names one feature")],
    });
  }
  const source = { in: "json" as const, field: "filters" };
  // All at once first, so every unknown reference is reported with its index.
  resolveSelection(state, entity, { features: filters.map((f) => f.feature), ...source }, now);
  const columns = filters.map(
    (f) =>
      resolveSelection(state, entity, { features: [f.feature], ...source }, now).columns[0] as ResolvedColumn,
  );
  const problems = filters.flatMap((f, i) => {
    const problem = check(f, columns[i] as ResolvedColumn);
    return problem ? [field(i, problem)] : [];
  });
  if (problems.length > 0) {
    throw new DomainError("VALIDATION_FAILED", `${problems.length} filter(s) are not valid.`, {
      errors: problems,
    });
  }

  const aliases = new Map<string, string>();
  let joins = sql``;
  let where = sql`true`;
  /** The alias of a view's table, left-joined on `on` the first time it is needed. */
  const aliasOf = (planKey: string, viewKey: string, on: () => Fragment): string => {
    let alias = aliases.get(planKey);
    if (alias) return alias;
    const view = state.byKey.get(viewKey);
    if (!view) throw new Error(`view ${viewKey} vanished from the catalog`);
    const target = on();
    alias = `f${aliases.size}`;
    aliases.set(planKey, alias);
    joins = sql`${joins} left join ${sql(view.table)} ${sql(alias)} on ${sql(alias)}.${sql(view.keyColumn)} = ${target}`;
    return alias;
  };
  filters.forEach((filter, i) => {
    const column = columns[i] as ResolvedColumn;
    // A related entity's view joins on the key its relation's key view holds for the entity.
    const relation = column.relation ? acceptedRelationKey(state, entity, column.relation) : undefined;
    const alias = aliasOf(column.planKey, column.viewKey, () => {
      if (!relation) return key;
      const keyAlias = aliasOf(relation.view.viewKey, relation.view.viewKey, () => key);
      return sql`${sql(keyAlias)}.${sql(relation.feature)}`;
    });
    where = sql`${where} and ${condition(sql, filter, column, sql`${sql(alias)}.${sql(column.feature)}`)}`;
  });
  return { joins, where };
}

function condition(sql: Sql, filter: FeatureFilter, column: ResolvedColumn, target: Fragment): Fragment {
  if (filter.op === "is_null") return sql`${target} is null`;
  if (filter.op === "not_null") return sql`${target} is not null`;
  if (filter.op === "contains") {
    // `@>` rather than `= any(…)`: the planner estimates it from the column's element statistics
    // (search picks exact or HNSW by that estimate), and a GIN index could answer it.
    const element = column.type === "string[]" ? "text" : "double precision";
    return sql`${target} @> array[${filter.value as string | number}::${sql.unsafe(element)}]`;
  }
  const pgType = sql.unsafe(PG_TYPES[column.type]);
  if (filter.op === "in") return sql`${target} = any(${filter.value as never}::${pgType}[])`;
  const operator = sql.unsafe(COMPARE[filter.op] as string);
  return sql`${target} ${operator} ${filter.value as string | number | boolean}::${pgType}`;
}

function field(index: number, detail: string): FieldError {
  return {
    in: "json",
    path: ["filters", index],
    pointer: `#/filters/${index}`,
    detail,
    code: "invalid_filter",
  };
}
