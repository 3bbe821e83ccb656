import type { SourceDefinition } from "../schema";
import type { JsonRead } from "./json-reads";
import { type CompiledQuery, ident, ParamAllocator } from "./params";
import type { PreAggregate } from "./pre-aggregate";
import { ANALYSES, analyzersOf, buildSelect, KEY_COLUMN, type SelectSpec, TRACKS } from "./select";
import type { RunningTotal } from "./split-aggregates";

/**
 * How an artist view's values evolve: per track, its aggregate inputs at every instant one of
 * the rows it reads appeared (the track itself, or an analysis its joins pick as latest). Summed
 * as running totals per artist in time order, they give the view at any instant from one index
 * probe: a point-in-time training set asks for thousands of (artist, instant) pairs, and
 * aggregating every track of the artist again for each costs the artist's size per pair.
 */
export type CompiledHistory = {
  /** The columns of `changes`: the key whose values are running totals, the track, its instant and inputs. */
  columns: { key: string; track: string; at: string; inputs: string[] };
  /** Rows (track_id, at, artist, i1…iN) for the tracks of the artists in `entity_ids`. */
  changes: CompiledQuery;
  /** By feature, those that have one: its expression over running totals (`_s."n"`, `_s."c1"`, `_s."sum1"`, `_s."avg1"`). */
  running: Record<string, string>;
  /** By feature, the running totals its expression reads (`{ total: "avg", input: 1 }` is `_s."avg1"`). */
  totals: Record<string, RunningTotal[]>;
  /**
   * By input (`i1`), the join_latest aliases it may read. `changes` reads the latest analysis of
   * only the aliases given as `aliases`: a request for the artist's quality needs no emotion
   * analysis looked up at each change.
   */
  inputAliases: Record<string, string[]>;
};

/** A track with no created_at has been there all along. */
export const ALWAYS = "'-infinity'::timestamp";

export function compileHistory(
  source: Extract<SourceDefinition, { from: "tracks" }>,
  columns: { name: string }[],
  pre: PreAggregate,
  reads: JsonRead[] = [],
): CompiledHistory | undefined {
  const running = Object.fromEntries(
    columns.flatMap((c, i) => (pre.running[i] === undefined ? [] : [[c.name, pre.running[i]]])),
  );
  if (Object.keys(running).length === 0) return undefined;
  const totals = Object.fromEntries(
    columns.flatMap((c, i) => (pre.running[i] === undefined ? [] : [[c.name, pre.totals[i] ?? []]])),
  );
  const p = new ParamAllocator();
  const artists = p.runtime("entity_ids", "text[]");
  const inputs = pre.inputs.map((sql, i) => ({ name: `i${i + 1}`, pgType: "", sql: `(${sql})` }));
  const aliases = p.runtime("aliases", "text[]");
  const shape = {
    key: KEY_COLUMN.artist.name,
    track: KEY_COLUMN.track.name,
    at: "at",
    inputs: inputs.map((i) => i.name),
  };
  const spec: SelectSpec = {
    entity: "track",
    source: { ...source, pick: "row" },
    columns: [{ name: shape.key, pgType: "", sql: KEY_COLUMN.artist.source }, ...inputs],
    reads,
    joinWhen: (alias) => `${p.value(alias, "text")} = any(${aliases})`,
  };
  const joined = Object.keys(source.join_latest ?? {});
  // A false positive (an alias's name inside a string) only looks up an analysis for nothing.
  const inputAliases = Object.fromEntries(
    inputs.map((input) => [
      input.name,
      joined.filter((alias) => new RegExp(`(^|[^\\w."])"?${escapeRegExp(alias)}"?\\s*\\.`).test(input.sql)),
    ]),
  );
  const changedAt = changeInstants(source, p, `${KEY_COLUMN.artist.source} = any(${artists})`);
  const text = [
    `select _pit.entity_id as ${ident(shape.track)}, _pit.as_of as ${ident(shape.at)}, ${[
      shape.key,
      ...shape.inputs,
    ]
      .map((n) => `f.${ident(n)}`)
      .join(", ")}`,
    `from (${changedAt}) _pit`,
    "cross join lateral (",
    `  ${buildSelect(spec, "point_in_time", p, "  ")}`,
    // A fence: each change reaches its track through the primary key. Flattened into a join, the
    // planner merge-joined the changes with the whole of tracks, once per slice of artists.
    "  offset 0",
    ") f",
  ].join("\n");
  return {
    columns: shape,
    changes: p.query(text),
    running,
    totals,
    inputAliases,
  };
}

const escapeRegExp = (text: string) => text.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");

/**
 * The instants at which a track's view values may change, for the tracks `where` picks: when
 * the track appeared (always, without a created_at), and each later analysis the view reads.
 * Between two of them nothing a point-in-time query reads changes.
 */
export function changeInstants(source: SourceDefinition, p: ParamAllocator, where: string): string {
  const analyzers = analyzersOf(source);
  const appeared = `coalesce(t.created_at, ${ALWAYS})`;
  const tracks = `select t.id as entity_id, ${appeared} as as_of from ${TRACKS} t where ${where}`;
  if (analyzers.length === 0) return tracks;
  return [
    tracks,
    `select t.id, _a.created_at from ${TRACKS} t join ${ANALYSES} _a on _a.track_id = t.id ` +
      `and _a.analyzer_type = any(${p.value(analyzers, "text[]")}) and _a.created_at > ${appeared} where ${where}`,
  ].join("\nunion\n");
}

/** A track view's change instants (entity_id, as_of) for the tracks in `entity_ids`. */
export function compileChanges(source: SourceDefinition): CompiledQuery {
  const p = new ParamAllocator();
  return p.query(changeInstants(source, p, `t.id = any(${p.runtime("entity_ids", "integer[]")})`));
}
