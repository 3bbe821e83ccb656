import type { Sql } from "../../db/database";
import type { Logger } from "../../log/logger";
import type { Metrics } from "../../metrics/registry";
import type { MemoryOnlineStore } from "../../online/memory-store";
import type { ViewVersion } from "../../registry";
import type { OnlineHealing } from "./no-healing";
import { countSyncs, type SyncResult, syncOnlineStore } from "./sync";

export type InProcessViewsOptions = {
  /** Bulk reads: on the embedded database, every lookup's statement goes before their slices. */
  sql: Sql;
  store: MemoryOnlineStore;
  /** Rows held whole at most, over every view version copied (RAPFS_MEMORY_ROWS). */
  maxRows: number;
  logger: Logger;
  metrics: Metrics;
  /** How often the copies are checked against the views' last runs. */
  intervalMs: number;
};

/**
 * Without Redis, the view versions that fit `maxRows` together are copied whole into the
 * process (smallest first, so the most versions fit) and kept at their last run, as the healer
 * keeps Redis: a lookup of them never waits for the embedded database, which bulk work holds
 * in slices. A version beyond the bound is read through the store's LRU, as before.
 *
 * The first copy runs in the background once the server is servable: reads go to the database
 * until a version is sealed. A check asked for while one runs runs again after it, so rows a run
 * wrote just before are never left for the next interval.
 */
export class InProcessViews implements OnlineHealing {
  readonly copiesBeforeServing = false;
  private timer: NodeJS.Timeout | undefined;
  private running: Promise<SyncResult[]> | undefined;
  private again: Promise<SyncResult[]> | undefined;
  private tooLarge = new Set<string>();
  private readonly stopping = new AbortController();
  /** True once a check has copied every version that fits (reads of them no longer go to the database). */
  copied = false;
  /** True from `start` on: before it (data still being prepared) there is nothing to copy yet. */
  started = false;

  constructor(private readonly options: InProcessViewsOptions) {}

  /** Whether reads of this version are answered by its copy (once sealed), not the LRU. */
  holds(viewKey: string): boolean {
    return this.options.store.holds(viewKey);
  }

  check(): Promise<SyncResult[]> {
    if (this.stopping.signal.aborted) return Promise.resolve([]);
    if (!this.running) {
      this.running = this.copy().finally(() => {
        this.running = undefined;
      });
      return this.running;
    }
    this.again ??= this.running
      .catch(() => [])
      .then(() => {
        this.again = undefined;
        return this.check();
      });
    return this.again;
  }

  start(): void {
    if (this.timer) return;
    this.started = true;
    const checked = () =>
      this.check().catch((error: unknown) => {
        this.options.logger.warn("copying the views into memory failed; the next check tries again", {
          error: (error as Error).message,
        });
      });
    void checked();
    this.timer = setInterval(checked, this.options.intervalMs);
    this.timer.unref();
  }

  /** Stops checking; a copy in progress stops after the chunk in flight, unsealed. */
  async stop(): Promise<void> {
    clearInterval(this.timer);
    this.timer = undefined;
    this.stopping.abort();
    await this.again?.catch(() => []);
    await this.running?.catch(() => []);
  }

  private async copy(): Promise<SyncResult[]> {
    const { sql, store, logger, metrics } = this.options;
    const { signal } = this.stopping;
    const results = await syncOnlineStore({
      sql,
      store,
      logger,
      signal,
      select: (views) => this.fitting(views),
    });
    if (!signal.aborted && results.every((r) => r.mode !== "failed")) this.copied = true;
    countSyncs(metrics, results);
    return results;
  }

  /**
   * The versions that fit the bound together, smallest first. A version held that is no longer
   * among them (beyond the bound, retired, its last run failed) is let go.
   */
  private fitting(views: ViewVersion[]): ViewVersion[] {
    const { store, maxRows, logger } = this.options;
    const servable = new Set(views.map(keyOf));
    for (const viewKey of store.heldViews()) if (!servable.has(viewKey)) void store.deleteView(viewKey);
    const bySize = [...views].sort((a, b) => rowsOf(a) - rowsOf(b) || keyOf(a).localeCompare(keyOf(b)));
    const chosen: ViewVersion[] = [];
    let total = 0;
    for (const view of bySize) {
      if (total + rowsOf(view) > maxRows) {
        if (!this.tooLarge.has(keyOf(view)))
          logger.info(
            "a view version is read through the LRU: the views held in memory reach RAPFS_MEMORY_ROWS",
            {
              view: keyOf(view),
              rows: rowsOf(view),
              held: total,
              maxRows,
            },
          );
        this.tooLarge.add(keyOf(view));
        if (store.holds(keyOf(view))) void store.deleteView(keyOf(view));
        continue;
      }
      total += rowsOf(view);
      chosen.push(view);
    }
    return chosen;
  }
}

const keyOf = (view: ViewVersion) => `${view.name}@${view.version}`;
const rowsOf = (view: ViewVersion) => view.lastRun?.rowCount ?? 0;
