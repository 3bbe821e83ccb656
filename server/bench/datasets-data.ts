import { join } from "node:path";
import postgres from "postgres";
import { repoRoot } from "../src/config/paths";
import { corpusStatus, generateCorpus } from "../src/corpus/index";
import type { Sql } from "../src/db/database";
import { type EmbeddedPostgres, startEmbeddedPostgres } from "../src/db/embedded";
import { migrate } from "../src/db/migrate";
import { TableGate } from "../src/db/table-gate";
import { terminalProgress } from "../src/log/progress";
import { keepHistories } from "../src/materialize/runner";
import { prepareDefinitions } from "../src/runtime/prepare-definitions";

/** Where a benchmark (`datasets`, `offline`) keeps the corpus at `scale` between runs (gitignored). */
export const benchDataDir = (scale: number, bench = "datasets") =>
  join(repoRoot, ".rapfs-bench", `${bench}-scale-${scale}`);

/**
 * An embedded PGlite over a persistent data dir holding the corpus at `scale`, materialized.
 * The first use generates it (minutes at scale 3); later runs only check the definitions. The
 * connection is closed before returning: PGlite serves one, and the export child needs it.
 */
export async function benchDatabase(
  scale: number,
  bench = "datasets",
  limits: { idleInTransactionMs?: number } = {},
): Promise<EmbeddedPostgres> {
  const dir = benchDataDir(scale, bench);
  const embedded = await startEmbeddedPostgres(dir, 0, undefined, undefined, limits);
  const progress = terminalProgress(process.stderr);
  try {
    const sql = postgres(embedded.url, { max: 1, onnotice: () => {} });
    await migrate(sql, `${repoRoot}migrations`);
    const existing = await corpusStatus(sql);
    if (existing.tracks === 0) {
      process.stderr.write(`${bench} bench: generating the corpus at scale ${scale} into ${dir}\n`);
      await generateCorpus(
        { sql, copyFromBlob: (statement, data) => embedded.copyFromBlob(statement, data) },
        { scale, seed: 42, onProgress: progress },
      );
    } else {
      process.stderr.write(`${bench} bench: reusing ${dir} (${existing.tracks} tracks)\n`);
    }
    const { runs } = await prepareDefinitions(
      {
        sql,
        bulk: sql,
        mode: "embedded",
        gate: new TableGate(),
        busy: (withinMs) => embedded.busy(withinMs),
        holds: (options) => embedded.holds(options),
        close: async () => {},
      },
      { definitionsDir: `${repoRoot}feature-definitions`, onProgress: progress },
    );
    // PGlite runs no autovacuum: without statistics the planner guesses the filters' selectivity
    // (and sorts a hash join's output instead of merging the views' primary keys).
    if (existing.tracks === 0 || runs.some((r) => r.rowsWritten > 0)) await sql`analyze`;
    // What a server builds once its data is ready (start-server.ts): a new one, or brought up to date.
    await keepHistories({ runs: sql as unknown as Sql, bulk: sql as unknown as Sql });
    await sql.end();
    return embedded;
  } catch (error) {
    await embedded.stop();
    throw error;
  } finally {
    progress.stop();
  }
}
