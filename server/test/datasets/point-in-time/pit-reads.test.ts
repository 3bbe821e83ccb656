import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  type DatasetPlan,
  planDownload,
  planTraining,
  type Source,
  standalonePlanSource,
} from "../../../src/datasets/plan/dataset-plan";
import {
  computePointInTime,
  loadPointInTime,
  type PointInTimeQueries,
} from "../../../src/datasets/point-in-time/pit";
import type { Database, Sql } from "../../../src/db/database";
import { countingClient } from "../../support/counted-sql";
import { growFourfold } from "../../support/grow-corpus";
import { preparedDatabase } from "../../support/prepared-data";
import { rowValuesSql } from "../../support/row-values";
import { randomTrainingRows } from "../../support/training-rows";
import { SEED } from "../support";

const CORPUS = ["tracks", "analysis_results"];
// Every kind of view a training set reads: a track's latest analysis, a track's own row, a
// consensus across analyzers, and an artist's aggregates (its running totals) through the relation.
const FEATURES = [
  "qwen_analysis@2:*",
  "track_profile@1:*",
  "analyzer_consensus@1:*",
  "artist_stats@1:track_count",
  "artist_stats@1:avg_quality",
  "artist_stats@1:positive_share",
];

/** Rows of tracks and analysis_results read so far: sequential scans' and index scans' alike. */
async function corpusRowsRead(sql: Sql): Promise<Record<string, number>> {
  await sql`select pg_stat_force_next_flush()`;
  const rows = await sql<{ name: string; n: number }[]>`
    select t.relname as name, (t.seq_tup_read + coalesce(sum(i.idx_tup_read), 0))::float8 as n
    from pg_stat_user_tables t left join pg_stat_user_indexes i on i.relid = t.relid
    where t.relname = any(${CORPUS}) group by t.relname, t.seq_tup_read`;
  return Object.fromEntries(rows.map((r) => [r.name, r.n]));
}

/** Each source's point-in-time values for `rows`, and the corpus rows computing them read. */
async function training(
  sql: Sql,
  plan: DatasetPlan,
  queries: Map<Source, PointInTimeQueries>,
  rows: { ids: number[]; asOf: number[] },
) {
  const before = await corpusRowsRead(sql);
  const tables = await computePointInTime(sql, plan, queries, { rows });
  const after = await corpusRowsRead(sql);
  try {
    const values: Record<string, unknown[]> = {};
    for (const source of queries.keys()) {
      const related = source.kind === "view" && source.via;
      const table = `select * from ${tables.tableOf(source)} order by 1, 2, 3`;
      values[source.name] = await sql.unsafe(related ? table : rowValuesSql(plan, tables, source));
    }
    const read = Object.fromEntries(CORPUS.map((t) => [t, (after[t] ?? 0) - (before[t] ?? 0)]));
    return { values, read };
  } finally {
    await tables.drop();
  }
}

describe("a point-in-time training set reads the history of the rows it asks for, not the corpus's", () => {
  let db: Database;

  beforeAll(async () => {
    db = await preparedDatabase({ scale: 0.01, seed: SEED });
  });
  afterAll(async () => {
    await db?.close();
  });

  it("an instant's download reads every entity's id once, however many of its views are the track's", async () => {
    const statements: string[] = [];
    const counted = countingClient(db.sql, (query) => statements.push(query));
    try {
      const [last] = await counted<{ at: Date }[]>`select max(created_at) as at from analysis_results`;
      const instant = (last?.at.getTime() ?? 0) * 1000;
      const plan = await planDownload(standalonePlanSource(counted), { dataset: "public" });
      const queries = await loadPointInTime(counted, plan);
      const trackViews = [...queries.keys()].filter((s) => s.kind === "view" && !s.via).length;
      expect(trackViews, "not vacuous: several views of the track").toBeGreaterThan(2);
      statements.length = 0;
      const tables = await computePointInTime(counted, plan, queries, { instant });
      await tables.drop();
      const idReads = statements.filter((s) => /select distinct id as k from tracks/i.test(s));
      // One page of ids at this scale: one statement, not one per track view.
      expect(idReads).toHaveLength(1);
    } finally {
      await counted.end();
    }
  });

  it("the same rows over a corpus grown fourfold by other artists read as many corpus rows, and get the same values", async () => {
    const { sql } = db;
    const plan = await planTraining(standalonePlanSource(sql), { entity: "track", features: FEATURES });
    const queries = await loadPointInTime(sql, plan);
    // Tracks of two artists, each asked for at many instants: each artist's history serves its pairs.
    const tracks = (
      await sql<{ id: number }[]>`
        select id from tracks where artist in (select artist from tracks where artist is not null
          group by artist order by artist limit 2)
        order by id`
    ).map((r) => r.id);
    const rows = await randomTrainingRows(sql, tracks, 400, 3);

    await sql`analyze`;
    const small = await training(sql, plan, queries, rows);
    await growFourfold(sql);
    const large = await training(sql, plan, queries, rows);

    expect(large.values).toEqual(small.values);
    // Not vacuous: the artists' aggregates were found for most rows.
    const artist = small.values.artist_stats as { track_count: number | null }[];
    expect(artist.filter((r) => (r.track_count ?? 0) > 1).length).toBeGreaterThan(artist.length / 2);
    for (const table of CORPUS) {
      const [before, after] = [small.read[table] ?? 0, large.read[table] ?? 0];
      expect(before, `${table} rows read by the first request`).toBeGreaterThan(0);
      // Equal up to planner noise; a plan walking whole tables reads about four times as many.
      expect(
        after,
        `${table} rows read over the fourfold corpus (${before} over the first)`,
      ).toBeLessThanOrEqual(before * 1.2);
    }
  });
});
