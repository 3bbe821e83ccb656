/** How often the event loop is looked at; a look later than `STALL_MS` counts as a stall. */
const EVERY_MS = 20;
const STALL_MS = 20;

/**
 * The time this process's event loop has spent blocked, summed from its first reading on: the
 * difference of two readings is how long it stalled between them. A command whose timeout fired
 * across a stall of the process's own may have had its reply in the socket, unread, all along:
 * that is the process's fault, not the node's (circuit-breaker.ts).
 */
class LoopStalls {
  private stalledMs = 0;
  private expected = 0;
  private timer: NodeJS.Timeout | undefined;

  get total(): number {
    if (!this.timer) this.watch();
    return this.stalledMs;
  }

  private watch(): void {
    this.expected = performance.now() + EVERY_MS;
    // Its next look is due sooner than any command's timeout: after a stall, it runs (and
    // counts it) before the timeout's callback, in the same turn of the loop.
    this.timer = setInterval(() => {
      const now = performance.now();
      const late = now - this.expected;
      if (late > STALL_MS) this.stalledMs += late;
      this.expected = now + EVERY_MS;
    }, EVERY_MS);
    this.timer.unref();
  }
}

export const loopStalls = new LoopStalls();

/** ioredis's error for a command with no reply within `commandTimeout`. */
export const isCommandTimeout = (error: unknown) =>
  error instanceof Error && error.message === "Command timed out";
