import { loadAccessConfig } from "../../access/config";
import { loadConfig } from "../../config/env";
import { loadDatasetConfig } from "../../datasets/config";
import { createDatasetServices } from "../../datasets/dataset-services";
import { warmPublicCards } from "../../datasets/warm-cards";
import type { Database } from "../../db/database";
import { plural } from "../../errors";
import { silentLogger } from "../../log/logger";
import { terminalProgress } from "../../log/progress";
import { materializeAll } from "../../materialize/runner";
import { profileOf } from "../../runtime/database-profile";
import { ServingCatalog, syncRedis } from "../../serving";
import { openCliDatabase } from "../open-database";
import { CliError } from "../run";
import { parseTarget } from "./view-target";

/** New rows make new cards: computed here, stored where servers find them (see warm-cards). */
async function storePublicCards(db: Database): Promise<void> {
  // Cards charge nobody: no ledger to share.
  const datasets = createDatasetServices({
    config: loadDatasetConfig(),
    sliced: profileOf(db).datasets.sliced,
  });
  try {
    const catalog = new ServingCatalog(db.sql, { logger: silentLogger });
    const cards = await warmPublicCards({ sql: db.sql, bulkSql: db.bulk, catalog, datasets });
    for (const { name, card } of cards) {
      process.stdout.write(`card of ${name}: ${plural(card.rows, "row")}, version ${card.version}\n`);
    }
  } finally {
    await datasets.close();
  }
}

/**
 * The runs are committed whatever happens to the copy into Redis: say so, so nobody runs them
 * again for it. Servers copy them themselves, and a plain `rapfs materialize` only copies.
 */
const unsynced = (why: string) =>
  new CliError(
    `the materialization above is committed, but copying it into the online store (Redis) failed (${why}). ` +
      "Running servers copy it at their next check (RAPFS_ONLINE_CHECK_SECONDS); `rapfs materialize` " +
      "again without --full copies what is missing and recomputes only what changed since",
  );

/** `rapfs materialize`: the applied views (or one), then the public cards and the online store they changed. */
export async function materializeAction(target: string | undefined, opts: { full?: boolean }): Promise<void> {
  const only = parseTarget(target);
  const config = loadConfig();
  const db = await openCliDatabase(config);
  const progress = terminalProgress();
  try {
    const results = await materializeAll(db.sql, {
      full: opts.full === true,
      onProgress: progress,
      ...(only ? { only } : {}),
    });
    progress.stop();
    if (results.length === 0)
      throw new CliError(target ? `no applied view ${target}` : "nothing applied yet: run `rapfs apply`");
    for (const r of results) {
      process.stdout.write(
        `${r.kind === "embedding" ? "embedding " : ""}${r.name}@${r.version}: ${r.mode}, ${plural(r.rowsWritten, "row")} written, ` +
          `${plural(r.rowCount, "row")}, ${r.durationMs} ms, watermark ${r.watermarkAfter ?? "none"}` +
          (r.quarantine.total > 0
            ? `, ${plural(r.quarantine.total, "analysis", "analyses")} quarantined (rapfs quarantine ${r.name}@${r.version})`
            : "") +
          "\n",
      );
    }
    if (results.some((r) => r.rowsWritten > 0)) await storePublicCards(db);
    if (config.redisUrl) {
      const prefix = loadAccessConfig(process.env).redisPrefix;
      const synced = await syncRedis(db.sql, { redisUrl: config.redisUrl, prefix }).catch((error: Error) => {
        throw unsynced(error.message);
      });
      for (const r of synced) {
        if (r.mode === "failed")
          process.stdout.write(`online store ${r.viewKey}: not copied here (${r.error}); servers copy it\n`);
        else if (r.mode !== "skipped")
          process.stdout.write(`online store ${r.viewKey}: ${r.mode}, ${plural(r.rows, "row")}\n`);
      }
      // A view a running server is copying at the same moment is its to finish; one Redis refused
      // (out of memory, read-only) no server can copy either.
      const refused = synced.filter((r) => r.mode === "failed" && r.refused);
      if (refused.length > 0) throw unsynced(refused.map((r) => `${r.viewKey}: ${r.error}`).join("; "));
    }
  } finally {
    progress.stop();
    await db.close();
  }
}
