import { stderrLines } from "./line-writer";

export type LogLevel = "debug" | "info" | "warn" | "error" | "silent";
const order: Record<LogLevel, number> = { debug: 10, info: 20, warn: 30, error: 40, silent: 100 };

export type Logger = {
  debug(msg: string, fields?: Record<string, unknown>): void;
  info(msg: string, fields?: Record<string, unknown>): void;
  warn(msg: string, fields?: Record<string, unknown>): void;
  error(msg: string, fields?: Record<string, unknown>): void;
  child(fields: Record<string, unknown>): Logger;
};

type Write = (line: string) => void;

// Anything shaped like an API key (its prefix and 12 or more base58 characters) is redacted from
// every line, wherever it came from: a key pasted into a path, a query, an error message. A key's
// display start (`rapfs_AbCd…`) is shorter and stays readable. The prefix in any case: a key pasted
// as `RAPFS_…` is refused as malformed, but its secret part is still the key's.
const KEY_PREFIX = /rapfs_/i;
const KEY_SHAPED = /(rapfs_)[1-9A-HJ-NP-Za-km-z]{12,}/gi;
const REDACTED = "$1[redacted]";

// A class, not closures: every request makes a child logger, so making one must cost next to
// nothing. A child keeps its own fields and its parent; they are merged only when a line is written.
class JsonLogger implements Logger {
  constructor(
    private readonly threshold: number,
    private readonly base: Record<string, unknown>,
    private readonly write: Write,
    private readonly parent?: JsonLogger,
  ) {}

  debug(msg: string, fields?: Record<string, unknown>): void {
    if (order.debug >= this.threshold) this.emit("debug", msg, fields);
  }
  info(msg: string, fields?: Record<string, unknown>): void {
    if (order.info >= this.threshold) this.emit("info", msg, fields);
  }
  warn(msg: string, fields?: Record<string, unknown>): void {
    if (order.warn >= this.threshold) this.emit("warn", msg, fields);
  }
  error(msg: string, fields?: Record<string, unknown>): void {
    if (order.error >= this.threshold) this.emit("error", msg, fields);
  }

  child(fields: Record<string, unknown>): Logger {
    return new JsonLogger(this.threshold, fields, this.write, this);
  }

  private context(): Record<string, unknown> {
    return this.parent ? { ...this.parent.context(), ...this.base } : this.base;
  }

  private emit(level: Exclude<LogLevel, "silent">, msg: string, fields?: Record<string, unknown>): void {
    const line = JSON.stringify({ time: new Date().toISOString(), level, msg, ...this.context(), ...fields });
    this.write(KEY_PREFIX.test(line) ? line.replace(KEY_SHAPED, REDACTED) : line);
  }
}

/**
 * Structured JSON lines on stderr, so stdout stays free for command output; written off the event
 * loop (stderrLines), so a reader that falls behind never holds a request.
 */
export function createLogger(
  level: LogLevel = "info",
  base: Record<string, unknown> = {},
  write: Write = (line) => stderrLines().line(line),
): Logger {
  return new JsonLogger(order[level], base, write);
}

export const silentLogger = createLogger("silent");
