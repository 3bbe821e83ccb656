import { type Sql, sqlParams } from "../../db/database";
import { ident } from "../../definitions/compile/params";
import type { DatasetPlan, ViewSource } from "../plan/dataset-plan";
import type { Pairs } from "./pit-history";
import { keyOf } from "./pit-sources";

type Via = NonNullable<ViewSource["via"]>;

/** Rows a statement of these reads reads at most: each is a short index-ordered page. */
const PAGE = 8_192;

/** The distinct keys the relation's key source held at an instant. */
export async function keysAtInstant(sql: Sql, via: Via, keyTable: string, instant: number): Promise<Pairs> {
  const key = ident(via.keyField);
  const rows = await sql.unsafe<{ k: unknown }[]>(
    `select distinct ${key} as k from ${ident(keyTable)} where ${key} is not null order by 1`,
  );
  return { ids: rows.map((r) => r.k), asOf: rows.map(() => instant) };
}

/**
 * The distinct (key, instant) pairs the relation's key source held for the uploaded rows. A key
 * source kept a row per upload gives them as they are; one kept as states is read once, a page
 * at a time along its (entity, instant) index, and each row takes the last state of its entity
 * at or before its instant here: a probe of the database per row cost ~6 µs, 0.6 s for 100,000.
 */
export async function keysOfRows(
  sql: Sql,
  plan: DatasetPlan,
  via: Via,
  keyTable: { table: string; states: boolean },
  rows: { ids: unknown[]; asOf: number[] },
  signal?: AbortSignal,
): Promise<Pairs> {
  const found = new Map<string, { k: unknown; t: number }>();
  const add = (k: unknown, t: number) => {
    if (k !== null && k !== undefined) found.set(`${k}\u0000${t}`, { k, t });
  };
  if (keyTable.states) {
    const states = await readStates(sql, plan, via, keyTable.table, signal);
    for (let i = 0; i < rows.ids.length; i++) {
      const t = rows.asOf[i] as number;
      add(states.get(rows.ids[i])?.valueAt(t), t);
    }
  } else {
    await pages(sql, keyTable.table, ["ord", via.keyField], signal, (row) =>
      add(row[via.keyField], rows.asOf[Number(row.ord) - 1] as number),
    );
  }
  const pairs = [...found.values()].sort((a, b) =>
    a.k === b.k ? a.t - b.t : (a.k as string | number) < (b.k as string | number) ? -1 : 1,
  );
  return { ids: pairs.map((p) => p.k), asOf: pairs.map((p) => p.t) };
}

/** Each entity's states of the key field: instants (epoch microseconds) ascending, and the values. */
class KeyStates {
  readonly at: number[] = [];
  readonly values: unknown[] = [];

  /** The value of the last state at or before `t`; none before the first. */
  valueAt(t: number): unknown {
    let [low, high] = [0, this.at.length];
    while (low < high) {
      const middle = (low + high) >>> 1;
      if ((this.at[middle] as number) <= t) low = middle + 1;
      else high = middle;
    }
    return low === 0 ? undefined : this.values[low - 1];
  }
}

async function readStates(sql: Sql, plan: DatasetPlan, via: Via, table: string, signal?: AbortSignal) {
  const entity = keyOf(plan, via.keySource).name;
  const states = new Map<unknown, KeyStates>();
  await pages(sql, table, [entity, "as_of", via.keyField], signal, (row) => {
    const id = row[entity];
    const kept = states.get(id) ?? new KeyStates();
    if (kept.at.length === 0) states.set(id, kept);
    kept.at.push(row._at as number);
    kept.values.push(row[via.keyField]);
  });
  return states;
}

/**
 * Every row of `table` (its `columns`) in the order of its first columns, an index's: `ord`, or
 * (entity, as_of). A page at a time past the last row read; a state (keyed by entity and as_of)
 * also carries `_at`, its as_of in epoch microseconds (exact: extract gives numeric), and
 * `_as_of`, its text, the next page's bound.
 */
async function pages(
  sql: Sql,
  table: string,
  columns: string[],
  signal: AbortSignal | undefined,
  each: (row: Record<string, unknown>) => void,
): Promise<void> {
  const timed = columns[0] !== "ord";
  const keyed = columns.slice(0, timed ? 2 : 1);
  const order = keyed.map(ident).join(", ");
  let after: unknown[] | undefined;
  for (;;) {
    signal?.throwIfAborted();
    const past = after ? `where (${order}) > (${keyed.map((_, i) => `$${i + 1}`).join(", ")})` : "";
    const instants = timed
      ? ", (extract(epoch from as_of) * 1000000)::float8 as _at, as_of::text as _as_of"
      : "";
    const page = await sql.unsafe<Record<string, unknown>[]>(
      `select ${columns.map(ident).join(", ")}${instants}
       from ${ident(table)} ${past} order by ${order} limit ${PAGE}`,
      sqlParams(after ?? []),
    );
    for (const row of page) each(row);
    if (page.length < PAGE) return;
    const last = page[page.length - 1] as Record<string, unknown>;
    after = keyed.map((column) => (column === "as_of" ? last._as_of : last[column]));
  }
}
