import { randomBytes } from "node:crypto";
import { type Sql, sqlParams } from "../../db/database";
import { bindParams, type CompiledQuery, ident } from "../../definitions/compile/params";
import type { CompiledHistory } from "../../definitions/compile/pit-history";
import { getViewVersion } from "../../registry";
import { Pacer, SLICE_TARGET_MS } from "../pacer";
import type { DatasetPlan, Source } from "../plan/dataset-plan";
import {
  changeInstantsWorthIt,
  fillFromHistory,
  type HistoryTarget,
  historyServes,
  latestState,
  type Pairs,
  timestampText,
} from "./pit-history";
import { entityKeyOf, fieldsOf, keyOf, readsPointInTime } from "./pit-sources";
import { keysAtInstant, keysOfRows } from "./related-keys";
import { fillFromStoredHistory } from "./stored-history";

/** A source's compiled point-in-time query, and what its history is read from (see pit-history). */
export type PointInTimeQueries = {
  rows: CompiledQuery;
  history?: CompiledHistory | null | undefined;
  changes?: CompiledQuery | null | undefined;
  /** The view's own table (a stored history is kept under its name). */
  viewTable?: string;
};

/** Each point-in-time source's compiled queries, as the registry holds them for that version. */
export async function loadPointInTime(sql: Sql, plan: DatasetPlan): Promise<Map<Source, PointInTimeQueries>> {
  const queries = new Map<Source, PointInTimeQueries>();
  for (const source of plan.sources.filter(readsPointInTime)) {
    if (source.kind === "view") {
      const detail = await getViewVersion(sql, source.name, source.version);
      if (!detail) throw new Error(`${source.name}@${source.version} vanished from the registry`);
      const {
        point_in_time: rows,
        point_in_time_history: history,
        point_in_time_changes: changes,
      } = detail.compiled;
      queries.set(source, { rows, history, changes, viewTable: detail.table });
    } else {
      // The registry's read API has no compiled SQL for embeddings; the table has it.
      const [row] = await sql<{ pit: CompiledQuery | null }[]>`
        select compiled->'point_in_time' as pit from rapfs_embeddings
        where name = ${source.name} and version = ${source.version}`;
      if (!row?.pit) throw new Error(`embedding ${source.name}@${source.version} has no point-in-time query`);
      queries.set(source, { rows: row.pit });
    }
  }
  return queries;
}

/** Uploaded training rows (entity id and instant, epoch microseconds), or one instant for every entity. */
export type PointInTimeRequest = { rows: { ids: unknown[]; asOf: number[] } } | { instant: number };

/**
 * Point-in-time values computed into unlogged work tables, one per source, named for this job:
 * each slice of entities (or uploaded rows) is one statement of about SLICE_TARGET_MS, so no
 * piece of the work holds the embedded database's only backend longer than that, and a caller
 * that goes away stops the work between two slices. The tables hold values of the past (rows
 * created at or before their instant), which later writes do not change, so the slices need no
 * common transaction.
 */
export type WorkTables = {
  /**
   * The work table of each point-in-time source: at an instant, a row per entity; for a
   * training set, a row per uploaded row (`ord`), or the source's states (see `joinRows`); for
   * a related entity's view, a row per (key, instant) its relation held.
   */
  tableOf(source: Source): string;
  /** A training set's uploaded rows (ord, key, as_of) in upload order; none at an instant. */
  rows: string | undefined;
  /** Whether a training set's source is kept as states by (key, instant) rather than a row per upload. */
  isStates(source: Source): boolean;
  /**
   * The join that gives `alias` a training set's source's values for each uploaded row
   * (`rowsAlias`, the rows table): its row by `ord`, or the last of its states at or before the
   * row's instant (none before the first), one index probe a row.
   */
  joinRows(source: Source, alias: string, rowsAlias: string): string;
  drop(): Promise<void>;
};

export type FillOptions = {
  signal?: AbortSignal | undefined;
  onProgress?: (done: number, total: number) => void;
};

export async function computePointInTime(
  sql: Sql,
  plan: DatasetPlan,
  queries: Map<Source, PointInTimeQueries>,
  request: PointInTimeRequest,
  options: FillOptions = {},
): Promise<WorkTables> {
  const job = `rapfs_work_${Math.floor(Date.now() / 1000).toString(36)}_${randomBytes(5).toString("hex")}`;
  const names = new Map<Source, string>();
  const states = new Set<Source>();
  const rows = "rows" in request ? `${job}_rows` : undefined;
  const tableOf = (source: Source) => {
    const name = names.get(source);
    if (!name) throw new Error(`${source.name}@${source.version} has no work table`);
    return name;
  };
  const tables: WorkTables = {
    tableOf,
    rows,
    isStates: (source) => states.has(source),
    joinRows: (source, alias, rowsAlias) => {
      if (!states.has(source))
        return `join ${ident(tableOf(source))} ${alias} on ${alias}.ord = ${rowsAlias}.ord`;
      const key = ident(keyOf(plan, source).name);
      const last = latestState(tableOf(source), key, "as_of", `${rowsAlias}.${key}`, `${rowsAlias}.as_of`);
      return `left join lateral ${last} ${alias} on true`;
    },
    drop: async () => {
      for (const name of [...(rows ? [rows] : []), ...names.values()])
        await sql.unsafe(`drop table if exists ${ident(name)}`).catch(() => {});
    },
  };
  // Every track source of an instant's download asks for the same ids: read them once.
  let ids: Promise<unknown[]> | undefined;
  const everyEntity = () => {
    ids ??= entityIds(sql, plan);
    return ids;
  };
  try {
    if (rows && "rows" in request) await fillRows(sql, plan, rows, request.rows, options.signal);
    // A related entity's view reads the keys its relation held, so its key source is filled first.
    const ordered = [...queries].sort(([a], [b]) => Number(isRelated(a)) - Number(isRelated(b)));
    for (const [source, query] of ordered) {
      const name = `${job}_${plan.sources.indexOf(source)}`;
      names.set(source, name);
      const pairs = await requestedPairs(sql, plan, source, request, { tables, everyEntity }, options.signal);
      const instants = await changeInstantsOf(sql, source, query, request, options.signal);
      if (instants) {
        states.add(source);
        const target = { table: name, key: keyOf(plan, source), fields: fieldsOf(plan, source), pairs };
        const { columns } = layoutOf(plan, source, request, { related: true });
        await fillStates(sql, query.rows, columns, instants, target, options);
        continue;
      }
      const layout = layoutOf(plan, source, request);
      await sql.unsafe(`create unlogged table ${ident(name)} (${layout.columns.join(", ")})`);
      await fill(sql, plan, source, query, name, pairs, request, options);
      for (const index of layout.indexes) await sql.unsafe(`create index on ${ident(name)} (${index})`);
      // The planner needs the row count and the keys' spread, not the features': a whole-table
      // analyze read every wide column of its 30,000-row sample (up to ~220 ms under load).
      await sql.unsafe(`analyze ${ident(name)} (${layout.indexes.join(", ")})`);
    }
    return tables;
  } catch (error) {
    await tables.drop();
    throw error;
  }
}

const isRelated = (source: Source) => source.kind === "view" && source.via !== undefined;

/**
 * Training rows keep their upload order (`ord`); a related entity's view is computed once per
 * distinct (key, instant), however many rows share it; a single instant keys rows by entity.
 */
function layoutOf(
  plan: DatasetPlan,
  source: Source,
  request: PointInTimeRequest,
  { related = isRelated(source) } = {},
) {
  const key = keyOf(plan, source);
  const fields = fieldsOf(plan, source).map((f) => `${ident(f.field)} ${f.pgType}`);
  const keyed = `${ident(key.name)} ${key.pgType}`;
  if ("instant" in request) {
    return { columns: [keyed, "event_timestamp timestamp", ...fields], indexes: [ident(key.name)] };
  }
  if (related) {
    return {
      columns: [keyed, "as_of timestamp", "event_timestamp timestamp", ...fields],
      indexes: [`${ident(key.name)}, as_of`],
    };
  }
  return {
    columns: ["ord bigint not null", keyed, "as_of timestamp", "event_timestamp timestamp", ...fields],
    indexes: ["ord"],
  };
}

/** Where a source's keys come from: the work tables filled before it, and every entity's id. */
type KnownKeys = { tables: WorkTables; everyEntity: () => Promise<unknown[]> };

async function fill(
  sql: Sql,
  plan: DatasetPlan,
  source: Source,
  { rows: query, history, viewTable }: PointInTimeQueries,
  table: string,
  pairs: Pairs,
  request: PointInTimeRequest,
  options: FillOptions,
): Promise<void> {
  const target = { table, key: keyOf(plan, source), fields: fieldsOf(plan, source), pairs };
  const done = () => options.onProgress?.(pairs.ids.length, pairs.ids.length);
  if (isRelated(source) && "rows" in request && history && historyServes(history, target)) {
    const left = viewTable ? await fillFromStoredHistory(sql, target, viewTable, options.signal) : pairs;
    // What the stored history does not answer (the pairs after a key's changes, usually few):
    // summed from the corpus only while that is cheaper than each pair aggregated on its own.
    if (left.ids.length === 0) return done();
    const rest = { ...target, pairs: left };
    if (historyServes(history, rest)) await fillFromHistory(sql, history, rest, options.signal);
    else await fillPairs(sql, query, table, target, left, { ordered: false }, { signal: options.signal });
    return done();
  }
  const ordered = !("instant" in request) && !isRelated(source);
  await fillPairs(sql, query, table, target, pairs, { ordered, instant: "instant" in request }, options);
}

/**
 * For a training set's track view whose uploaded tracks change rarely next to how often they
 * are asked for: the instants it changed at, at which it is computed once each (see fillStates).
 */
async function changeInstantsOf(
  sql: Sql,
  source: Source,
  { changes }: PointInTimeQueries,
  request: PointInTimeRequest,
  signal?: AbortSignal,
): Promise<Pairs | undefined> {
  if (isRelated(source) || !("rows" in request) || !changes) return undefined;
  return changeInstantsWorthIt(sql, changes, request.rows, signal);
}

/**
 * A track view once per change of each uploaded track, into its work table of states keyed by
 * (track, instant), indexed as it fills: each uploaded row then reads the last state at or
 * before its time as the rows are read (WorkTables.joinRows), with no table of a row each.
 */
async function fillStates(
  sql: Sql,
  query: CompiledQuery,
  columns: string[],
  instants: Pairs,
  target: HistoryTarget,
  options: FillOptions,
): Promise<void> {
  const keyed = `${ident(target.key.name)}, as_of`;
  await sql.unsafe(`create unlogged table ${ident(target.table)} (${columns.join(", ")})`);
  await sql.unsafe(`create index on ${ident(target.table)} (${keyed})`);
  await fillPairs(sql, query, target.table, target, instants, { ordered: false }, options);
  await sql.unsafe(`analyze ${ident(target.table)} (${keyed})`);
  options.onProgress?.(target.pairs.ids.length, target.pairs.ids.length);
}

/** A training set's uploaded rows (ord, key, as_of) in upload order, in slices, indexed by ord. */
async function fillRows(
  sql: Sql,
  plan: DatasetPlan,
  table: string,
  rows: { ids: unknown[]; asOf: number[] },
  signal?: AbortSignal,
): Promise<void> {
  const key = entityKeyOf(plan);
  await sql.unsafe(
    `create unlogged table ${ident(table)} (ord bigint not null, ${ident(key.name)} ${key.pgType}, as_of timestamp)`,
  );
  const pacer = new Pacer({ initial: 1_024, min: 64, max: 65_536, targetMs: SLICE_TARGET_MS });
  for (let done = 0; done < rows.ids.length; ) {
    signal?.throwIfAborted();
    const end = Math.min(rows.ids.length, done + pacer.next);
    const params = [rows.ids.slice(done, end), rows.asOf.slice(done, end).map(Math.round), done];
    // Instants as epoch microseconds, exact (an int8 times one microsecond): parsing them as
    // text was most of the statement's time.
    await pacer.time(end - done, () =>
      sql.unsafe(
        `insert into ${ident(table)} (ord, ${ident(key.name)}, as_of)
         select _p.ord + $3::bigint, _p.k, timestamp 'epoch' + _p.t * interval '1 microsecond'
         from unnest($1::${key.pgType}[], $2::int8[]) with ordinality _p(k, t, ord)`,
        sqlParams(params),
      ),
    );
    done = end;
  }
  await sql.unsafe(`create index on ${ident(table)} (ord)`);
  await sql.unsafe(`analyze ${ident(table)}`);
}

/** Computes `query` for each (entity, instant) pair into `table`, in slices of about SLICE_TARGET_MS. */
async function fillPairs(
  sql: Sql,
  query: CompiledQuery,
  table: string,
  target: Pick<HistoryTarget, "key" | "fields">,
  pairs: Pairs,
  layout: { ordered: boolean; instant?: boolean },
  options: FillOptions,
): Promise<void> {
  const names = [
    ...(layout.ordered ? ["ord"] : []),
    ident(target.key.name),
    ...(layout.instant ? [] : ["as_of"]),
    "event_timestamp",
    ...target.fields.map((f) => ident(f.field)),
  ];
  // Each entity is its own index probes (a lateral join per unnested id), whatever the slice's size.
  const pacer = new Pacer({ initial: 8, min: 1, max: 4_096, targetMs: SLICE_TARGET_MS });
  const insert = async (ids: unknown[], asOf: (number | string)[], offset: number) => {
    const params = bindParams(query, { entity_ids: ids, as_of: asOf.map(timestampText) });
    if (layout.ordered) params.push(offset);
    const selected = names.map((n) => (n === "ord" ? `_q.ord + $${params.length}::bigint` : `_q.${n}`));
    await pacer.time(ids.length, () =>
      sql.unsafe(
        `insert into ${ident(table)} (${names.join(", ")})\nselect ${selected.join(", ")}\nfrom (${query.text}) _q`,
        sqlParams(params),
      ),
    );
  };
  let done = 0;
  while (done < pairs.ids.length) {
    options.signal?.throwIfAborted();
    const end = Math.min(pairs.ids.length, done + pacer.next);
    await insert(pairs.ids.slice(done, end), pairs.asOf.slice(done, end), done);
    done = end;
    options.onProgress?.(done, pairs.ids.length);
  }
}

/**
 * The (entity, instant) pairs a source is computed for: the uploaded rows, every entity at the
 * instant, or for a related entity's view the distinct keys (and instants) its relation held.
 */
async function requestedPairs(
  sql: Sql,
  plan: DatasetPlan,
  source: Source,
  request: PointInTimeRequest,
  known: KnownKeys,
  signal?: AbortSignal,
): Promise<Pairs> {
  const via = source.kind === "view" ? source.via : undefined;
  if (via) {
    const { tables } = known;
    const keyTable = tables.tableOf(via.keySource);
    if ("instant" in request) return keysAtInstant(sql, via, keyTable, request.instant);
    const states = tables.isStates(via.keySource);
    return keysOfRows(sql, plan, via, { table: keyTable, states }, request.rows, signal);
  }
  if ("rows" in request) return request.rows;
  const ids = await known.everyEntity();
  return { ids, asOf: ids.map(() => request.instant) };
}

/**
 * Every entity id: an instant's rows are asked for each of them, as a download holds them all.
 * Read a page at a time along the key's index: the whole list in one statement held the embedded
 * database's one backend for 120 ms at scale 1 (and ten times that at scale 10).
 */
async function entityIds(sql: Sql, plan: DatasetPlan): Promise<unknown[]> {
  const [key, type] = plan.entity.keyType === "int" ? ["id", "integer"] : ["artist", "text"];
  const ids: unknown[] = [];
  let last: { k: unknown } | undefined;
  for (;;) {
    const after = last ? `${key} > $1::${type}` : `${key} is not null`;
    const rows = await sql.unsafe<{ k: unknown }[]>(
      `select distinct ${key} as k from tracks where ${after} order by ${key} limit ${ENTITY_ID_PAGE}`,
      last ? [last.k as never] : [],
    );
    for (const row of rows) ids.push(row.k);
    if (rows.length < ENTITY_ID_PAGE) return ids;
    last = rows[rows.length - 1];
  }
}

const ENTITY_ID_PAGE = 8_192;

/** Work tables a process left behind when it died mid-download (older than `maxAgeSeconds`). */
export async function dropStaleWorkTables(sql: Sql, maxAgeSeconds: number): Promise<string[]> {
  const rows = await sql<{ name: string }[]>`
    select tablename as name from pg_tables where tablename like 'rapfs\\_work\\_%'`;
  const now = Math.floor(Date.now() / 1000);
  const stale = rows
    .map((r) => r.name)
    .filter((name) => {
      const created = Number.parseInt(name.split("_")[2] ?? "", 36);
      return Number.isFinite(created) && now - created > maxAgeSeconds;
    });
  for (const name of stale) await sql.unsafe(`drop table if exists ${ident(name)}`);
  return stale;
}
