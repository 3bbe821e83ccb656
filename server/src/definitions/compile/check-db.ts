import type postgres from "postgres";
import type { Sql } from "../../db/database";
import { ErrorReporter } from "../errors";
import type { FeatureType } from "../schema";
import type { CompiledCatalog, CompiledFeatureView } from "./index";
import { ParamAllocator } from "./params";
import { buildSelect } from "./select";

type TypeInfo = { oid: number; typname: string; typcategory: string; elemcategory: string | null };

/**
 * Checks every feature against the database without running anything: each expression is
 * described (prepared) in a transaction that is rolled back, which resolves columns and
 * casts, and reports the type it yields. Functions that are volatile or return sets are
 * refused, since a feature must be reproducible and one value per entity.
 */
export async function checkAgainstDatabase(sql: Sql, catalog: CompiledCatalog): Promise<void> {
  const reporter = ErrorReporter.create();
  const rollback = new Error("rollback");
  try {
    await sql.begin(async (tx) => {
      const risky = await riskyFunctions(tx, catalog.views);
      const types = new TypeLookup(tx);
      for (const view of catalog.views) {
        const here = reporter.inContext(view.located.file, view.located.where);
        for (const column of view.compiled.columns) {
          const feature = here.inContext(`feature ${column.name}`);
          const bad = [...(view.functions.get(column.name) ?? [])].filter((f) => risky.has(f));
          for (const name of bad) feature.error(`expr must not call ${name}(): it is ${risky.get(name)}`);
          if (bad.length === 0) await probe(tx, types, view, column.name, feature);
        }
      }
      throw rollback;
    });
  } catch (error) {
    if (error !== rollback) throw error;
  }
  reporter.throwIfAny();
}

async function riskyFunctions(
  sql: postgres.TransactionSql,
  views: CompiledFeatureView[],
): Promise<Map<string, string>> {
  const names = [...new Set(views.flatMap((v) => [...v.functions.values()].flatMap((s) => [...s])))];
  if (names.length === 0) return new Map();
  const rows = await sql<{ proname: string; retset: boolean; volatile: boolean }[]>`
    select proname, bool_or(proretset) as retset, bool_or(provolatile = 'v') as volatile
    from pg_proc where proname = any(${names}::text[]) group by proname`;
  const risky = new Map<string, string>();
  for (const row of rows) {
    if (row.retset) risky.set(row.proname, "set-returning");
    else if (row.volatile) risky.set(row.proname, "volatile");
  }
  return risky;
}

async function probe(
  sql: postgres.TransactionSql,
  types: TypeLookup,
  view: CompiledFeatureView,
  name: string,
  here: ErrorReporter,
) {
  const { def } = view.located;
  const feature = def.features.find((f) => f.name === name);
  const column = view.compiled.columns.find((c) => c.name === name);
  const compiledSql = view.sqlByColumn.get(name);
  if (!feature || !column || !compiledSql) return;
  const p = new ParamAllocator();
  const text = buildSelect(
    {
      entity: def.entity,
      source: def.source,
      columns: [
        { name: "natural", pgType: "", sql: compiledSql },
        { name: "declared", pgType: column.pgType, sql: compiledSql },
      ],
    },
    "full",
    p,
  );
  let columns: { name: string; type: number }[];
  try {
    // A savepoint per probe: one failed describe must not abort the checks after it.
    columns = await sql.savepoint((sp) => sp.unsafe(text).describe()).then((d) => d.columns);
  } catch (error) {
    here.error(`expr ${(error as Error).message}`);
    return;
  }
  const natural = columns.find((c) => c.name === "natural");
  if (!natural) return;
  const info = await types.of(natural.type);
  if (info && !accepts(feature.type, info)) {
    here.error(
      `expr yields ${info.typname}, but the feature is declared ${feature.type}` +
        (info.typcategory === "S" && CASTS[feature.type]
          ? ` (cast it explicitly, e.g. (...)::${CASTS[feature.type]})`
          : ""),
    );
  }
}

/** The category of each result type, asked once per type within one check (most columns share a few). */
class TypeLookup {
  private readonly known = new Map<number, Promise<TypeInfo | undefined>>();

  constructor(private readonly sql: postgres.TransactionSql) {}

  of(oid: number): Promise<TypeInfo | undefined> {
    let info = this.known.get(oid);
    if (!info) {
      info = this.sql<TypeInfo[]>`
        select t.oid::int as oid, t.typname::text, t.typcategory::text, e.typcategory::text as elemcategory
        from pg_type t left join pg_type e on e.oid = t.typelem and t.typcategory = 'A'
        where t.oid = ${oid}`.then(([row]) => row);
      this.known.set(oid, info);
    }
    return info;
  }
}

/** The cast that turns text into each declared type (text itself needs none). */
const CASTS: Partial<Record<FeatureType, string>> = {
  bool: "boolean",
  int: "int",
  float: "float",
  timestamp: "timestamptz",
  json: "jsonb",
  "string[]": "text[]",
  "float[]": "float[]",
};

function accepts(type: FeatureType, info: TypeInfo): boolean {
  switch (type) {
    case "bool":
      return info.typcategory === "B";
    case "int":
    case "float":
      return info.typcategory === "N";
    case "string":
      return info.typcategory === "S";
    case "timestamp":
      return info.typcategory === "D";
    case "json":
      return info.typname === "jsonb" || info.typname === "json";
    case "string[]":
      return info.typcategory === "A" && info.elemcategory === "S";
    case "float[]":
      return info.typcategory === "A" && info.elemcategory === "N";
  }
}
