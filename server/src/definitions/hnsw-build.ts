import type { Sql } from "../db/database";
import { type HnswIndexSpec, hnswIndexDdl } from "./compile/embedding";
import { ident } from "./compile/params";

/** Where the build runs, and how it opens a transaction there (materialize's Session fits). */
export type Session = {
  sql: Sql;
  transaction<T>(mode: string, work: (tx: Sql) => Promise<T>): Promise<T>;
};

/** Transactions on a pool (the registry's apply). */
export function pooled(sql: Sql): Session {
  return {
    sql,
    transaction: (mode, work) => sql.begin(mode, (tx) => work(tx as unknown as Sql)) as Promise<never>,
  };
}

export type HnswBuild = {
  action: "built" | "rebuilt" | "unchanged";
  rows: number;
  /** The maintenance_work_mem the build ran with. */
  maintenanceWorkMem: string | null;
  /** False when shared memory could not hold a parallel build and it ran in one process. */
  parallel?: boolean;
  ms: number;
};

const MB = 1024 * 1024;
const SHARED_MEMORY = /shared memory segment|dynamic shared memory/i;
// Auto-sized builds stay under this; a bigger corpus names its own size in the definition.
const AUTO_MAX_BYTES = 8 * 1024 * MB;

/**
 * pgvector's in-memory graph for one row, in bytes: the element (~200 B with its heap TIDs), the
 * vector (8 + 4 × dimension) and its neighbour lists, 2m candidates of 16 B on layer 0 and m on
 * each upper layer (1 in m - 1 rows has one). A build whose graph outgrows maintenance_work_mem
 * goes on on disk, several times slower ("hnsw graph no longer fits into maintenance_work_mem").
 */
export function graphBytesPerRow(dimension: number, m: number): number {
  return 200 + 8 + 4 * dimension + 8 + 32 * m + (16 * m + 16) / Math.max(1, m - 1);
}

/** The graph's size for `rows` with a quarter to spare, in whole MB (never below 64 MB, pgvector's floor). */
export function autoMaintenanceWorkMem(rows: number, dimension: number, m: number): string {
  const bytes = Math.min(AUTO_MAX_BYTES, rows * graphBytesPerRow(dimension, m) * 1.25 + 16 * MB);
  return `${Math.max(64, Math.ceil(bytes / MB))}MB`;
}

/**
 * Builds the embedding's HNSW index with its options, in a transaction that sets
 * maintenance_work_mem for itself alone. An index already built with the same options is left
 * alone; one with other options is rebuilt beside it and swapped in, so searches keep using the
 * old one until the new one is ready.
 */
export async function buildHnswIndex(session: Session, spec: HnswIndexSpec): Promise<HnswBuild> {
  const { sql } = session;
  const started = performance.now();
  const wanted = [`m=${spec.m}`, `ef_construction=${spec.efConstruction}`];
  const [existing] = await sql<{ options: string[] | null }[]>`
    select reloptions as options from pg_class where oid = to_regclass(${ident(spec.name)})`;
  const rows = await countRows(sql, spec);
  if (existing && sameOptions(existing.options, wanted)) {
    return { action: "unchanged", rows, maintenanceWorkMem: null, ms: elapsed(started) };
  }
  // Servers starting together on an empty database build each index once: the others wait on the
  // lock, then find it built (two builds of one name: the loser failed on a duplicate and exited).
  const built = await session.transaction("", async (tx) => {
    await tx`select pg_advisory_xact_lock(hashtext(${`rapfs:hnsw:${spec.name}`}))`;
    const [now] = await tx<{ options: string[] | null }[]>`
      select reloptions as options from pg_class where oid = to_regclass(${ident(spec.name)})`;
    if (now && sameOptions(now.options, wanted)) return undefined;
    const on = { relation: spec.relation, rows };
    if (!now)
      return { action: "built" as const, ...(await buildHnswIndexIn(tx, spec, { ...on, name: spec.name })) };
    const building = `${spec.name}_build`;
    await tx.unsafe(`drop index if exists ${ident(building)}`);
    const build = await buildHnswIndexIn(tx, spec, { ...on, name: building });
    await tx.unsafe(`drop index ${ident(spec.name)}`);
    await tx.unsafe(`alter index ${ident(building)} rename to ${ident(spec.name)}`);
    return { action: "rebuilt" as const, ...build };
  });
  if (!built) return { action: "unchanged", rows, maintenanceWorkMem: null, ms: elapsed(started) };
  return { ...built, rows, ms: elapsed(started) };
}

/**
 * Builds the index on a table being prepared in `tx` (a full run's staging table, or the view's
 * own for buildHnswIndex) under `name`, with maintenance_work_mem sized for it in `tx` alone. A
 * parallel build puts its whole maintenance_work_mem in one shared memory segment, which a small
 * /dev/shm (Docker's default is 64 MB) cannot hold: it goes on in this process, from a savepoint.
 */
export async function buildHnswIndexIn(
  tx: Sql,
  spec: HnswIndexSpec,
  on: { relation: string; name: string; rows: number },
): Promise<{ maintenanceWorkMem: string; parallel: boolean }> {
  const memory = spec.maintenanceWorkMem ?? (await autoSized(tx, on.rows, spec));
  const ddl = hnswIndexDdl({ ...spec, relation: on.relation }, on.name);
  await tx`select set_config('maintenance_work_mem', ${memory}, true)`;
  await tx.unsafe("savepoint hnsw_build");
  let parallel = true;
  try {
    await tx.unsafe(ddl);
  } catch (error) {
    if (!SHARED_MEMORY.test((error as Error).message)) throw error;
    await tx.unsafe("rollback to savepoint hnsw_build");
    await tx`select set_config('max_parallel_maintenance_workers', '0', true)`;
    await tx.unsafe(ddl);
    parallel = false;
  }
  await tx.unsafe("release savepoint hnsw_build");
  return { maintenanceWorkMem: memory, parallel };
}

async function countRows(sql: Sql, spec: HnswIndexSpec): Promise<number> {
  const [row] = await sql<{ n: string }[]>`
    select count(*) as n from ${sql(spec.relation)} where ${sql(spec.column)} is not null`;
  return Number(row?.n ?? 0);
}

/** The estimate, or the server's own setting when that is larger (an operator may have raised it). */
async function autoSized(sql: Sql, rows: number, spec: HnswIndexSpec): Promise<string> {
  const estimate = autoMaintenanceWorkMem(rows, spec.dimension, spec.m);
  const [current] = await sql<{ kb: string }[]>`
    select setting as kb from pg_settings where name = 'maintenance_work_mem'`;
  const currentMb = Math.floor(Number(current?.kb ?? 0) / 1024);
  return currentMb > Number.parseInt(estimate, 10) ? `${currentMb}MB` : estimate;
}

function sameOptions(actual: string[] | null, wanted: string[]): boolean {
  const set = new Set(actual ?? []);
  return set.size === wanted.length && wanted.every((o) => set.has(o));
}

function elapsed(started: number): number {
  return Math.round(performance.now() - started);
}
