import type { Database } from "../src/db/database";
import { ingestBatch } from "../src/ingest";

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * `inserts` analyses through the ingest door, one at a time, each followed until the registry's
 * statistics of `view` describe a run that served it (a run counted over the whole table whose
 * watermark reached the analysis): the time each took (ms), or none for one not followed within
 * `limitMs`.
 */
export async function statisticsFollowed(
  db: Database,
  view: { name: string; version: number; analyzer: string },
  inserts: number,
  limitMs: number,
): Promise<number[]> {
  const tracks = await db.sql<{ track_id: number }[]>`
    select distinct track_id from analysis_results where analyzer_type = ${view.analyzer} limit ${inserts}`;
  const times: number[] = [];
  for (const { track_id } of tracks) {
    const written = await ingestBatch(db.sql, {
      analyses: [
        {
          track_id,
          analyzer_type: view.analyzer,
          sentiment: "positive",
          confidence: 0.99,
          analysis_data: { quality_score: 10, mood: "bench", themes: ["statistics"] },
          model_version: `${view.analyzer}@bench-statistics`,
        },
      ],
    });
    const at = Date.now();
    const createdAt = written.analyses.createdAt[0] as string;
    while (Date.now() - at < limitMs) {
      const [row] = await db.sql<{ counted: boolean }[]>`
        select exists (
          select 1 from rapfs_materialization_runs
          where relation_kind = 'feature_view' and name = ${view.name} and version = ${view.version}
            and status = 'succeeded' and stats->>'scope' = 'table' and watermark_after >= ${createdAt}::timestamp
        ) as counted`;
      if (row?.counted) {
        times.push(Date.now() - at);
        break;
      }
      await sleep(200);
    }
  }
  return times;
}
