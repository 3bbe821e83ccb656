import type { Sql } from "../db/database";
import type { Logger } from "../log/logger";
import { type RecountCache, recountStats, storeRecount } from "./stats-recount";
import { listTargets } from "./target";

export type StatsFollowerOptions = {
  /** Where the recounts read: the bulk connections, so lookups go first on the embedded database. */
  sql: Sql;
  logger: Logger;
  /** Runs of a view closer together than this are counted once, after the last (default 1 s). */
  debounceMs?: number;
  sliceRows?: number;
  /** Told of each stored recount: the view and the run it describes (the catalog reloads). */
  onStored?: (view: { name: string; version: number; runId: number; statements: number }) => void;
};

type View = { name: string; version: number };
/** A run as followed: incremental runs name the keys they wrote and those they removed. */
type FollowedRun = View & { runId?: number; mode?: string; keys?: string[]; removedKeys?: string[] };

/**
 * Keeps each view's statistics describing its whole table after incremental runs, which write
 * only the rows that changed: a run is followed, debounced per view, by a recount in slices
 * (stats-recount.ts) stored on that run. One view is counted at a time; a run that commits
 * during a count drops it, and the count starts again after that run.
 */
export class StatsFollower {
  private readonly due = new Map<string, { view: View; timer: NodeJS.Timeout }>();
  private readonly queue = new Map<string, View>();
  private counting: Promise<void> | undefined;
  private stopped = false;
  private readonly aborts = new AbortController();
  /** Per view: the last recount's slices, and the keys each run since wrote. */
  private readonly caches = new Map<string, RecountCache>();
  private readonly written = new Map<string, Map<number, string[]>>();

  constructor(private readonly options: StatsFollowerOptions) {}

  /** A run of `view` committed: its statistics are counted again shortly. */
  follow(view: FollowedRun): void {
    if (this.stopped) return;
    const key = `${view.name}@${view.version}`;
    if (view.runId !== undefined && view.mode === "incremental" && view.keys) {
      const runs = this.written.get(key) ?? new Map<number, string[]>();
      // A slice that lost a row changed as much as one that had a row rewritten.
      runs.set(view.runId, [...view.keys, ...(view.removedKeys ?? [])]);
      this.written.set(key, runs);
    }
    const pending = this.due.get(key);
    if (pending) clearTimeout(pending.timer);
    const timer = setTimeout(() => {
      this.due.delete(key);
      this.queue.set(key, { name: view.name, version: view.version });
      this.drain();
    }, this.options.debounceMs ?? 1_000);
    timer.unref();
    this.due.set(key, { view, timer });
  }

  /**
   * Follows the views whose last run's statistics are not their table's: runs this follower did
   * not see (a start's catch-up, `rapfs materialize`, a process that stopped before counting).
   */
  async followUncounted(): Promise<void> {
    const views = await this.options.sql<View[]>`
      select v.name, v.version from rapfs_feature_views v
      join rapfs_materialization_runs r on r.id = v.last_run_id
      where v.status <> 'retired' and r.status = 'succeeded' and coalesce(r.stats->>'scope', '') <> 'table'`;
    for (const view of views) this.follow(view);
  }

  /** Resolves once every followed run's statistics are stored (or given up): for tests and benches. */
  async idle(): Promise<void> {
    for (;;) {
      for (const { view, timer } of [...this.due.values()]) {
        clearTimeout(timer);
        this.due.delete(`${view.name}@${view.version}`);
        this.queue.set(`${view.name}@${view.version}`, view);
      }
      this.drain();
      if (!this.counting) return;
      await this.counting;
    }
  }

  async stop(): Promise<void> {
    this.stopped = true;
    for (const { timer } of this.due.values()) clearTimeout(timer);
    this.due.clear();
    this.queue.clear();
    this.aborts.abort();
    await this.counting?.catch(() => {});
  }

  private drain(): void {
    if (this.counting || this.stopped) return;
    const next = this.queue.entries().next();
    if (next.done) return;
    const [key, view] = next.value;
    this.queue.delete(key);
    this.counting = this.count(view)
      .catch((error: unknown) => {
        if (this.stopped) return;
        this.options.logger.warn("statistics recount failed; the view's next run counts again", {
          view: key,
          error: (error as Error).message,
        });
      })
      .finally(() => {
        this.counting = undefined;
        this.drain();
      });
  }

  /**
   * The last recount and the keys written since, if every run since was an incremental one this
   * follower saw (a full run, or one of another process, and the table is read whole).
   */
  private async changedSince(
    key: string,
    kind: string,
  ): Promise<{ cache: RecountCache; changed: Set<number> } | undefined> {
    const cache = this.caches.get(key);
    if (!cache) return undefined;
    const [name, version] = [key.slice(0, key.lastIndexOf("@")), Number(key.slice(key.lastIndexOf("@") + 1))];
    const runs = await this.options.sql<{ id: number }[]>`
      select id::int as id from rapfs_materialization_runs
      where relation_kind = ${kind} and name = ${name} and version = ${version}
        and status = 'succeeded' and id > ${cache.runId}`;
    const written = this.written.get(key);
    const changed = new Set<number>();
    for (const { id } of runs) {
      const keys = written?.get(id);
      if (!keys) return undefined;
      for (const k of keys) changed.add(Number(k));
    }
    return { cache, changed };
  }

  private async count(view: View): Promise<void> {
    const { sql } = this.options;
    const target = (await listTargets(sql, view)).find((t) => t.kind === "feature_view");
    if (!target) return;
    const key = `${view.name}@${view.version}`;
    const since = await this.changedSince(key, target.kind);
    const recount = await recountStats(sql, target, {
      ...(this.options.sliceRows ? { sliceRows: this.options.sliceRows } : {}),
      ...(since ? { since } : {}),
      signal: this.aborts.signal,
    });
    // Dropped: a run committed meanwhile, and following that run counts again.
    if (!recount) return;
    await storeRecount(sql, recount);
    this.caches.set(key, recount.cache);
    const runs = this.written.get(key);
    for (const id of runs?.keys() ?? []) if (id <= recount.runId) runs?.delete(id);
    this.options.onStored?.({ ...view, runId: recount.runId, statements: recount.statements });
  }
}
