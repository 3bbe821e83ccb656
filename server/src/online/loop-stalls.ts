/** How often the event loop is looked at; a look later than `STALL_MS` counts as a stall. */
const EVERY_MS = 20;
const STALL_MS = 20;
/** How soon after a stall's end a timeout's callback still counts as delayed by it (other timers run between). */
const JUST_ENDED_MS = 50;

/**
 * The time this process's event loop has spent blocked, summed from its first reading on (the
 * difference of two readings is how long it stalled between them), and when the last stall
 * ended. A command whose timeout fired as a stall of the process's own ended may have had its
 * reply in the socket, unread, all along: the process's fault, not the node's (circuit-breaker.ts).
 */
class LoopStalls {
  private stalledMs = 0;
  private endedAt = Number.NEGATIVE_INFINITY;
  private expected = 0;
  private timer: NodeJS.Timeout | undefined;
  private readonly excused = new WeakSet<object>();

  get total(): number {
    if (!this.timer) this.watch();
    else this.look();
    return this.stalledMs;
  }

  /**
   * Whether a command sent at `sent` that just timed out did so across this process's own stall:
   * one that ended just now (the timeout's callback ran late, after it) and took most of the wait.
   * Such an error is remembered (`excuses`).
   */
  heldReply(error: unknown, sent: number, stalledBefore: number): boolean {
    if (!isCommandTimeout(error)) return false;
    const stalled = this.total - stalledBefore;
    const now = performance.now();
    const held = stalled > 0 && now - this.endedAt <= JUST_ENDED_MS && stalled * 2 >= now - sent;
    if (held) this.excused.add(error as Error);
    return held;
  }

  /** Whether `error` is a timeout `heldReply` put down to this process, not to the node. */
  excuses(error: unknown): boolean {
    return typeof error === "object" && error !== null && this.excused.has(error);
  }

  private watch(): void {
    this.expected = performance.now() + EVERY_MS;
    // Its next look is due sooner than any command's timeout: after a stall, it runs (and
    // counts it) before the timeout's callback, in the same turn of the loop.
    this.timer = setInterval(() => this.look(), EVERY_MS);
    this.timer.unref();
  }

  /** Counts the lateness since the last look: a reading in the middle of a stall counts it so far. */
  private look(): void {
    const now = performance.now();
    const late = now - this.expected;
    // A look due over a period ahead: the clock it was set by ran ahead (a test's stand-in for
    // performance.now). Waiting for that time would hide every stall until then.
    if (late < -EVERY_MS) this.expected = now + EVERY_MS;
    if (late <= 0) return;
    if (late > STALL_MS) {
      this.stalledMs += late;
      this.endedAt = now;
    }
    this.expected = now + EVERY_MS;
  }
}

export const loopStalls = new LoopStalls();

/** ioredis's error for a command with no reply within `commandTimeout`. */
const isCommandTimeout = (error: unknown) => error instanceof Error && error.message === "Command timed out";
