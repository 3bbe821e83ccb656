import { CorpusExistsError, corpusExists, generateCorpus } from "../corpus";
import type { ProgressReporter } from "../log/progress";
import type { RunResult } from "../materialize/runner";
import type { Services } from "../usecases";
import { profileOf } from "./database-profile";
import { catchUpDefinitions, prepareDefinitions } from "./prepare-definitions";

export type PrepareDataOptions = {
  progress: ProgressReporter;
  /** Called once every view version can be served: /ready passes from then on. */
  servable?: () => void;
  /** Aborted by a shutdown: preparation stops at its next step (a step under way ends as the database closes). */
  signal?: AbortSignal;
  /** Told of work left running in the background, which a shutdown lets finish before it closes the database. */
  background?: (work: Promise<unknown>) => void;
};

/**
 * Makes the data ready to serve. `startServer` calls it after the server listens (so /health
 * answers during a long first start); /ready passes once it calls `servable`.
 *
 * 1. corpus: on first start (no tracks), generate the demo corpus at `config.corpus`;
 * 2. definitions: apply `config.definitionsDir` and fully materialize versions never built;
 *    register a `definitions` readiness check;
 * 3. online store: with Redis, copy what the runs changed into it, once across processes, and
 *    keep checking that it holds every view version (OnlineStoreHealer);
 * 4. servable; then, without holding /ready: the in-memory search vectors (mapped from the data
 *    directory, or read once), and the incremental catch-up of versions built before (their rows
 *    serve meanwhile, as during any run).
 */
export async function prepareData(services: Services, options: PrepareDataOptions): Promise<void> {
  const { sql, database, config, logger, readiness } = services;
  const stopping = () => options.signal?.aborted === true;

  if (!(await corpusExists(sql))) {
    logger.info("first start: generating the demo corpus", { ...config.corpus });
    try {
      const summary = await generateCorpus(database, { ...config.corpus, onProgress: options.progress });
      logger.info("demo corpus generated", { tracks: summary.tracks, analyses: summary.analyses });
    } catch (error) {
      if (!(error instanceof CorpusExistsError)) throw error;
      logger.info("another server generated the corpus meanwhile; using it");
    }
  } else {
    logger.info("using the existing corpus");
  }

  if (stopping()) return;
  const { serving, metrics } = services;
  const { runs } = await prepareDefinitions(database, {
    definitionsDir: config.definitionsDir,
    onProgress: options.progress,
    logger,
    vectorIndex: config.vectorIndex,
    materialize: "unbuilt",
  });
  const recordRuns = (done: RunResult[]) => {
    for (const run of done) {
      const labels = { view: `${run.name}@${run.version}`, mode: run.mode };
      metrics.materializationRuns.inc({ ...labels, outcome: "succeeded" });
      metrics.materializationDuration.observe(labels, run.durationMs / 1000);
    }
  };
  recordRuns(runs);
  if (stopping()) return;
  serving.catalog.invalidate();
  await serving.catalog.current();
  readiness.register({
    name: "definitions",
    check: async () => {
      if ((await serving.catalog.current()).byKey.size === 0) throw new Error("no feature views are applied");
    },
  });
  const healer = services.onlineHealer;
  if (healer.copiesBeforeServing !== false) {
    // A Redis outage must not stop the start: reads fall back to Postgres, the healer catches up.
    await healer.check().catch((error: unknown) => {
      logger.warn("online store sync failed; reads fall back to Postgres", {
        error: (error as Error).message,
      });
    });
  }
  if (stopping()) return;
  // Without Redis the views are copied into the process from here on, in the background.
  healer.start();
  options.servable?.();
  // In the background: searches scan in SQL until the vectors are in memory (embedded mode only),
  // seconds each at scale 1, and /ready says so (degraded, not failing: searches answer).
  let searchWarm: "loading" | "loaded" | Error = "loading";
  const warming = profileOf(database).search.inMemory
    ? "loading embeddings into memory: until then a search scans in SQL (seconds each)"
    : "sampling each HNSW index's outlier ceiling: until then a search is the index's answer alone, " +
      "without the check that sends a poorly linked query to the exact scan";
  readiness.register({
    name: "search",
    critical: false,
    check: async () => {
      if (searchWarm === "loading") throw new Error(warming);
      if (searchWarm instanceof Error) throw searchWarm;
    },
  });
  const warm = serving.embeddings.warm().then(
    () => {
      searchWarm = "loaded";
    },
    (error: unknown) => {
      searchWarm = error as Error;
      logger.warn("could not load embeddings for in-memory search", { error: (error as Error).message });
    },
  );
  options.background?.(warm);
  try {
    const caughtUp = await catchUpDefinitions(database, {
      onProgress: options.progress,
      logger,
      // What RapfsMaterializationFailing counts; successes are counted by recordRuns.
      onFailure: (target, error) => {
        const view = `${target.name}@${target.version}`;
        logger.warn("a view could not be caught up; its previous rows are served", {
          view,
          error: (error as Error).message,
        });
        metrics.materializationRuns.inc({ view, mode: "incremental", outcome: "failed" });
      },
    });
    recordRuns(caughtUp);
    if (caughtUp.some((run) => run.rowsWritten > 0)) {
      serving.catalog.invalidate();
      // Its periodic check would copy the changed rows to Redis anyway; this is just sooner.
      await healer.check().catch(() => []);
    }
  } catch (error) {
    if (stopping()) return;
    // A failed run leaves its version as it was (served); the next start or `rapfs materialize` retries.
    logger.error("catching up the feature views failed; their previous rows are served", {
      error: (error as Error).message,
    });
  }
  if (stopping()) return;
  await profileOf(database).afterPrepare(sql, logger);
  if (stopping()) return;
  await services.freshness.start();
}
