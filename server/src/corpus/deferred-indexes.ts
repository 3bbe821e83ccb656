/** A statement runner inside the load's transaction. */
type Query = (text: string) => Promise<Record<string, unknown>[]>;

const CORPUS_TABLES = "'tracks'::regclass, 'analysis_results'::regclass";

/**
 * Drops the corpus tables' foreign keys and secondary indexes for a bulk load into empty tables,
 * and returns the statements that put them back as they were (read from the catalog, so a
 * migration that changes them needs no change here). Built once over all rows, an index sorts
 * instead of descending the tree per row, and a foreign key is checked by one join instead of
 * one lookup per row; the (artist, title) pairs are counted once after it too, not per chunk. Run
 * inside the load's transaction: a failure rolls the drops back too.
 */
export async function deferIndexes(query: Query): Promise<string[]> {
  const rows = (await query(`
    select format('alter table %s drop constraint %I', conrelid::regclass, conname) as drop,
           format('alter table %s add constraint %I %s', conrelid::regclass, conname,
                  pg_get_constraintdef(oid)) as restore, 2 as restore_order
    from pg_constraint where contype = 'f' and conrelid in (${CORPUS_TABLES})
    union all
    select format('drop index %s', i.indexrelid::regclass), pg_get_indexdef(i.indexrelid), 1
    from pg_index i
    where i.indrelid in (${CORPUS_TABLES}) and not i.indisprimary and not i.indisunique
    order by 3 desc`)) as { drop: string; restore: string; restore_order: number }[];
  for (const row of rows) await query(row.drop);
  await query(`alter table tracks disable trigger ${PAIRS_TRIGGER}`);
  return [
    ...rows.sort((a, b) => a.restore_order - b.restore_order).map((row) => row.restore),
    `alter table tracks enable trigger ${PAIRS_TRIGGER}`,
    "select rapfs_recount_track_pairs()",
  ];
}

/** Counts the tracks of each (artist, title) pair as they are written (migration 0019). */
const PAIRS_TRIGGER = "rapfs_track_pairs_inserted";
