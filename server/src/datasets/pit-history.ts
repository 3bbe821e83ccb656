import { type Sql, sqlParams } from "../db/database";
import { bindParams, ident } from "../definitions/compile/params";
import { ALWAYS, type CompiledHistory } from "../definitions/compile/pit-history";
import { Pacer, SLICE_TARGET_MS } from "./pacer";
import { formatTimestamp } from "./timestamps";

/** The (key, instant) pairs a related view is asked for, and the work table that takes them. */
export type HistoryTarget = {
  table: string;
  key: { name: string; pgType: string };
  fields: { field: string; pgType: string }[];
  pairs: { ids: unknown[]; asOf: number[] };
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
  const totals = await runningTotals(sql, history, target);
  const states = `${target.table}_history`;
  const key = ident(target.key.name);
  const fields = target.fields.map((f) => ident(f.field));
  await sql.unsafe(
    `create unlogged table ${ident(states)} (${key} ${target.key.pgType}, "at" timestamp, ` +
      `"event_timestamp" timestamp${target.fields.map((f) => `, ${ident(f.field)} ${f.pgType}`).join("")})`,
  );
  try {
    const keys = [...new Set(target.pairs.ids)].sort();
    const byKey = new Pacer({ initial: 4, min: 1, max: 1_024, targetMs: SLICE_TARGET_MS });
    for (let done = 0; done < keys.length; ) {
      signal?.throwIfAborted();
      const slice = keys.slice(done, done + byKey.next);
      await byKey.time(slice.length, () =>
        sql.unsafe(
          `insert into ${ident(states)} (${key}, "at", "event_timestamp", ${fields.join(", ")})\n${totals}`,
          bindParams(history.changes, { entity_ids: slice }),
        ),
      );
      done += slice.length;
    }
    await sql.unsafe(`create index on ${ident(states)} (${key}, "at")`);
    await sql.unsafe(`analyze ${ident(states)}`);

    const byPair = new Pacer({ initial: 128, min: 1, max: 16_384, targetMs: SLICE_TARGET_MS });
    const { ids, asOf } = target.pairs;
    for (let done = 0; done < ids.length; ) {
      signal?.throwIfAborted();
      const end = Math.min(ids.length, done + byPair.next);
      const params = sqlParams([ids.slice(done, end), asOf.slice(done, end).map(formatTimestamp)]);
      await byPair.time(end - done, () =>
        sql.unsafe(
          `insert into ${ident(target.table)} (${key}, "as_of", "event_timestamp", ${fields.join(", ")})
           select _p.k, _p.t, _s."event_timestamp", ${fields.map((f) => `_s.${f}`).join(", ")}
           from unnest($1::${target.key.pgType}[], $2::timestamp[]) _p(k, t)
           left join lateral (select * from ${ident(states)} _h where _h.${key} = _p.k and _h."at" <= _p.t
                              order by _h."at" desc limit 1) _s on true`,
          params,
        ),
      );
      done = end;
    }
  } finally {
    await sql.unsafe(`drop table if exists ${ident(states)}`).catch(() => {});
  }
}

// Running sums are kept as numeric, exact whatever the order of additions and removals; sum and
// avg give back the type PostgreSQL's own aggregate would (sum(int) is bigint, avg(int) numeric).
const SUM_TYPE: Record<number, string> = {
  21: "bigint",
  23: "bigint",
  20: "numeric",
  700: "real",
  701: "double precision",
  1700: "numeric",
};
const AVG_TYPE: Record<number, string> = {
  21: "numeric",
  23: "numeric",
  20: "numeric",
  700: "double precision",
  701: "double precision",
  1700: "numeric",
};

/**
 * The SELECT of (key, at, event_timestamp, fields) for one slice of keys. Per track, each
 * change adds its new inputs and takes back its previous ones (lag); per key, the running
 * sum of those deltas in time order is the aggregate over its tracks as they stood then. A
 * key's event time is its latest change: the newest row any of its tracks read.
 */
async function runningTotals(sql: Sql, history: CompiledHistory, target: HistoryTarget): Promise<string> {
  const expressions = target.fields.map((f) => `(${history.running[f.field]})::${f.pgType}`);
  const used = new Set(
    expressions.flatMap((e) => [...e.matchAll(/_s\."(n|c|sum|avg)(\d*)"/g)].map((m) => m[0])),
  );
  const inputs = [...new Set([...used].map((u) => /\d+/.exec(u)?.[0]).filter((k) => k !== undefined))];
  const described = await sql
    .unsafe(history.changes.text, bindParams(history.changes, { entity_ids: [] }))
    .describe();
  const typeOf = (k: string) => described.columns.find((c) => c.name === `i${k}`)?.type ?? 0;
  const deltas = ["1 - coalesce(lag(1) over _p, 0) as dn"];
  const sums = ['sum(_d.dn) over _w as "n"'];
  const totals = ['_t."n"'];
  for (const k of inputs) {
    const input = `_h."i${k}"`;
    const present = `(${input} is not null)::int`;
    deltas.push(`${present} - coalesce(lag(${present}) over _p, 0) as dc${k}`);
    sums.push(`sum(_d.dc${k}) over _w as "c${k}"`);
    totals.push(`_t."c${k}"`);
    if (!used.has(`_s."sum${k}"`) && !used.has(`_s."avg${k}"`)) continue;
    const sumType = SUM_TYPE[typeOf(k)];
    const avgType = AVG_TYPE[typeOf(k)];
    if (!sumType || !avgType) throw new Error(`input i${k} of a running sum has type oid ${typeOf(k)}`);
    const value = `coalesce(${input}::numeric, 0)`;
    deltas.push(`${value} - coalesce(lag(${value}) over _p, 0) as ds${k}`);
    sums.push(`sum(_d.ds${k}) over _w as "s${k}"`);
    totals.push(
      `case when _t."c${k}" > 0 then _t."s${k}"::${sumType} end as "sum${k}"`,
      `case when _t."c${k}" > 0 then (_t."s${k}" / _t."c${k}")::${avgType} end as "avg${k}"`,
    );
  }
  return [
    `select _s."artist", _s."at", nullif(_s."at", ${ALWAYS}), ${expressions.join(", ")}`,
    "from (",
    `  select _t."artist", _t."at", ${totals.join(", ")}`,
    "  from (",
    `    select _d."artist", _d."at", ${sums.join(", ")}`,
    `    from (select _h."artist", _h."at", ${deltas.join(", ")}`,
    `          from (${history.changes.text}) _h`,
    '          window _p as (partition by _h."track_id" order by _h."at")) _d',
    '    window _w as (partition by _d."artist" order by _d."at")',
    "  ) _t",
    ") _s",
  ].join("\n");
}
