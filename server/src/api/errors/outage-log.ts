import type { Logger } from "../../log/logger";

const WINDOW_MS = 10_000;

/**
 * One error line per database loss and window instead of one per request: with the database
 * down, every request that needs it fails the same way (two processes logged 72 stack traces in
 * 12 s). The first failure of a window is logged whole; the ones after it within WINDOW_MS are
 * counted, and the next line logged says how many there were. Each request is still in the
 * access log with its 503.
 */
export class OutageLog {
  private until = 0;
  private repeats = 0;

  constructor(
    private readonly windowMs = WINDOW_MS,
    private readonly now: () => number = Date.now,
  ) {}

  /** Whether to log this failure now; `repeated`: the failures left unlogged since the last line. */
  take(): { log: boolean; repeated: number } {
    const now = this.now();
    if (now < this.until) {
      this.repeats++;
      return { log: false, repeated: 0 };
    }
    const repeated = this.repeats;
    this.repeats = 0;
    this.until = now + this.windowMs;
    return { log: true, repeated };
  }

  /** Logs `fields` at error unless a line for this outage went out within the window. */
  error(logger: Logger | undefined, message: string, fields: Record<string, unknown>): void {
    const { log, repeated } = this.take();
    if (!log) return;
    logger?.error(message, {
      ...fields,
      ...(repeated > 0 ? { repeated_since_last_line: repeated, window_seconds: this.windowMs / 1000 } : {}),
    });
  }
}
