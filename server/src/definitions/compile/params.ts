import { type SqlParams, sqlParams } from "../../db/database";
/** A bound value known at compile time, or one supplied when the query runs. */
export type Param = { value: unknown; type: string } | { runtime: RuntimeParam; type: string };
export type RuntimeParam = "watermark" | "entity_ids" | "as_of" | "aliases" | "track_ids" | "artists";

/** SQL text with $n placeholders and the parameters behind them (values never enter the text). */
export type CompiledQuery = { text: string; params: Param[] };

/**
 * Hands out $n placeholders, each with an explicit cast so the statement's parameter types do
 * not depend on inference (after Cube's ParamAllocator). Equal values share one placeholder.
 */
export class ParamAllocator {
  readonly params: Param[] = [];

  value(value: unknown, type: string): string {
    const key = JSON.stringify(value);
    const index = this.params.findIndex(
      (p) => "value" in p && p.type === type && JSON.stringify(p.value) === key,
    );
    if (index >= 0) return `$${index + 1}::${type}`;
    this.params.push({ value, type });
    return `$${this.params.length}::${type}`;
  }

  runtime(name: RuntimeParam, type: string): string {
    // A timestamp goes as text: postgres.js would send it through a JS Date (milliseconds, and
    // a string without a zone read in the process's local one).
    const sent = type.startsWith("timestamp") ? type.replace("timestamp", "text") : type;
    const cast = sent === type ? type : `${sent}::${type}`;
    const index = this.params.findIndex((p) => "runtime" in p && p.runtime === name);
    if (index >= 0) return `$${index + 1}::${cast}`;
    this.params.push({ runtime: name, type: sent });
    return `$${this.params.length}::${cast}`;
  }

  query(text: string): CompiledQuery {
    return { text, params: [...this.params] };
  }
}

/** Quotes an identifier the way PostgreSQL's quote_ident does. */
export function ident(name: string): string {
  return `"${name.replaceAll('"', '""')}"`;
}

export class MissingRuntimeParam extends Error {
  override name = "MissingRuntimeParam";
}

/** The parameter values for one execution of a compiled query. */
export function bindParams(
  query: CompiledQuery,
  runtime: Partial<Record<RuntimeParam, unknown>> = {},
): SqlParams {
  return sqlParams(
    query.params.map((p) => {
      if ("value" in p) return p.value;
      if (!(p.runtime in runtime)) throw new MissingRuntimeParam(`missing runtime parameter ${p.runtime}`);
      return asText(runtime[p.runtime]);
    }),
  );
}

// postgres.js sends a Date array as timestamptz, which PostgreSQL will not cast to timestamp[];
// ISO text casts to either.
function asText(value: unknown): unknown {
  if (value instanceof Date) return value.toISOString();
  if (Array.isArray(value) && value.some((v) => v instanceof Date)) {
    return value.map((v) => (v instanceof Date ? v.toISOString() : v));
  }
  return value;
}
