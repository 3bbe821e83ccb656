import type { Services } from "../api/env";
import { CorpusExistsError, corpusStatus, generateCorpus } from "../corpus";
import type { ProgressReporter } from "../log/progress";
import { prepareDefinitions } from "./prepare-definitions";

export type PrepareDataOptions = { progress: ProgressReporter };

/**
 * Makes the data ready to serve. `startServer` calls it after the server listens (so /health
 * answers during a long first start) and /ready passes only once it has returned.
 *
 * 1. corpus: on first start (no tracks), generate the demo corpus at `config.corpus`;
 * 2. definitions: apply `config.definitionsDir` and materialize (prepareDefinitions: full for
 *    versions never built, incremental otherwise); register a `definitions` readiness check;
 * 3. online store: with Redis, copy what the runs changed into it, once across processes, and
 *    keep checking that it holds every view version (OnlineStoreHealer).
 */
export async function prepareData(services: Services, options: PrepareDataOptions): Promise<void> {
  const { sql, config, logger, readiness } = services;

  const existing = await corpusStatus(sql);
  if (existing.tracks === 0) {
    logger.info("first start: generating the demo corpus", { ...config.corpus });
    try {
      const summary = await generateCorpus(sql, { ...config.corpus, onProgress: options.progress });
      logger.info("demo corpus generated", { tracks: summary.tracks, analyses: summary.analyses });
    } catch (error) {
      if (!(error instanceof CorpusExistsError)) throw error;
      logger.info("another server generated the corpus meanwhile; using it");
    }
  } else {
    logger.info("using the existing corpus", existing);
  }

  const { serving, metrics, onlineStore } = services;
  const mode = config.databaseUrl ? "server" : "embedded";
  const { runs } = await prepareDefinitions(
    { sql, mode },
    {
      definitionsDir: config.definitionsDir,
      onProgress: options.progress,
      logger,
      vectorIndex: config.vectorIndex,
    },
  );
  for (const run of runs) {
    const labels = { view: `${run.name}@${run.version}`, mode: run.mode };
    metrics.materializationRuns.inc({ ...labels, outcome: "succeeded" });
    metrics.materializationDuration.observe(labels, run.durationMs / 1000);
  }
  serving.catalog.invalidate();
  await serving.catalog.snapshot();
  readiness.register({
    name: "definitions",
    check: async () => {
      if ((await serving.catalog.snapshot()).byKey.size === 0)
        throw new Error("no feature views are applied");
    },
  });
  // Without Redis the in-process LRU fills itself from Postgres; copying every row would only churn it.
  const healer = services.onlineHealer;
  if (healer) {
    // A Redis outage must not stop the start: reads fall back to Postgres, the healer catches up.
    await healer.check().catch((error: unknown) => {
      logger.warn("online store sync failed; reads fall back to Postgres", {
        error: (error as Error).message,
      });
    });
    healer.start();
  }
  // In the background: searches scan in SQL until the vectors are in memory (embedded mode only).
  serving.embeddings.warm().catch((error: unknown) => {
    logger.warn("could not load embeddings for in-memory search", { error: (error as Error).message });
  });
}
