import type { Services } from "../api/env";
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
 * The steps, each filled in by its own part of rapfs:
 * 1. corpus: on first start (no tracks), `generateCorpus(sql, { ...config.corpus, onProgress })`;
 * 2. definitions: load `config.definitionsDir` and apply it; register a `definitions` readiness check;
 * 3. materialize: materialize views that are missing or stale, writing their rows to the online
 *    store; return the Postgres loader for online-store misses as `onlineFallback`.
 */
export async function prepareData(services: Services, _options: PrepareDataOptions): Promise<PreparedData> {
  services.readiness.register({
    name: "corpus",
    check: async () => {
      const [row] = await services.sql<
        { present: boolean }[]
      >`select exists (select 1 from tracks) as present`;
      if (!row?.present) throw new Error("the corpus has no tracks");
    },
  });
  return {};
}
