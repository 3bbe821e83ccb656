import { RapFSError } from "../core/errors";
import { readEnv } from "./env";

export type LogLevel = "off" | "error" | "warn" | "info" | "debug";

/** Where the client's log lines go: `console` by default, or any object with these methods. */
export interface Logger {
  error(message: string, ...rest: unknown[]): void;
  warn(message: string, ...rest: unknown[]): void;
  info(message: string, ...rest: unknown[]): void;
  debug(message: string, ...rest: unknown[]): void;
}

export const DEFAULT_LOG_LEVEL: LogLevel = "warn";

const SEVERITY: Record<LogLevel, number> = { off: 0, error: 1, warn: 2, info: 3, debug: 4 };
const METHODS = ["error", "warn", "info", "debug"] as const;

export function isLogLevel(value: unknown): value is LogLevel {
  return typeof value === "string" && Object.hasOwn(SEVERITY, value);
}

const noop = () => {};

/** Whether `method` of a `levelled` logger writes anything (so a caller can skip building its line). */
export const isOn = (method: Logger[keyof Logger]): boolean => method !== noop;

/** `logger` with the methods above `level` silenced. */
export function levelled(level: LogLevel, logger: Logger): Logger {
  const pick = (method: (typeof METHODS)[number]) =>
    SEVERITY[method] <= SEVERITY[level]
      ? (message: string, ...rest: unknown[]) => logger[method](message, ...rest)
      : noop;
  return { error: pick("error"), warn: pick("warn"), info: pick("info"), debug: pick("debug") };
}

/**
 * The level from the option, else env `RAPFS_LOG`, else `warn`. A bad option is the caller's
 * mistake and throws; a bad environment value is only warned about.
 */
export function resolveLogLevel(option: LogLevel | undefined, logger: Logger): LogLevel {
  if (option !== undefined) {
    if (!isLogLevel(option))
      throw new RapFSError(`logLevel must be one of ${levels()}, got ${String(option)}`);
    return option;
  }
  const env = readEnv("RAPFS_LOG");
  if (env === undefined) return DEFAULT_LOG_LEVEL;
  const level = env.toLowerCase();
  if (isLogLevel(level)) return level;
  logger.warn(`rapfs: RAPFS_LOG is ${JSON.stringify(env)}; expected one of ${levels()}. Using "warn".`);
  return DEFAULT_LOG_LEVEL;
}

const levels = () => Object.keys(SEVERITY).join(", ");
