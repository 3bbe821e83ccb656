import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { loadAccessConfig } from "../access/config";
import { createListener } from "../api/app";
import { answerClientErrors } from "../api/client-errors";
import type { App } from "../api/env";
import { FeatureCodec } from "../api/features/codec";
import { featureLookupLane } from "../api/lanes/feature-lookup";
import { datasetRoutes } from "../api/routes/datasets";
import { servingRoutes } from "../api/routes/v1";
import { ConfigError } from "../config/config-error";
import { type Config, loadConfig } from "../config/env";
import { dropOldCards } from "../datasets/cards/card-store";
import { loadDatasetConfig } from "../datasets/config";
import { dropStaleWorkTables } from "../datasets/point-in-time/pit";
import { warmPublicCards } from "../datasets/warm-cards";
import { openDatabase } from "../db/database";
import { migrate } from "../db/migrate";
import { openReadRouter } from "../db/replica";
import { createLogger, type Logger } from "../log/logger";
import { type ProgressReporter, terminalProgress } from "../log/progress";
import { keepHistories } from "../materialize/runner";
import type { Services } from "../usecases";
import { type PrepareDataOptions, prepareData } from "./bootstrap";
import { buildServices } from "./compose";
import { capConnections, connectionLimits } from "./connection-cap";
import { profileOf } from "./database-profile";
import { embeddedScaleRefusal } from "./embedded-limit";
import { prepareRetryingConnections } from "./prepare-retry";
import { quietAfterStop } from "./quiet-stop";
import { keepServingOnUncaughtErrors } from "./uncaught-errors";

export type StartServerOptions = {
  /** Defaults to loadConfig(env). */
  config?: Config;
  env?: NodeJS.ProcessEnv;
  logger?: Logger;
  /** Shut down on SIGINT/SIGTERM (default true; tests pass false). */
  handleSignals?: boolean;
  /** How long shutdown waits for in-flight requests before closing their connections. */
  drainTimeoutMs?: number;
  prepare?: (services: Services, options: PrepareDataOptions) => Promise<unknown>;
  progress?: ProgressReporter;
  keyPrefix?: string;
  /** Embedded only: start from this data directory tarball instead of an empty one (tests). */
  loadDataDir?: Blob;
};

export type RunningServer = {
  url: string;
  port: number;
  app: App;
  services: Services;
  /** Settles when data preparation has finished (rejects if it failed; the server then shuts down). */
  prepared: Promise<void>;
  /**
   * Settles once the work started when the data was ready is done: the public datasets' cards and,
   * on the embedded default, the views' kept histories. Never rejects.
   */
  warmed: Promise<void>;
  shutdown(reason?: string): Promise<void>;
};

export const serverTimeouts = {
  // Slow-header clients are cut off early; bodies (e.g. uploaded label rows) get longer.
  headersTimeout: 20_000,
  requestTimeout: 120_000,
  // Above the usual 60 s load-balancer idle timeout, so the balancer closes idle connections first.
  keepAliveTimeout: 65_000,
};

/** `rapfs start`: migrate, serve, then prepare the data; graceful shutdown on signals. */
export async function startServer(options: StartServerOptions = {}): Promise<RunningServer> {
  const config = options.config ?? loadConfig(options.env);
  const refusal = embeddedScaleRefusal(config.corpus.scale, config.databaseUrl);
  if (refusal) throw new ConfigError(refusal);
  const accessConfig = loadAccessConfig(options.env ?? process.env);
  const requestLogger = options.logger ?? createLogger(config.logLevel, { service: "rapfs" });
  const stopping = new AbortController();
  const logger = quietAfterStop(requestLogger, () => stopping.signal.aborted);
  const database = await openDatabase({
    databaseUrl: config.databaseUrl,
    dataDir: config.dataDir,
    embeddedPort: config.embeddedPort,
    bulkConnections: config.bulk.connections,
    bulkStatementTimeoutMs: config.bulk.statementTimeoutMs,
    ...(options.loadDataDir ? { loadDataDir: options.loadDataDir } : {}),
    logger,
  });
  const migrated = await migrate(database.sql, config.migrationsDir).catch(async (error: unknown) => {
    await database.close();
    throw error;
  });
  if (migrated.applied.length > 0) logger.info("migrations applied", { applied: migrated.applied });
  const reads = await openReadRouter({
    primary: database.sql,
    replicaUrl: config.databaseReplicaUrl,
    logger,
  });

  // RAPFS_REDIS_PREFIX namespaces every Redis key of the deployment, online rows included.
  const keyPrefix = options.keyPrefix ?? accessConfig.redisPrefix;
  // Point-in-time work tables of a process that died mid-download.
  void dropStaleWorkTables(database.sql, profileOf(database).staleWorkTableSeconds).then(
    (dropped) => dropped.length > 0 && logger.info("dropped stale point-in-time work tables", { dropped }),
    () => {},
  );
  void dropOldCards(database.sql).catch(() => {});
  const built = await buildServices({
    config,
    logger,
    database,
    keyPrefix,
    accessConfig,
    reads,
    datasetConfig: loadDatasetConfig(options.env ?? process.env),
  }).catch(async (error: unknown) => {
    await reads.close();
    await database.close();
    throw error;
  });
  const { services, useCases } = built;
  let preparing = true;
  services.readiness.register({
    name: "bootstrap",
    check: async () => {
      if (preparing) throw new Error("data preparation is still running");
    },
  });

  const http = { useCases, logger: requestLogger, metrics: services.metrics, codec: new FeatureCodec() };
  const { app, listener } = createListener(http, {
    routes: [...servingRoutes, ...datasetRoutes],
    lanes: config.lookupLane ? [featureLookupLane(http)] : [],
  });
  const server = createServer(serverTimeouts, listener);
  answerClientErrors(server, requestLogger);
  capConnections(server, connectionLimits(config.connections, accessConfig.trustedProxyHops), logger);
  const port = await listen(server, config.port, config.host).catch(async (error: unknown) => {
    await built.close();
    await reads.close();
    await database.close();
    throw error;
  });
  const shownHost = config.host === "0.0.0.0" || config.host === "::" ? "127.0.0.1" : config.host;
  const url = `http://${shownHost.includes(":") ? `[${shownHost}]` : shownHost}:${port}`;
  logger.info("listening", {
    url,
    database: database.mode,
    online_store: config.redisUrl ? "redis" : "memory",
  });

  let closing: Promise<void> | undefined;
  const background = new Set<Promise<unknown>>();
  let preparation: Promise<unknown> = Promise.resolve();
  let hurry = () => {};
  const hurried = new Promise<void>((resolve) => (hurry = resolve));
  const shutdown = (reason = "requested") => {
    closing ??= (async () => {
      logger.info("shutting down", { reason });
      stopping.abort();
      services.serving.embeddings.stopLoads();
      // A copy of the views (into Redis or memory) stops after its chunk in flight, not after the
      // drain: at scale 1 the embedded default's first copy held a Ctrl-C for 5 s more.
      void services.onlineHealer.stop();
      services.readiness.register({
        name: "shutdown",
        check: async () => {
          throw new Error("the server is shutting down");
        },
      });
      await drain(server, options.drainTimeoutMs ?? 10_000, logger, hurried);
      // Preparation stops at its next step, and background loads finish, before their database
      // closes; a step that takes longer (a first start's corpus or runs) is cut by the close.
      await settleWithin([preparation, ...background], PREPARATION_STOP_MS, hurried);
      await built.close();
      await reads.close();
      await database.close();
      logger.info("stopped");
    })();
    return closing;
  };

  if (options.handleSignals !== false) {
    keepServingOnUncaughtErrors(logger, services.metrics);
    let signals = 0;
    const onSignal = (signal: NodeJS.Signals) => {
      signals++;
      // A second signal (a supervisor, or a wrapper relaying the first) only cuts the drain short:
      // runs still stop and the embedded database still checkpoints. A third means exit now.
      if (signals === 2) return hurry();
      if (signals > 2) process.exit(130);
      void shutdown(signal).catch((error: unknown) => {
        logger.error("shutdown failed", { error: (error as Error).message });
        process.exitCode = 1;
      });
    };
    process.on("SIGINT", onSignal);
    process.on("SIGTERM", onSignal);
  }

  const prepare = options.prepare ?? prepareData;
  const progress = options.progress ?? terminalProgress();
  const stopProgress = () => (progress as { stop?: () => void }).stop?.();
  const servable = () => {
    if (!preparing) return;
    preparing = false;
    services.readiness.invalidate();
    logger.info("data ready");
  };
  const track = (work: Promise<unknown>) => {
    background.add(work);
    void work.finally(() => background.delete(work)).catch(() => {});
  };
  preparation = prepareRetryingConnections(
    () => prepare(services, { progress, servable, signal: stopping.signal, background: track }),
    { logger, signal: stopping.signal, retryable: () => preparing },
  );
  let warm: Promise<unknown> = Promise.resolve();
  const prepared = preparation.then(
    () => {
      stopProgress();
      if (stopping.signal.aborted) return;
      servable();
      const deps = {
        sql: services.sql,
        bulkSql: services.bulkSql,
        catalog: services.serving.catalog,
        datasets: services.datasets,
      };
      const cards = warmPublicCards(deps).catch((error: Error) =>
        logger.warn("could not prepare the public datasets' cards", { error: error.message }),
      );
      // The embedded default's runs keep no history they did not build (materialize/runner.ts).
      const histories = () =>
        keepHistories({ runs: services.sql, bulk: services.bulkSql }, stopping.signal).then(
          (views) => logger.info("histories kept", { views }),
          (error: Error) => {
            if (!stopping.signal.aborted)
              logger.warn("could not keep the views' histories", { error: error.message });
          },
        );
      warm = (services.database.mode === "embedded" ? cards.then(histories) : cards).then(() => {
        if (!stopping.signal.aborted) logger.info("warm-up done");
      });
      track(warm);
    },
    async (error: unknown) => {
      stopProgress();
      if (stopping.signal.aborted) {
        // The shutdown closed the database under it: the next start goes on from where it stopped.
        logger.info("data preparation stopped by the shutdown", { error: (error as Error).message });
        return;
      }
      logger.error("data preparation failed", { error: (error as Error).message });
      process.exitCode = 1;
      await shutdown("data preparation failed");
      throw error;
    },
  );
  // Observed here so a failure is not an unhandled rejection when nobody awaits `prepared`.
  prepared.catch(() => {});
  const warmed = prepared.then(
    () => warm.then(() => {}),
    () => {},
  );

  return { url, port, app, services, prepared, warmed, shutdown };
}

/** How long a shutdown waits for data preparation to reach a step's end and background loads to finish. */
const PREPARATION_STOP_MS = 5_000;

async function settleWithin(work: Promise<unknown>[], ms: number, hurry: Promise<void>): Promise<void> {
  let timer: NodeJS.Timeout | undefined;
  await Promise.race([
    Promise.allSettled(work),
    new Promise((resolve) => {
      timer = setTimeout(resolve, ms);
    }),
    hurry,
  ]);
  clearTimeout(timer);
}

function listen(server: Server, port: number, host: string): Promise<number> {
  return new Promise((resolve, reject) => {
    server.once("error", reject);
    server.listen(port, host, () => {
      server.off("error", reject);
      resolve((server.address() as AddressInfo).port);
    });
  });
}

/**
 * Stops accepting connections, lets in-flight requests finish, and closes what is left at the
 * deadline. Idle keep-alive connections are closed as they become idle.
 */
async function drain(server: Server, timeoutMs: number, logger: Logger, hurry: Promise<void>): Promise<void> {
  const closed = new Promise<void>((resolve) => server.close(() => resolve()));
  const idleSweep = setInterval(() => server.closeIdleConnections(), 50);
  let timer: NodeJS.Timeout | undefined;
  const deadline = new Promise<"timeout">((resolve) => {
    timer = setTimeout(() => resolve("timeout"), timeoutMs);
  });
  try {
    server.closeIdleConnections();
    const ended = await Promise.race([closed, deadline, hurry.then(() => "hurried" as const)]);
    if (ended === "timeout" || ended === "hurried") {
      logger.warn(
        ended === "timeout"
          ? "drain deadline reached; closing remaining connections"
          : "another signal; closing remaining connections now",
        { timeout_ms: timeoutMs },
      );
      server.closeAllConnections();
      await closed;
    }
  } finally {
    clearInterval(idleSweep);
    clearTimeout(timer);
  }
}
