import type { BackendHolds, HoldStats, LongHold, WorkClass } from "./embedded-channel";

const LONG_HOLD_MS = 100;

/**
 * How long connections held the backend, per work class, from taking it to giving it back: what
 * every other connection may have waited behind. Bulk work is sliced to keep its holds short.
 */
export class BackendHoldTimes {
  private classes: Record<WorkClass, HoldStats> = { interactive: empty(), bulk: empty() };

  constructor(private readonly onLongHold: (hold: LongHold) => void) {}

  /** `statement`: the hold's last statement, reported with a long hold. */
  record(work: WorkClass, ms: number, statement: string): void {
    const stats = this.classes[work];
    stats.count++;
    stats.total_ms += ms;
    stats.max_ms = Math.max(stats.max_ms, ms);
    if (ms > 250) stats.over_250ms++;
    if (ms > LONG_HOLD_MS) {
      stats.over_100ms++;
      this.onLongHold({ work, ms, statement });
    }
  }

  take(reset: boolean): BackendHolds {
    const taken = this.classes;
    if (reset) this.classes = { interactive: empty(), bulk: empty() };
    return taken;
  }
}

function empty(): HoldStats {
  return { count: 0, total_ms: 0, max_ms: 0, over_100ms: 0, over_250ms: 0 };
}
