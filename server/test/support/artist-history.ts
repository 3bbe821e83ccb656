import type { DatasetPlan } from "../../src/datasets/plan/dataset-plan";
import { computePointInTime, loadPointInTime } from "../../src/datasets/point-in-time/pit";
import type { Sql } from "../../src/db/database";
import { countingClient } from "./counted-sql";

/** Running-total features of the artist view, which its kept history serves. */
export const ARTIST_FEATURES = [
  "artist_stats@1:track_count",
  "artist_stats@1:avg_quality",
  "artist_stats@1:positive_share",
];
export const ARTIST_VIEW_TABLE = "fv_artist_stats_v1";
/** What computing an artist's history from the corpus sends: its running sums' window. */
export const SUMMED = /window _w as \(partition by/;

export type TrainingRows = { ids: number[]; asOf: number[] };

/** The columns read back, as the stored-history tests compare them. */
const VALUES = "artist, as_of, track_count, avg_quality, positive_share";

/**
 * The artist view's values for `rows` as a training set computes them (`columns` of its work
 * table), the statements that computing sent, and how many of them summed an artist's history.
 */
export async function artistValues(sql: Sql, plan: DatasetPlan, rows: TrainingRows, columns = VALUES) {
  const statements: string[] = [];
  const counted = countingClient(sql, (query) => statements.push(query));
  try {
    const queries = await loadPointInTime(counted, plan);
    const tables = await computePointInTime(counted, plan, queries, { rows });
    try {
      const source = [...queries.keys()].find((s) => s.name === "artist_stats");
      if (!source) throw new Error("the plan reads no artist_stats");
      const values = await counted.unsafe(`select ${columns} from ${tables.tableOf(source)} order by 1, 2`);
      return { values, statements, summed: statements.filter((s) => SUMMED.test(s)).length };
    } finally {
      await tables.drop();
    }
  } finally {
    await counted.end();
  }
}

/** The same values computed from the corpus alone: no stored history to read. */
export async function fromCorpus(sql: Sql, plan: DatasetPlan, rows: TrainingRows, columns = VALUES) {
  const [kept] = await sql`select * from rapfs_stored_histories where view_table = ${ARTIST_VIEW_TABLE}`;
  await sql`delete from rapfs_stored_histories where view_table = ${ARTIST_VIEW_TABLE}`;
  try {
    return await artistValues(sql, plan, rows, columns);
  } finally {
    if (kept) await sql`insert into rapfs_stored_histories ${sql(kept)}`;
  }
}
