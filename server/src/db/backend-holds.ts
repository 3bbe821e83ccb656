import { readFileSync } from "node:fs";
import type { BackendHolds, HoldStats, LongHold, WorkClass } from "./embedded-channel";

const LONG_HOLD_MS = 100;

/**
 * How long connections held the backend, per work class, from taking it to giving it back: what
 * every other connection may have waited behind. Bulk work is sliced to keep its holds short.
 */
export class BackendHoldTimes {
  private classes: Record<WorkClass, HoldStats> = { interactive: emptyHoldStats(), bulk: emptyHoldStats() };

  constructor(private readonly onLongHold: (hold: LongHold) => void) {}

  /**
   * `statement`: the hold's last statement; `cpuMs`: the backend thread's CPU time during the
   * hold (NaN where unknown). A hold is reported long by what it cost, not by its wall time: on
   * a busy machine a statistics slice or a card's slice that takes ~40 ms of work took 100–500 ms
   * of wall time, and such slices were most of the warnings in ordinary use (#41 item 6). The
   * counts below take wall time: what others waited.
   */
  record(work: WorkClass, ms: number, statement: string, cpuMs = Number.NaN): void {
    const stats = this.classes[work];
    stats.count++;
    stats.total_ms += ms;
    stats.max_ms = Math.max(stats.max_ms, ms);
    if (ms > 250) stats.over_250ms++;
    if (ms > LONG_HOLD_MS) {
      stats.over_100ms++;
      const cost = Number.isNaN(cpuMs) ? ms : cpuMs;
      if (cost > LONG_HOLD_MS) this.onLongHold({ work, ms, cpuMs: cost, statement });
    }
  }

  /** A connection of `work` waited `ms` for its turn, behind other connections' holds. */
  recordWait(work: WorkClass, ms: number): void {
    const stats = this.classes[work];
    stats.waits++;
    stats.wait_ms += ms;
    stats.wait_max_ms = Math.max(stats.wait_max_ms, ms);
  }

  take(reset: boolean): BackendHolds {
    const taken = this.classes;
    if (reset) this.classes = { interactive: emptyHoldStats(), bulk: emptyHoldStats() };
    return taken;
  }
}

export function emptyHoldStats(): HoldStats {
  return {
    count: 0,
    total_ms: 0,
    max_ms: 0,
    over_100ms: 0,
    over_250ms: 0,
    waits: 0,
    wait_ms: 0,
    wait_max_ms: 0,
  };
}

const TICK_MS = 10; // Linux reports thread times in USER_HZ ticks, 100 a second.
let perThread = process.platform === "linux";

/**
 * The calling thread's CPU time (user + system) in ms, from /proc/thread-self/stat (Linux; Node
 * 20 has no per-thread clock): NaN elsewhere. Read on the embedded database's own worker thread.
 */
export function threadCpuMs(): number {
  if (!perThread) return Number.NaN;
  try {
    const stat = readFileSync("/proc/thread-self/stat", "latin1");
    const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
    return (Number(fields[11]) + Number(fields[12])) * TICK_MS;
  } catch {
    perThread = false;
    return Number.NaN;
  }
}
