import { isConnectionError } from "../db/connection-errors";
import type { Logger } from "../log/logger";

/** How long data preparation keeps retrying a database it cannot reach before the start gives up. */
export const PREPARATION_RETRY_MS = 60_000;

/**
 * Data preparation again after a lost connection, as the start's first connection is retried: a
 * server restarting, or a loaded one (three processes starting together on one database) timing a
 * connection out, ended the start of a process that would have been ready a moment later. Each
 * step up to serving goes on from where a stopped one left off, so a retry redoes nothing done;
 * past it (`retryable` false: the data is served, the background work started) a failure is final.
 * A refused query, or a database still unreachable after `retryMs`, fails as before.
 */
export async function prepareRetryingConnections<T>(
  prepare: () => Promise<T>,
  options: { logger: Logger; signal: AbortSignal; retryable: () => boolean; retryMs?: number },
): Promise<T> {
  const { logger, signal } = options;
  let deadline: number | undefined;
  for (let delay = 250; ; delay = Math.min(delay * 2, 5_000)) {
    try {
      return await prepare();
    } catch (error) {
      deadline ??= Date.now() + (options.retryMs ?? PREPARATION_RETRY_MS);
      const retry = !signal.aborted && options.retryable() && isConnectionError(error);
      if (!retry || Date.now() + delay > deadline) throw error;
      logger.warn("data preparation lost the database; retrying", {
        error: (error as Error).message,
        retry_in_ms: delay,
        gives_up_in_ms: deadline - Date.now(),
      });
      await new Promise((resolve) => setTimeout(resolve, delay));
      if (signal.aborted) throw error;
    }
  }
}
