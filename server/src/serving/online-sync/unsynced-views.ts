import type { Logger } from "../../log/logger";
import type { SyncResult } from "./sync";

/**
 * The view versions whose latest run this process could not copy into Redis because Redis
 * refused the writes (a master at maxmemory with noeviction, a read-only replica promoted in its
 * place): the rows it holds for them may be older than the database's, so their lookups read the
 * database until a sync succeeds here, or another process's does (its seal then says so, and the
 * check here skips the view). A master that does not answer is another matter: its circuit
 * already sends its reads to the database, and the check when it answers again copies what it
 * missed. A view is marked on its first refused sync and cleared by a sync that wrote it or found
 * it sealed; a sync left to another process (`held`) or failed for want of an answer changes nothing.
 */
export class UnsyncedViews {
  private readonly failing = new Map<string, { error: string; since: number }>();

  constructor(
    private readonly logger: Logger,
    /** Called when a view is marked or cleared (/ready's cached report is then out of date). */
    private readonly changed: () => void = () => {},
    private readonly now: () => number = Date.now,
  ) {}

  has(viewKey: string): boolean {
    return this.failing.size > 0 && this.failing.has(viewKey);
  }

  get size(): number {
    return this.failing.size;
  }

  /** Each failing view and the Unix time (seconds) of its first refusal, for the metrics. */
  views(): { view: string; sinceSeconds: number }[] {
    return [...this.failing].map(([view, { since }]) => ({ view, sinceSeconds: since / 1000 }));
  }

  /** Each failing view with its error, for /ready: `name@version (since Ns): error`. */
  describe(): string[] {
    const now = this.now();
    return [...this.failing].map(
      ([view, { error, since }]) => `${view} (for ${Math.round((now - since) / 1000)} s): ${error}`,
    );
  }

  /**
   * Takes in a check's results: a failed view is marked, a written or sealed one cleared. `whole`:
   * the results name every servable view version, so a marked one they leave out (retired since)
   * is cleared too.
   */
  record(results: readonly SyncResult[], { whole = false }: { whole?: boolean } = {}): void {
    if (whole) {
      const listed = new Set(results.map((r) => r.viewKey));
      for (const viewKey of [...this.failing.keys()]) {
        if (listed.has(viewKey)) continue;
        this.failing.delete(viewKey);
        this.changed();
      }
    }
    for (const result of results) {
      if (result.mode === "held" || (result.mode === "failed" && !result.refused)) continue;
      const before = this.failing.get(result.viewKey);
      if (result.mode !== "failed") {
        if (!before) continue;
        this.failing.delete(result.viewKey);
        this.changed();
        this.logger.info("online store synced again; its lookups read Redis", { view: result.viewKey });
        continue;
      }
      const error = result.error ?? "unknown error";
      if (before?.error === error) continue;
      this.failing.set(result.viewKey, { error, since: before?.since ?? this.now() });
      this.changed();
      this.logger.warn(
        "could not copy a view's latest run into Redis; its lookups read the database until a sync succeeds",
        {
          view: result.viewKey,
          run: result.runId,
          error,
        },
      );
    }
  }
}
