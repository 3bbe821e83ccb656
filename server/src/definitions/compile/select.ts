import { CORPUS_TABLES, type CorpusTable, corpusColumns } from "../../db/corpus-tables";
import { type EntityName, type KeyType, keyPgType, type SourceDefinition } from "../schema";
import { fitsSql } from "./json-fits";
import type { JsonRead } from "./json-reads";
import { ident, type ParamAllocator } from "./params";

export const TRACKS = "tracks" satisfies CorpusTable;
export const ANALYSES = "analysis_results" satisfies CorpusTable;

/** One output column: its name, PostgreSQL type and the (checked) SQL computing it. */
export type ColumnSpec = { name: string; pgType: string; sql: string };

export type SelectSpec = {
  entity: EntityName;
  source: SourceDefinition;
  columns: ColumnSpec[];
  /** Extra analysis_results columns to carry (the embedding's vector); the rest are always there. */
  analysisVectors?: string[];
  /** Per join_latest alias, a condition without which its lateral reads nothing (null columns). */
  joinWhen?: (alias: string) => string;
  /** The analysis_data keys the columns read: an analysis one of them does not fit is never picked. */
  reads?: JsonRead[];
};

// Every analysis column but the 256-d vector: carrying it through sorts and aggregates would
// multiply their size for views that never read it.
const ANALYSIS_COLUMNS = corpusColumns(ANALYSES).filter((c) => CORPUS_TABLES[ANALYSES][c] !== "vector");

export type SelectMode = "full" | "incremental" | "point_in_time";

type KeyColumn = { name: string; type: KeyType; pgType: string; source: string };
const keyColumn = (name: string, type: KeyType, source: string): KeyColumn => ({
  name,
  type,
  pgType: keyPgType(type),
  source,
});

/** The column a view of each entity is keyed by; the catalog holds entity definitions to it. */
export const KEY_COLUMN: Record<EntityName, KeyColumn> = {
  track: keyColumn("track_id", "int", "t.id"),
  artist: keyColumn("artist", "string", "t.artist"),
};

/** Every analyzer a view reads, for incremental change detection and the watermark. */
export function analyzersOf(source: SourceDefinition): string[] {
  const main = source.from === "analyses" ? source.analyzers : [];
  return [...new Set([...main, ...Object.values(source.join_latest ?? {})])].sort();
}

export function isAggregate(source: SourceDefinition): boolean {
  return source.pick === "aggregate";
}

/**
 * The SELECT computing a view's rows (key, event_timestamp, features). Every mode starts from
 * tracks and reaches analyses through LATERAL subqueries that walk the
 * (track_id, analyzer_type, created_at DESC, id DESC) index, so "latest" is one index probe,
 * incremental runs only touch changed entities, and point-in-time adds `created_at <= as_of`.
 */
export function buildSelect(spec: SelectSpec, mode: SelectMode, p: ParamAllocator, indent = ""): string {
  const { source, entity } = spec;
  const key = KEY_COLUMN[entity];
  const asOf = mode === "point_in_time" ? "_pit.as_of" : undefined;
  // An analysis without a time can be neither "latest" nor "as of": it is never picked. This also
  // lets the (track_id, analyzer_type, created_at DESC, id DESC) index deliver the order.
  const analysisWindow = asOf ? ` and _r.created_at <= ${asOf}` : " and _r.created_at is not null";
  const carried = [...ANALYSIS_COLUMNS, ...(spec.analysisVectors ?? [])]
    .map((c) => `_r.${ident(c)}`)
    .join(", ");
  const stamps: string[] = source.from === "tracks" ? ["t.created_at"] : [];
  const fits = (alias: string) => {
    const reads = (spec.reads ?? []).filter((r) => r.alias === alias);
    return reads.length > 0 ? ` and ${fitsSql(reads, "_r", p)}` : "";
  };
  const joins: string[] = [];

  if (source.from === "analyses") {
    const analyzers = source.analyzers;
    const filter =
      analyzers.length === 1
        ? `_r.analyzer_type = ${p.value(analyzers[0], "text")}`
        : `_r.analyzer_type = any(${p.value(analyzers, "text[]")})`;
    const eligible = `${filter}${analysisWindow}${fits("a")}`;
    const from = `select ${carried} from ${ANALYSES} _r where _r.track_id = t.id and ${eligible}`;
    const newest = "_r.created_at desc, _r.id desc";
    if (source.pick === "aggregate") {
      joins.push(
        `cross join lateral (select distinct on (_r.analyzer_type) ${carried} from ${ANALYSES} _r ` +
          `where _r.track_id = t.id and ${eligible} order by _r.analyzer_type, ${newest}) a`,
      );
    } else if (source.pick === "by_analyzer") {
      const preference = `array_position(${p.value(analyzers, "text[]")}, _r.analyzer_type::text)`;
      joins.push(`cross join lateral (${from} order by ${preference}, ${newest} limit 1) a`);
    } else {
      joins.push(`cross join lateral (${from} order by ${newest} limit 1) a`);
    }
    stamps.push("a.created_at");
  }
  for (const [alias, analyzer] of Object.entries(source.join_latest ?? {})) {
    joins.push(
      `left join lateral (select ${carried} from ${ANALYSES} _r where _r.track_id = t.id and ` +
        `_r.analyzer_type = ${p.value(analyzer, "text")}${analysisWindow}${fits(alias)}${spec.joinWhen ? ` and ${spec.joinWhen(alias)}` : ""} ` +
        `order by _r.created_at desc, _r.id desc limit 1) ${ident(alias)} on true`,
    );
    stamps.push(`${ident(alias)}.created_at`);
  }

  const stamp = stamps.length === 1 ? (stamps[0] as string) : `greatest(${stamps.join(", ")})`;
  const aggregate = isAggregate(source);
  const select = [
    `${key.source} as ${ident(key.name)}`,
    `${aggregate ? `max(${stamp})` : stamp} as "event_timestamp"`,
    ...spec.columns.map((c) => `${c.pgType ? `${c.sql}::${c.pgType}` : c.sql} as ${ident(c.name)}`),
  ];
  const where = [`${key.source} is not null`];
  if (mode === "incremental") where.push(changedEntities(spec, p));
  if (mode === "point_in_time")
    where.push(`${key.source} = _pit.entity_id`, "coalesce(t.created_at <= _pit.as_of, true)");

  const lines = [
    `select ${select.join(`,\n${indent}  `)}`,
    `from ${TRACKS} t`,
    ...joins,
    `where ${where.join(`\n${indent}  and `)}`,
  ];
  if (aggregate) lines.push(`group by ${key.source}`);
  return lines.join(`\n${indent}`);
}

function changedEntities(spec: SelectSpec, p: ParamAllocator): string {
  return `${KEY_COLUMN[spec.entity].source} in (${changedKeys(spec.entity, spec.source, p)})`;
}

/**
 * Keys of the entities touched since the watermark: a new track, or a new analysis it reads; and
 * the tracks of the changes noted that the watermark cannot find (back-dated, updated or deleted
 * rows, `track_ids`), with the artists tracks updated or deleted had (`artists`): see
 * source-changes.ts.
 */
export function changedKeys(entity: EntityName, source: SourceDefinition, p: ParamAllocator): string {
  const watermark = p.runtime("watermark", "timestamp");
  const noted = p.runtime("track_ids", "int[]");
  const analyzers = analyzersOf(source);
  const newTracks = `select _n.id from ${TRACKS} _n where _n.created_at > ${watermark} union select unnest(${noted})`;
  const changedTracks =
    analyzers.length === 0
      ? newTracks
      : `select _c.track_id from ${ANALYSES} _c where _c.created_at > ${watermark} and ` +
        `_c.analyzer_type = any(${p.value(analyzers, "text[]")}) union ${newTracks}`;
  if (entity === "track") return changedTracks;
  return (
    `select _m.artist from ${TRACKS} _m where _m.id in (${changedTracks}) ` +
    `union select unnest(${p.runtime("artists", "text[]")})`
  );
}

/**
 * The keys the noted changes reach (a subset of `changedKeys`): those an incremental run removes
 * from the view when its SELECT no longer gives them a row (the last analysis of a track deleted,
 * a track deleted, an artist left by its last track).
 */
export function touchedKeys(entity: EntityName, p: ParamAllocator): string {
  const noted = p.runtime("track_ids", "int[]");
  if (entity === "track") return `select distinct unnest(${noted}) as "key"`;
  return (
    `select _m.artist as "key" from ${TRACKS} _m where _m.id = any(${noted}) and _m.artist is not null ` +
    `union select unnest(${p.runtime("artists", "text[]")})`
  );
}

/** The newest source timestamp a run has seen; the next incremental run starts after it. */
export function buildWatermark(source: SourceDefinition, p: ParamAllocator): string {
  const analyzers = analyzersOf(source);
  const tracks = `(select max(created_at) from ${TRACKS})`;
  if (analyzers.length === 0) return `select ${tracks} as "watermark"`;
  return (
    `select greatest(${tracks}, (select max(created_at) from ${ANALYSES} ` +
    `where analyzer_type = any(${p.value(analyzers, "text[]")}))) as "watermark"`
  );
}
