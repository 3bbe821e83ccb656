import { type Sql, sqlParams } from "../../db/database";
import { bindParams, type CompiledQuery, ident } from "../../definitions/compile/params";
import { ALWAYS, type CompiledHistory } from "../../definitions/compile/pit-history";
import { formatTimestamp } from "../../values/timestamps";
import { Pacer, SLICE_TARGET_MS } from "../pacer";

/** (entity, instant) pairs; an instant is epoch microseconds, or PostgreSQL's text of a timestamp. */
export type Pairs = { ids: unknown[]; asOf: (number | string)[] };

export const timestampText = (instant: number | string) =>
  typeof instant === "number" ? formatTimestamp(instant) : instant;

/** The (key, instant) pairs a view is asked for, and the work table that takes them. */
export type HistoryTarget = {
  table: string;
  key: { name: string; pgType: string };
  fields: { field: string; pgType: string }[];
  pairs: Pairs;
};

// Below this many pairs per key, aggregating each pair directly costs less than the history of
// every track of those keys (about ten pairs' worth of work per key on the demo corpus).
const PAIRS_PER_KEY = 10;

/** Whether filling `target` from the history is both possible (every field is a running total) and cheaper. */
export function historyServes(history: CompiledHistory | null | undefined, target: HistoryTarget) {
  if (!history || !target.fields.every((f) => f.field in history.running)) return false;
  return target.pairs.ids.length >= PAIRS_PER_KEY * new Set(target.pairs.ids).size;
}

/**
 * Fills a related view's work table from its history: per slice of keys, the tracks' changes
 * summed in time order into running totals (one row per key and instant anything changed),
 * then each pair reads the last row at or before its instant, one index probe. Every statement
 * is sliced to about SLICE_TARGET_MS, as the rest of the engine's work is.
 */
export async function fillFromHistory(
  sql: Sql,
  history: CompiledHistory,
  target: HistoryTarget,
  signal?: AbortSignal,
): Promise<void> {
  const key = ident(target.key.name);
  const states = {
    table: `${target.table}_history`,
    columns: [`${key} ${target.key.pgType}`, '"at" timestamp', '"event_timestamp" timestamp'].concat(
      target.fields.map((f) => `${ident(f.field)} ${f.pgType}`),
    ),
    at: "at",
  };
  const keys = [...new Set(target.pairs.ids)].sort();
  const into = { table: states.table, key: target.key.name, fields: target.fields };
  await throughStates(sql, states, target, signal, () => writeTotals(sql, history, into, keys, signal));
}

/**
 * Each of `keys`' running totals at every instant it changed, as rows (key, at, event_timestamp,
 * fields) of `into.table`, in slices of about SLICE_TARGET_MS.
 */
export async function writeTotals(
  sql: Sql,
  history: CompiledHistory,
  into: { table: string; key: string; fields: HistoryTarget["fields"] },
  keys: unknown[],
  signal?: AbortSignal,
): Promise<void> {
  const { totals, aliases } = await runningTotals(sql, history, into.fields);
  const columns = [ident(into.key), '"at"', '"event_timestamp"', ...into.fields.map((f) => ident(f.field))];
  const byKey = new Pacer({ initial: 4, min: 1, max: 1_024, targetMs: SLICE_TARGET_MS });
  for (let done = 0; done < keys.length; ) {
    signal?.throwIfAborted();
    const slice = keys.slice(done, done + byKey.next);
    await byKey.time(slice.length, () =>
      sql.unsafe(
        `insert into ${ident(into.table)} (${columns.join(", ")})\n${totals}`,
        bindParams(history.changes, { entity_ids: slice, aliases }),
      ),
    );
    done += slice.length;
  }
}

/**
 * A table of states keyed by (key, instant), filled by `fill`, then each of the target's pairs
 * reads the last state at or before its instant (readLatest); the table is dropped after.
 */
export async function throughStates(
  sql: Sql,
  states: { table: string; columns: string[]; at: string },
  target: HistoryTarget,
  signal: AbortSignal | undefined,
  fill: () => Promise<void>,
): Promise<void> {
  const keyed = `${ident(target.key.name)}, ${ident(states.at)}`;
  await sql.unsafe(`create unlogged table ${ident(states.table)} (${states.columns.join(", ")})`);
  try {
    // Indexed as it fills: built afterwards over ~230,000 states at scale 1, the index alone
    // held the embedded backend for ~450 ms; maintained per slice, the pacer counts it.
    await sql.unsafe(`create index on ${ident(states.table)} (${keyed})`);
    await fill();
    await sql.unsafe(`analyze ${ident(states.table)} (${keyed})`);
    await readLatest(sql, states.table, target, { at: states.at, signal });
  } finally {
    await sql.unsafe(`drop table if exists ${ident(states.table)}`).catch(() => {});
  }
}

/**
 * Each pair's row: the last state of its key at or before its instant (none before the first),
 * into the target's work table, one index probe a pair, in slices.
 */
export async function readLatest(
  sql: Sql,
  states: string,
  target: HistoryTarget,
  options: { at?: string; signal?: AbortSignal | undefined },
): Promise<void> {
  const key = ident(target.key.name);
  const at = ident(options.at ?? "as_of");
  const fields = target.fields.map((f) => ident(f.field));
  const names = [key, "as_of", "event_timestamp", ...fields];
  const selected = ["_p.k", "_p.t", "_s.event_timestamp", ...fields.map((f) => `_s.${f}`)];
  const last = latestState(states, key, at, "_p.k", "_p.t");
  const pacer = new Pacer({ initial: 128, min: 1, max: 16_384, targetMs: SLICE_TARGET_MS });
  const { ids, asOf } = target.pairs;
  for (let done = 0; done < ids.length; ) {
    options.signal?.throwIfAborted();
    const end = Math.min(ids.length, done + pacer.next);
    const params = [ids.slice(done, end), asOf.slice(done, end).map(timestampText)];
    await pacer.time(end - done, () =>
      sql.unsafe(
        `insert into ${ident(target.table)} (${names.join(", ")})
         select ${selected.join(", ")}
         from unnest($1::${target.key.pgType}[], $2::text[]::timestamp[]) _p(k, t)
         left join lateral ${last} _s on true`,
        sqlParams(params),
      ),
    );
    done = end;
  }
}

/**
 * The last row of `states` for the key `outerKey` at or before the instant `outerAt` (both
 * expressions of the outer query; `key` and `at` quoted columns of states): one index probe.
 */
export function latestState(states: string, key: string, at: string, outerKey: string, outerAt: string) {
  return `(select * from ${ident(states)} _h where _h.${key} = ${outerKey} and _h.${at} <= ${outerAt}
          order by _h.${at} desc limit 1)`;
}

// A track view is computed once per change of each uploaded track instead of once per row when
// that is under the rows (tracks uploaded several times, a view that changes rarely): a row then
// reads its state with one index probe as the rows are read, where a row of its own cost an
// insert and a merge. At scale 1 (100,000 rows, 47,000 tracks) the views that change once a
// track took 0.6 s instead of 1.6 s; at 0.34, when a row's state was first copied into a table of
// a row each, they were computed per row.
const CHANGES_PER_ROW = 0.8;
const SAMPLE_TRACKS = 512;

/**
 * The change instants of the uploaded tracks, when computing the view once per change costs
 * well under once per row; a sample of the tracks tells how many changes a track has.
 */
export async function changeInstantsWorthIt(
  sql: Sql,
  changes: CompiledQuery,
  rows: { ids: unknown[] },
  signal?: AbortSignal,
): Promise<Pairs | undefined> {
  const ids = [...new Set(rows.ids as number[])].sort((a, b) => a - b);
  if (ids.length > rows.ids.length * CHANGES_PER_ROW) return undefined;
  const stride = Math.max(1, Math.floor(ids.length / SAMPLE_TRACKS));
  const sample = ids.filter((_, i) => i % stride === 0);
  const [counted] = await sql.unsafe<{ n: number }[]>(
    `select count(*)::float8 as n from (${changes.text}) _c`,
    bindParams(changes, { entity_ids: sample }),
  );
  const estimate = ((counted?.n ?? 0) / Math.max(1, sample.length)) * ids.length;
  if (estimate > rows.ids.length * CHANGES_PER_ROW) return undefined;
  const instants: Pairs = { ids: [], asOf: [] };
  const pacer = new Pacer({ initial: 256, min: 1, max: 65_536, targetMs: SLICE_TARGET_MS });
  for (let done = 0; done < ids.length; ) {
    signal?.throwIfAborted();
    const slice = ids.slice(done, done + pacer.next);
    const found = await pacer.time(slice.length, () =>
      sql.unsafe<{ id: number; at: string }[]>(
        `select entity_id as id, as_of::text as at from (${changes.text}) _c`,
        bindParams(changes, { entity_ids: slice }),
      ),
    );
    for (const r of found) {
      instants.ids.push(r.id);
      instants.asOf.push(r.at);
    }
    done += slice.length;
  }
  return instants;
}

// Running sums are kept as numeric, exact whatever the order of additions and removals; sum and
// avg give back the type PostgreSQL's own aggregate would (sum(int) is bigint, avg(int) numeric).
// By the input's type oid: int2, int4, int8, float4, float8, numeric.
const RUNNING_TYPES: Record<number, { sum: string; avg: string }> = {
  21: { sum: "bigint", avg: "numeric" },
  23: { sum: "bigint", avg: "numeric" },
  20: { sum: "numeric", avg: "numeric" },
  700: { sum: "real", avg: "double precision" },
  701: { sum: "double precision", avg: "double precision" },
  1700: { sum: "numeric", avg: "numeric" },
};

/**
 * The SELECT of (key, at, event_timestamp, fields) for one slice of keys. Per track, each
 * change adds its new inputs and takes back its previous ones (lag); per key, the running
 * sum of those deltas in time order is the aggregate over its tracks as they stood then. A
 * key's event time is its latest change: the newest row any of its tracks read.
 */
export async function runningTotals(sql: Sql, history: CompiledHistory, fields: HistoryTarget["fields"]) {
  const expressions = fields.map((f) => `(${history.running[f.field]})::${f.pgType}`);
  const totals = fields.flatMap((f) => history.totals[f.field] ?? []);
  const inputs = [...new Set(totals.flatMap((t) => (t.input === undefined ? [] : [t.input])))];
  const summed = new Set(
    totals.flatMap((t) => (t.input !== undefined && t.total !== "count" ? [t.input] : [])),
  );
  const inputName = (k: number) => history.columns.inputs[k - 1] as string;
  const aliases = [...new Set(inputs.flatMap((k) => history.inputAliases[inputName(k)] ?? []))];
  const described = await sql
    .unsafe(history.changes.text, bindParams(history.changes, { entity_ids: [], aliases }))
    .describe();
  const typeOf = (k: number) => described.columns.find((c) => c.name === inputName(k))?.type ?? 0;
  const deltas = ["1 - coalesce(lag(1) over _p, 0) as dn"];
  const sums = ['sum(_d.dn) over _w as "n"'];
  const columns = ['_t."n"'];
  for (const k of inputs) {
    const input = `_h.${ident(inputName(k))}`;
    const present = `(${input} is not null)::int`;
    deltas.push(`${present} - coalesce(lag(${present}) over _p, 0) as dc${k}`);
    sums.push(`sum(_d.dc${k}) over _w as "c${k}"`);
    columns.push(`_t."c${k}"`);
    if (!summed.has(k)) continue;
    const types = RUNNING_TYPES[typeOf(k)];
    if (!types) throw new Error(`input ${inputName(k)} of a running sum has type oid ${typeOf(k)}`);
    const value = `coalesce(${input}::numeric, 0)`;
    deltas.push(`${value} - coalesce(lag(${value}) over _p, 0) as ds${k}`);
    sums.push(`sum(_d.ds${k}) over _w as "s${k}"`);
    columns.push(
      `case when _t."c${k}" > 0 then _t."s${k}"::${types.sum} end as "sum${k}"`,
      `case when _t."c${k}" > 0 then (_t."s${k}" / _t."c${k}")::${types.avg} end as "avg${k}"`,
    );
  }
  const [key, track, at] = [history.columns.key, history.columns.track, history.columns.at].map(ident);
  const select = [
    `select _s.${key}, _s.${at}, nullif(_s.${at}, ${ALWAYS}), ${expressions.join(", ")}`,
    "from (",
    `  select _t.${key}, _t.${at}, ${columns.join(", ")}`,
    "  from (",
    `    select _d.${key}, _d.${at}, ${sums.join(", ")}`,
    `    from (select _h.${key}, _h.${at}, ${deltas.join(", ")}`,
    `          from (${history.changes.text}) _h`,
    `          window _p as (partition by _h.${track} order by _h.${at})) _d`,
    `    window _w as (partition by _d.${key} order by _d.${at})`,
    "  ) _t",
    ") _s",
  ].join("\n");
  return { totals: select, aliases };
}
