import { createHash } from "node:crypto";
import type { EntityName, FeatureType, SourceDefinition } from "../schema";
import { type JsonRead, jsonReadsOf, trackJsonReadsOf } from "./json-reads";
import { type CompiledQuery, ident, ParamAllocator } from "./params";
import { type CompiledHistory, compileChanges, compileHistory } from "./pit-history";
import { compilePreAggregate, type PreAggregate } from "./pre-aggregate";
import { buildSelect, buildWatermark, type ColumnSpec, KEY_COLUMN, TRACKS, touchedKeys } from "./select";

/** A view (or materialized embedding) ready to compile: checked column SQL, no YAML left. */
export type ViewSpec = {
  kind: "feature_view" | "embedding";
  name: string;
  version: number;
  entity: EntityName;
  source: SourceDefinition;
  columns: (ColumnSpec & { type: FeatureType | "vector"; tree: unknown })[];
  analysisVectors?: string[];
  /** Artist views over tracks whose every feature splits into per-track inputs. */
  preAggregate?: PreAggregate;
};

export type CompiledView = {
  kind: ViewSpec["kind"];
  name: string;
  version: number;
  entity: EntityName;
  table: string;
  stagingTable: string;
  key: { name: string; pgType: string };
  columns: { name: string; type: string; pgType: string }[];
  /** sha256 of what the version means (entity, source, column names, types, parse trees). */
  hash: string;
  ddl: string;
  stagingDdl: string;
  /** The bare SELECT computing every row: the benchmark's baseline and the DB check's probe. */
  select: CompiledQuery;
  /** Statements run before `full` / `incremental`, in the same transaction (per-track inputs). */
  fullBefore: CompiledQuery[];
  full: CompiledQuery;
  incrementalBefore: CompiledQuery[];
  incremental: CompiledQuery;
  /** The keys the noted changes reach: an incremental run removes those its SELECT gives no row. */
  touched: CompiledQuery;
  /** DDL of helper tables, run after `ddl` when the version is applied. */
  helperDdl: string[];
  helperTable?: string;
  pointInTime: CompiledQuery;
  /** Artist views whose features are running totals: their values at any instant (see pit-history). */
  pointInTimeHistory?: CompiledHistory;
  /** Track views: the instants a track's values may change, so each is computed once per change. */
  pointInTimeChanges?: CompiledQuery;
  watermark: CompiledQuery;
  /** The analysis_data keys it reads and what each needs: the door's check, the runs' filter. */
  reads: JsonRead[];
  /** The keys of a track's spotify_data and audio_features it casts or counts: the door's check. */
  trackReads: JsonRead[];
};

export function tableName(kind: ViewSpec["kind"], name: string, version: number): string {
  return `${kind === "embedding" ? "emb" : "fv"}_${name}_v${version}`;
}

export function compileView(unread: ViewSpec): CompiledView {
  const reads = jsonReadsOf(unread.source, unread.columns);
  const spec = { ...unread, reads };
  const table = tableName(spec.kind, spec.name, spec.version);
  const stagingTable = `${table}__next`;
  const key = KEY_COLUMN[spec.entity];
  const names = [key.name, "event_timestamp", ...spec.columns.map((c) => c.name)].map(ident);
  const columnList = names.join(", ");

  const select = new ParamAllocator();
  const selectText = buildSelect(spec, "full", select);

  const pre =
    spec.preAggregate && spec.source.from === "tracks"
      ? compilePreAggregate(table, spec.source, spec.columns, spec.preAggregate, reads)
      : undefined;
  const rows = (mode: "full" | "incremental", p: ParamAllocator) =>
    pre ? pre.aggregate(mode, p) : buildSelect(spec, mode, p);
  const full = new ParamAllocator();
  const fullText = `insert into ${ident(stagingTable)} (${columnList})\n${rows("full", full)}`;

  const inc = new ParamAllocator();
  const updates = names.slice(1).map((n) => `${n} = excluded.${n}`);
  const incrementalText =
    `insert into ${ident(table)} (${columnList})\n${rows("incremental", inc)}\n` +
    `on conflict (${ident(key.name)}) do update set ${[...updates, '"materialized_at" = now()'].join(", ")}`;

  const touched = new ParamAllocator();
  const touchedText = touchedKeys(spec.entity, touched);

  const pit = new ParamAllocator();
  const ids = pit.runtime("entity_ids", `${key.pgType}[]`);
  const asOf = pit.runtime("as_of", "timestamp[]");
  const pitText = [
    `select _pit.ord, _pit.entity_id as ${ident(key.name)}, _pit.as_of, f."event_timestamp", ${spec.columns
      .map((c) => `f.${ident(c.name)}`)
      .join(", ")}`,
    `from unnest(${ids}, ${asOf}) with ordinality as _pit(entity_id, as_of, ord)`,
    "left join lateral (",
    readsTrackOnly(spec)
      ? materializedOrComputed(spec, table, pit)
      : `  ${buildSelect(spec, "point_in_time", pit, "  ")}`,
    ") f on true",
    "order by _pit.ord",
  ].join("\n");

  const history =
    spec.preAggregate && spec.source.from === "tracks"
      ? compileHistory(spec.source, spec.columns, spec.preAggregate, reads)
      : undefined;

  const wm = new ParamAllocator();
  const watermarkText = buildWatermark(spec.source, wm);

  return {
    kind: spec.kind,
    name: spec.name,
    version: spec.version,
    entity: spec.entity,
    table,
    stagingTable,
    key: { name: key.name, pgType: key.pgType },
    columns: spec.columns.map((c) => ({ name: c.name, type: c.type, pgType: c.pgType })),
    hash: contentHash(spec),
    ddl: tableDdl(table, key, spec.columns, true),
    stagingDdl: tableDdl(stagingTable, key, spec.columns, false),
    select: select.query(selectText),
    fullBefore: pre?.fullBefore ?? [],
    full: full.query(fullText),
    incrementalBefore: pre?.incrementalBefore ?? [],
    incremental: inc.query(incrementalText),
    touched: touched.query(touchedText),
    helperDdl: pre?.ddl ?? [],
    ...(pre ? { helperTable: pre.table } : {}),
    pointInTime: pit.query(pitText),
    ...(history ? { pointInTimeHistory: history } : {}),
    ...(spec.entity === "track" ? { pointInTimeChanges: compileChanges(spec.source) } : {}),
    watermark: wm.query(watermarkText),
    reads,
    trackReads: trackJsonReadsOf(unread.columns),
  };
}

/** A track view over the track's own row alone: no analysis, so its values never change once the track is there. */
const readsTrackOnly = (spec: ViewSpec) =>
  spec.kind === "feature_view" &&
  spec.entity === "track" &&
  spec.source.from === "tracks" &&
  Object.keys(spec.source.join_latest ?? {}).length === 0;

/**
 * Such a view's value at an instant is its materialized row, once the track exists then; only a
 * track the table does not hold yet (newer than the last run) is computed. Expressions over
 * the lyrics cost most of what a materialization does (track_profile: 23 s of 33 at scale 1),
 * so a point-in-time read computing them again would cost a materialization per request.
 */
function materializedOrComputed(spec: ViewSpec, table: string, p: ParamAllocator): string {
  const columns = ['"event_timestamp"', ...spec.columns.map((c) => ident(c.name))];
  const computed = buildSelect(spec, "point_in_time", p, "  ");
  return [
    `  select ${columns.map((c) => `_m.${c}`).join(", ")}`,
    `  from ${ident(table)} _m join ${TRACKS} _t on _t.id = _m."track_id"`,
    `  where _m."track_id" = _pit.entity_id and coalesce(_t.created_at <= _pit.as_of, true)`,
    "  union all",
    `  select ${columns.map((c) => `_c.${c}`).join(", ")} from (`,
    `  ${computed}`,
    `  ) _c where not exists (select from ${ident(table)} _n where _n."track_id" = _pit.entity_id)`,
  ].join("\n");
}

/** The staging table gets its key constraint after the bulk insert: building the index once is cheaper. */
function tableDdl(
  table: string,
  key: { name: string; pgType: string },
  columns: ColumnSpec[],
  withKey: boolean,
): string {
  const keyColumn = withKey
    ? `${ident(key.name)} ${key.pgType} constraint ${ident(`${table}_pkey`)} primary key`
    : `${ident(key.name)} ${key.pgType} not null`;
  return [
    `create table ${ident(table)} (`,
    `  ${keyColumn},`,
    `  "event_timestamp" timestamp,`,
    `  "materialized_at" timestamptz not null default now()${columns.length ? "," : ""}`,
    ...columns.map((c, i) => `  ${ident(c.name)} ${c.pgType}${i < columns.length - 1 ? "," : ""}`),
    ")",
  ].join("\n");
}

function contentHash(spec: ViewSpec): string {
  const { source } = spec;
  const meaning = {
    entity: spec.entity,
    source: {
      from: source.from,
      pick: source.pick,
      analyzers: source.from === "analyses" ? source.analyzers : [],
      join_latest: Object.entries(source.join_latest ?? {}).sort(([a], [b]) => a.localeCompare(b)),
    },
    columns: spec.columns.map((c) => ({ name: c.name, type: c.type, pgType: c.pgType, tree: c.tree })),
  };
  return createHash("sha256").update(JSON.stringify(meaning)).digest("hex");
}
