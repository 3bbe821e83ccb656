import type { Services } from "../api/env";
import { CorpusExistsError, corpusStatus, generateCorpus } from "../corpus";
import type { ProgressReporter } from "../log/progress";
import type { FallbackLoader } from "../online/types";

export type PreparedData = {
  /** The Postgres loader the online store falls back to, once feature views are known. */
  onlineFallback?: FallbackLoader;
};

export type PrepareDataOptions = { progress: ProgressReporter };

/**
 * Makes the data ready to serve. `startServer` calls it after the server listens (so /health
 * answers during a long first start) and /ready passes only once it has returned.
 *
 * 1. corpus: on first start (no tracks), generate the demo corpus at `config.corpus`;
 * 2. definitions (to come): load `config.definitionsDir`, apply it, register a `definitions`
 *    readiness check;
 * 3. materialize (to come): materialize views that are missing or stale, writing their rows to
 *    the online store, and return the Postgres loader for online-store misses as `onlineFallback`.
 */
export async function prepareData(services: Services, options: PrepareDataOptions): Promise<PreparedData> {
  const { sql, config, logger, readiness } = services;
  readiness.register({
    name: "corpus",
    check: async () => {
      if ((await corpusStatus(sql)).tracks === 0) throw new Error("the corpus has no tracks");
    },
  });

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
  return {};
}
