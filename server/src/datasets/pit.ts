import { type Sql, sqlParams } from "../db/database";
import { bindParams, type CompiledQuery, ident } from "../definitions/compile/params";
import { getViewVersion } from "../registry";
import type { DatasetPlan, Source, ViewSource } from "./plan";
import { pitTable, readsPointInTime } from "./query";
import { formatTimestamp } from "./timestamps";

/** Each point-in-time source's compiled query, as the registry holds it for that version. */
export async function loadPointInTime(sql: Sql, plan: DatasetPlan): Promise<Map<Source, CompiledQuery>> {
  const queries = new Map<Source, CompiledQuery>();
  for (const source of plan.sources.filter(readsPointInTime)) {
    if (source.kind === "view") {
      const detail = await getViewVersion(sql, source.name, source.version);
      if (!detail) throw new Error(`${source.name}@${source.version} vanished from the registry`);
      queries.set(source, detail.compiled.point_in_time);
    } else {
      // The registry's read API has no compiled SQL for embeddings; the table has it.
      const [row] = await sql<{ pit: CompiledQuery | null }[]>`
        select compiled->'point_in_time' as pit from rapfs_embeddings
        where name = ${source.name} and version = ${source.version}`;
      if (!row?.pit) throw new Error(`embedding ${source.name}@${source.version} has no point-in-time query`);
      queries.set(source, row.pit);
    }
  }
  return queries;
}

/** The columns a source contributes: what features and filters read from it, and relations' keys. */
function fieldsOf(plan: DatasetPlan, source: Source): { field: string; pgType: string }[] {
  const fields = new Map<string, string>();
  for (const f of [...plan.features, ...plan.filters]) if (f.source === source) fields.set(f.field, f.pgType);
  for (const s of plan.sources) {
    if (s.kind === "view" && s.via?.keySource === source) fields.set(s.via.keyField, keyPgType(s.key));
  }
  return [...fields].map(([field, pgType]) => ({ field, pgType }));
}

const keyPgType = (keyColumn: string) => (keyColumn === "artist" ? "text" : "integer");

/** The key column a source's temp table holds: the entity's, or for a related view the related entity's. */
function keyOf(plan: DatasetPlan, source: Source): { name: string; pgType: string } {
  if (source.kind === "view" && source.via) return { name: source.key, pgType: keyPgType(source.key) };
  return { name: plan.key.name, pgType: plan.entity.keyType === "int" ? "integer" : "text" };
}

/** Temp tables dropped at commit: nothing is left behind by a failed or finished download. */
export async function createPointInTimeTables(tx: Sql, plan: DatasetPlan): Promise<void> {
  for (const source of plan.sources.filter(readsPointInTime)) {
    const key = keyOf(plan, source);
    const columns = [
      "ord bigint not null",
      `${ident(key.name)} ${key.pgType}`,
      "as_of timestamp",
      "event_timestamp timestamp",
      ...fieldsOf(plan, source).map((f) => `${ident(f.field)} ${f.pgType}`),
    ];
    const table = ident(pitTable(plan.sources.indexOf(source)));
    await tx.unsafe(`create temp table ${table} (${columns.join(", ")}) on commit drop`);
  }
}

/**
 * Computes one chunk of (entity, timestamp) rows with each source's compiled point-in-time
 * query — which reads only analyses created at or before the row's timestamp — numbering them
 * from `offset + 1`. A related entity's view is asked for the key its relation held as of the
 * same timestamp (its key source is filled first), so an artist's values are the artist's as of
 * the track row's time.
 */
export async function fillPointInTime(
  tx: Sql,
  plan: DatasetPlan,
  queries: Map<Source, CompiledQuery>,
  chunk: { ids: unknown[]; asOf: number[] },
  offset: number,
): Promise<void> {
  const asOf = chunk.asOf.map(formatTimestamp);
  for (const [source, query] of queries) {
    const fields = fieldsOf(plan, source).map((f) => ident(f.field));
    const names = [ident(keyOf(plan, source).name), "as_of", "event_timestamp", ...fields];
    const ids =
      source.kind === "view" && source.via
        ? await relatedKeys(tx, plan, source.via, offset, chunk.ids.length)
        : chunk.ids;
    const params = bindParams(query, { entity_ids: ids, as_of: asOf });
    params.push(offset);
    const table = ident(pitTable(plan.sources.indexOf(source)));
    await tx.unsafe(
      `insert into ${table} (ord, ${names.join(", ")})\n` +
        `select _q.ord + $${params.length}::bigint, ${names.map((n) => `_q.${n}`).join(", ")}\n` +
        `from (${query.text}) _q`,
      sqlParams(params),
    );
  }
}

/** The related entity's key of each row of the chunk (null where the relation held none then), in order. */
async function relatedKeys(
  tx: Sql,
  plan: DatasetPlan,
  via: NonNullable<ViewSource["via"]>,
  offset: number,
  count: number,
): Promise<unknown[]> {
  const table = ident(pitTable(plan.sources.indexOf(via.keySource)));
  const rows = await tx.unsafe<{ k: unknown }[]>(
    `select ${ident(via.keyField)} as k from ${table} where ord > $1 and ord <= $2 order by ord`,
    sqlParams([offset, offset + count]),
  );
  if (rows.length !== count)
    throw new Error(`relation ${via.relation}: ${rows.length} keys for ${count} rows`);
  return rows.map((r) => r.k);
}

/** Planner statistics for the filled temp tables, so the final join is planned on real sizes. */
export async function analyzePointInTime(tx: Sql, plan: DatasetPlan): Promise<void> {
  for (const source of plan.sources.filter(readsPointInTime)) {
    await tx.unsafe(`analyze ${ident(pitTable(plan.sources.indexOf(source)))}`);
  }
}

/** Every entity id, a page at a time (an as_of download asks for each of them). */
export async function* entityIds(tx: Sql, plan: DatasetPlan, pageSize: number): AsyncIterable<unknown[]> {
  const int = plan.entity.keyType === "int";
  let after: unknown = int ? -2_147_483_648 : "";
  for (;;) {
    const rows = int
      ? await tx.unsafe<{ k: number }[]>(
          "select id as k from tracks where id > $1 order by id limit $2",
          sqlParams([after, pageSize]),
        )
      : await tx.unsafe<{ k: string }[]>(
          "select distinct artist as k from tracks where artist is not null and artist > $1 order by artist limit $2",
          sqlParams([after, pageSize]),
        );
    if (rows.length === 0) return;
    yield rows.map((r) => r.k);
    after = rows.at(-1)?.k;
    if (rows.length < pageSize) return;
  }
}
