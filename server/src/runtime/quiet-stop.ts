import type { Logger } from "../log/logger";

/**
 * What work cut short by a shutdown fails with: its database or Redis connections closed under it,
 * or refused once the embedded database stopped listening
 * (postgres.js, the embedded database's worker, ioredis).
 */
const CLOSED_UNDER_IT =
  /CONNECTION_(ENDED|DESTROYED|CLOSED)|ECONNREFUSED|the embedded database stopped|Connection is closed|the server is shutting down/;

/**
 * The server's logger once a shutdown has begun: a warning or an error whose cause is a
 * connection the shutdown closed (a background load, a run, a card cut short) is what stopping
 * means, written at debug, so a clean stop says `shutting down` and `stopped` and nothing else
 * (#41 item 6). Any other warning or error is written as it is.
 */
export function quietAfterStop(logger: Logger, stopping: () => boolean): Logger {
  const cutByStop = (fields?: Record<string, unknown>) =>
    stopping() && typeof fields?.error === "string" && CLOSED_UNDER_IT.test(fields.error);
  return {
    debug: (msg, fields) => logger.debug(msg, fields),
    info: (msg, fields) => logger.info(msg, fields),
    warn: (msg, fields) => (cutByStop(fields) ? logger.debug(msg, fields) : logger.warn(msg, fields)),
    error: (msg, fields) => (cutByStop(fields) ? logger.debug(msg, fields) : logger.error(msg, fields)),
    child: (fields) => quietAfterStop(logger.child(fields), stopping),
  };
}
