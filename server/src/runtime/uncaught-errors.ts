import type { Logger } from "../log/logger";
import type { Metrics } from "../metrics/registry";

/**
 * An exception or a rejection nothing caught is a bug, but one request's or one callback's: the
 * process keeps serving, logs it with its stack, and counts it (RapfsUncaughtErrors alerts on
 * it). Node's default, exiting, turned one library callback's TypeError on a Redis Cluster into
 * every replica restarting. Returns the function that removes the handlers.
 */
export function keepServingOnUncaughtErrors(logger: Logger, metrics: Metrics): () => void {
  const report = (kind: "exception" | "rejection") => (error: unknown) => {
    metrics.uncaughtErrors.inc({ kind });
    const { message, stack } = error instanceof Error ? error : { message: String(error), stack: undefined };
    logger.error(`uncaught ${kind}; serving on`, { error: message, ...(stack ? { stack } : {}) });
  };
  const onException = report("exception");
  const onRejection = report("rejection");
  process.on("uncaughtException", onException);
  process.on("unhandledRejection", onRejection);
  return () => {
    process.off("uncaughtException", onException);
    process.off("unhandledRejection", onRejection);
  };
}
