import type { SourceDefinition } from "../schema";
import type { JsonRead } from "./json-reads";
import { type CompiledQuery, ident, ParamAllocator } from "./params";
import { buildSelect, changedKeys, type SelectSpec, TRACKS } from "./select";
import type { RunningTotal } from "./split-aggregates";

/**
 * Per feature: the aggregate over per-track inputs, the same over running totals when it has one,
 * and those inputs (see split-aggregates).
 */
export type PreAggregate = {
  outers: string[];
  running: (string | undefined)[];
  /** Per feature with a running form, the totals it reads. */
  totals: (RunningTotal[] | undefined)[];
  inputs: string[];
};

export type CompiledPreAggregate = {
  /** Per-track aggregate inputs, kept so an incremental run re-reads no source for untouched tracks. */
  table: string;
  ddl: string[];
  fullBefore: CompiledQuery[];
  incrementalBefore: CompiledQuery[];
  /** The view's rows aggregated from the per-track table, for full / incremental runs. */
  aggregate(mode: "full" | "incremental", p: ParamAllocator): string;
};

/**
 * Artist views aggregate every track of an artist, so a re-analysis anywhere makes the whole
 * artist stale. Keeping each track's aggregate inputs in a table turns an incremental run into
 * "recompute the changed tracks, re-aggregate their artists from that narrow table" instead of
 * re-reading every analysis of every touched artist.
 */
export function compilePreAggregate(
  table: string,
  source: Extract<SourceDefinition, { from: "tracks" }>,
  columns: { name: string; pgType: string }[],
  pre: PreAggregate,
  reads: JsonRead[] = [],
): CompiledPreAggregate {
  const cache = `${table}__by_track`;
  const inputs = pre.inputs.map((sql, i) => ({ name: `i${i + 1}`, pgType: "", sql: `(${sql})` }));
  const spec: SelectSpec = {
    entity: "track",
    source: { ...source, pick: "row" },
    columns: [{ name: "artist", pgType: "", sql: "t.artist" }, ...inputs],
    reads,
  };
  const names = ["track_id", "event_timestamp", "artist", ...inputs.map((c) => c.name)].map(ident);

  const shape = new ParamAllocator();
  // The table takes the inputs' types from PostgreSQL itself; null parameters, so no values
  // enter the DDL and no row is read.
  const shapeSelect = buildSelect(spec, "full", shape).replace(/\$\d+::/g, "null::");
  const full = new ParamAllocator();
  const fullInsert = `insert into ${ident(cache)} (${names.join(", ")})\n${buildSelect(spec, "full", full)}`;
  const inc = new ParamAllocator();
  const updates = names.slice(1).map((n) => `${n} = excluded.${n}`);
  const incInsert =
    `insert into ${ident(cache)} (${names.join(", ")})\n${buildSelect(spec, "incremental", inc)}\n` +
    `on conflict ("track_id") do update set ${updates.join(", ")}`;
  // A deleted track leaves its inputs behind: the re-aggregation of its artist must not count them.
  const gone = new ParamAllocator();
  const goneDelete =
    `delete from ${ident(cache)} _x where _x."track_id" = any(${gone.runtime("track_ids", "int[]")}) ` +
    `and not exists (select from ${TRACKS} t where t.id = _x."track_id")`;
  // Re-aggregating the artists a run touched reads their tracks' inputs, not the whole table.
  const byArtist = `create index if not exists ${ident(`${cache}_artist`)} on ${ident(cache)} ("artist")`;
  return {
    table: cache,
    // Unlogged: derived data, rebuilt by a full run; a crash empties it, and the runner then
    // runs full instead of aggregating from a partial table.
    ddl: [
      `create unlogged table ${ident(cache)} as\n${shapeSelect}\nwith no data`,
      `alter table ${ident(cache)} add constraint ${ident(`${cache}_pkey`)} primary key ("track_id")`,
      byArtist,
    ],
    fullBefore: [{ text: `truncate ${ident(cache)}`, params: [] }, full.query(fullInsert)],
    // The index first: a version applied before it had one gets it on its next run.
    incrementalBefore: [{ text: byArtist, params: [] }, inc.query(incInsert), gone.query(goneDelete)],
    aggregate(mode, p) {
      const where = ['_x."artist" is not null'];
      if (mode === "incremental") where.push(`_x."artist" in (${changedKeys("artist", source, p)})`);
      return [
        `select _x."artist" as "artist",`,
        `  max(_x."event_timestamp") as "event_timestamp",`,
        ...columns.map(
          (c, i) =>
            `  (${pre.outers[i]})::${c.pgType} as ${ident(c.name)}${i < columns.length - 1 ? "," : ""}`,
        ),
        `from ${ident(cache)} _x`,
        `where ${where.join("\n  and ")}`,
        `group by _x."artist"`,
      ].join("\n");
    },
  };
}
