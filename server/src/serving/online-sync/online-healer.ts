import type { Sql } from "../../db/database";
import type { Logger } from "../../log/logger";
import type { Metrics } from "../../metrics/registry";
import type { SyncLocks } from "../../online/sync-lock";
import type { OnlineStore } from "../../online/types";
import { countSyncs, SyncFailedError, type SyncResult, syncOnlineStore } from "./sync";
import type { UnsyncedViews } from "./unsynced-views";

export type OnlineHealerOptions = {
  sql: Sql;
  /** The serving store: markers are read through its circuits (a down node is skipped, not waited on). */
  markers: OnlineStore;
  /** A Redis store on a connection of its own, so bulk writes never queue ahead of lookups. */
  writer: OnlineStore;
  locks: SyncLocks;
  logger: Logger;
  metrics: Metrics;
  /** How often every view version's seals are checked. */
  intervalMs: number;
  /** How often `markers.degraded` is looked at (no I/O), to check as soon as every circuit closed. */
  watchMs?: number;
  /** Where each check's failed views are kept: their lookups read the database meanwhile. */
  unsynced?: UnsyncedViews;
};

/** A restarted master's keys are copied back as soon as its circuit closes, not a check interval later. */
const WATCH_MS = 250;

/**
 * Keeps Redis holding every servable view version. Each check reads each version's seal on
 * every master (sync.ts, online/seals.ts): a version not sealed everywhere (a master that came
 * back empty, a flush) or sealed at an older run is synced again, by one process of the
 * deployment (the lock), while reads fall back to Postgres. Starting N processes syncs each
 * version once: the first takes the lock and the others find it held, then its seals. Besides
 * every `intervalMs`, a check runs when the store stops being degraded (its last circuit closed).
 */
export class OnlineStoreHealer {
  private timer: NodeJS.Timeout | undefined;
  private running: Promise<SyncResult[]> | undefined;
  private queued: Promise<SyncResult[]> | undefined;
  private checkedAt = 0;
  private degraded = false;
  private readonly stopping = new AbortController();

  constructor(private readonly options: OnlineHealerOptions) {}

  /** Redis holds every servable view version. */
  holds(_viewKey: string): boolean {
    return true;
  }

  /**
   * Checks every view version now, or right after the check in progress: that one may have listed
   * the views before the caller's run committed, and would answer without it. Callers that come
   * during one check share the next.
   */
  check(): Promise<SyncResult[]> {
    if (this.stopping.signal.aborted) return Promise.resolve([]);
    if (this.running) {
      this.queued ??= this.running
        .catch(() => [])
        .then(() => {
          this.queued = undefined;
          return this.check();
        });
      return this.queued;
    }
    this.running = this.checkAll().finally(() => {
      this.running = undefined;
    });
    return this.running;
  }

  /** Checks every `intervalMs` from now on, and when the store recovers, in the background. */
  start(): void {
    if (this.timer) return;
    const { intervalMs, watchMs = WATCH_MS, markers } = this.options;
    this.checkedAt = Date.now();
    this.timer = setInterval(
      () => {
        const recovered = this.degraded && !markers.degraded;
        this.degraded = markers.degraded;
        if (!recovered && Date.now() - this.checkedAt < intervalMs) return;
        this.checkedAt = Date.now();
        this.check().catch((error: unknown) => {
          this.options.logger.debug("online store check failed; the next one tries again", {
            error: (error as Error).message,
          });
        });
      },
      Math.min(intervalMs, watchMs),
    );
    this.timer.unref();
  }

  /** Stops checking; a check in progress stops after the chunk in flight, and is waited for. */
  async stop(): Promise<void> {
    clearInterval(this.timer);
    this.timer = undefined;
    this.stopping.abort();
    await this.running?.catch(() => []);
    await this.queued?.catch(() => []);
  }

  private async checkAll(): Promise<SyncResult[]> {
    const { sql, markers, writer, locks, logger, metrics, unsynced } = this.options;
    const results = await syncOnlineStore({
      sql,
      store: writer,
      markers,
      locks,
      logger,
      signal: this.stopping.signal,
    }).catch((error: unknown) => {
      if (error instanceof SyncFailedError) unsynced?.record(error.results, { whole: true });
      throw error;
    });
    unsynced?.record(results, { whole: !this.stopping.signal.aborted });
    countSyncs(metrics, results);
    return results;
  }
}
