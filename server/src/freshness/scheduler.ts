import { isConnectionError } from "../db/connection-errors";
import type { Sql } from "../db/database";
import type { TableGate } from "../db/table-gate";
import type { Logger } from "../log/logger";
import { logQuarantined } from "../materialize/quarantine-log";
import { materializeIfIdle, type RunResult } from "../materialize/runner";
import { type Pending, pendingChanges, pruneSourceChanges } from "../materialize/source-changes";
import { listTargets, type MaterializeTarget } from "../materialize/target";

export type ViewFreshness = {
  /** `name@version` (embeddings too). */
  view: string;
  kind: MaterializeTarget["kind"];
  objectiveSeconds: number;
  /** Seconds since the oldest change it does not serve yet; 0 when it serves every change. */
  lagSeconds: number;
  /** Source statements it has not served yet. */
  pendingChanges: number;
  status: "fresh" | "behind";
  /** Analyses its runs skip because it cannot read them (materialize/quarantine.ts). */
  quarantinedAnalyses: number;
};

export type FreshnessSchedulerOptions = {
  sql: Sql;
  logger: Logger;
  defaultObjectiveSeconds: number;
  /** How often to look for changes when no notification comes (the fallback a lost one needs). */
  pollMs: number;
  /** Server PostgreSQL: calls `onChange` on every NOTIFY; resolves to a function that stops listening. */
  listen?: (onChange: () => void) => Promise<() => Promise<void>>;
  /** The least time between the starts of two runs of a view (default: a third of its objective). */
  minIntervalMs?: number;
  /** After each batch of runs: the online store, caches and metrics follow the new rows. */
  afterRuns: (runs: RunResult[]) => Promise<void>;
  /**
   * Readers of the source tables kept up on every look (the embedded in-memory search); the
   * changes their snapshots have not seen are not pruned.
   */
  sources?: SourceFollower;
  /** The embedded database's sliced readers: a run waits a third of its view's objective for them at most. */
  readers?: TableGate;
  /** Once started: what else follows runs looks for those made before (a start's catch-up). */
  afterStart?: () => Promise<void>;
};

export type SourceFollower = { follow(): Promise<void>; readonly snapshots: string[] };

type Tracked = {
  target: MaterializeTarget;
  pending: Pending;
  lastStarted: number;
  objectiveSeconds: number;
  quarantined: number;
};

// Changes every view's last run has seen are forgotten this often.
const PRUNE_EVERY_MS = 30_000;

/**
 * Keeps every built view version within its freshness objective without an operator. Source
 * writes are noted by triggers (migration 0011) and announced by NOTIFY; on each announcement,
 * and every `pollMs` in case one was lost, it looks for versions with changes they do not serve
 * and materializes those whose last run started at least a third of their objective ago: a
 * steady stream costs one run per view per interval, not one per row. Runs are incremental
 * unless the changes need a rebuild (runner, source-changes.ts). Several processes share the
 * work: the interval is read from the runs table, and a view one process is running is skipped
 * by the others (materializeIfIdle).
 */
export class FreshnessScheduler {
  private tracked = new Map<string, Tracked>();
  private timer: NodeJS.Timeout | undefined;
  private stopListening: (() => Promise<void>) | undefined;
  private ticking: Promise<void> | undefined;
  private following: Promise<void> | undefined;
  private again = false;
  private stopped = false;
  private lastPrune = 0;

  constructor(private readonly options: FreshnessSchedulerOptions) {}

  async start(): Promise<void> {
    this.stopped = false;
    if (this.options.listen) {
      this.stopListening = await this.options
        .listen(() => this.nudge())
        .catch((error: unknown) => {
          this.options.logger.warn("cannot listen for source changes; polling for them", {
            error: (error as Error).message,
          });
          return undefined;
        });
    }
    this.timer = setInterval(() => this.nudge(), this.options.pollMs);
    this.timer.unref();
    this.nudge();
    await this.options.afterStart?.().catch((error: unknown) => {
      this.options.logger.warn("could not look for runs made before the start", {
        error: (error as Error).message,
      });
    });
  }

  async stop(): Promise<void> {
    this.stopped = true;
    clearInterval(this.timer);
    await this.stopListening?.().catch(() => {});
    await Promise.all([this.ticking, this.following]);
  }

  /** Looks for changes now (or once more after the look in progress). */
  nudge(): void {
    if (this.stopped) return;
    this.followSources();
    if (this.ticking) {
      this.again = true;
      return;
    }
    this.ticking = this.tick()
      .then(() => {})
      .catch((error: unknown) => {
        this.options.logger.warn("freshness check failed; the next one tries again", {
          error: (error as Error).message,
        });
      })
      .finally(() => {
        this.ticking = undefined;
        if (this.again) {
          this.again = false;
          this.nudge();
        }
      });
  }

  /** One look: what each view has not served, and the runs of those that are due. */
  async tick(): Promise<RunResult[]> {
    const { sql } = this.options;
    const targets = (await listTargets(sql)).filter((t) => t.watermark !== null);
    const quarantined = await quarantinedCounts(sql);
    const next = new Map<string, Tracked>();
    for (const target of targets) {
      next.set(viewKey(target), {
        target,
        pending: await pendingChanges(sql, target),
        lastStarted: await lastStarted(sql, target),
        objectiveSeconds: target.freshnessSeconds ?? this.options.defaultObjectiveSeconds,
        quarantined: quarantined.get(viewKey(target)) ?? 0,
      });
    }
    this.tracked = next;
    const runs: RunResult[] = [];
    for (const view of next.values()) {
      if (this.stopped || view.pending.changes === 0) continue;
      const interval = this.options.minIntervalMs ?? (view.objectiveSeconds * 1000) / 3;
      if (Date.now() - view.lastStarted < interval) continue;
      const run = await this.runOne(view).catch((error: unknown) => {
        // A lost database fails the whole look (one line, not one per view).
        if (this.stopped || isConnectionError(error)) throw error;
        // One view's failure (a row behind the door it cannot read) is that view's: the rest of
        // the look goes on, and the next look tries it again.
        this.options.logger.warn(
          "a view's run failed; its previous rows are served and the next look tries again",
          {
            view: viewKey(view.target),
            error: (error as Error).message,
          },
        );
        return undefined;
      });
      if (!run) continue;
      if (run.readers?.readersLeft)
        this.options.logger.warn(
          "a run stopped waiting for the downloads reading its view; they fail and are retried",
          {
            view: viewKey(run),
            waited_ms: run.readers.waitedMs,
            readers: run.readers.readersLeft,
          },
        );
      if (run.historyError)
        this.options.logger.warn(
          "the view's kept history was not brought up to date; training sets sum its changed artists meanwhile",
          { view: viewKey(run), error: run.historyError },
        );
      runs.push(run);
      logQuarantined(this.options.logger, [run]);
      view.quarantined = run.quarantine.total;
      view.pending = await pendingChanges(sql, (await listTargets(sql, view.target))[0] ?? view.target);
    }
    if (runs.length > 0) await this.options.afterRuns(runs);
    if (Date.now() - this.lastPrune >= PRUNE_EVERY_MS) {
      this.lastPrune = Date.now();
      await pruneSourceChanges(sql, await listTargets(sql), this.options.sources?.snapshots);
    }
    return runs;
  }

  private runOne(view: Tracked): Promise<RunResult | undefined> {
    const readers = this.options.readers;
    return materializeIfIdle(this.options.sql, view.target, {
      ...(readers ? { readers: { gate: readers, maxWaitMs: (view.objectiveSeconds * 1000) / 3 } } : {}),
      onlyIf: async (locked, target) => (await pendingChanges(locked, target)).changes > 0,
    });
  }

  /**
   * The source followers look on every nudge, beside the views' runs and never behind them: a
   * run (a full one takes seconds) must not hold a new track back from search.
   */
  private followSources(): void {
    const sources = this.options.sources;
    if (!sources || this.following) return;
    this.following = sources
      .follow()
      .catch((error: unknown) => {
        this.options.logger.warn("in-memory search could not follow the source tables", {
          error: (error as Error).message,
        });
      })
      .finally(() => {
        this.following = undefined;
      });
  }

  /** Every built view version's freshness as of the last look. */
  views(): ViewFreshness[] {
    const now = Date.now();
    return [...this.tracked.entries()].map(([view, t]) => {
      const lagSeconds = t.pending.since ? Math.max(0, (now - t.pending.since.getTime()) / 1000) : 0;
      return {
        view,
        kind: t.target.kind,
        objectiveSeconds: t.objectiveSeconds,
        lagSeconds,
        pendingChanges: t.pending.changes,
        status: lagSeconds > t.objectiveSeconds ? "behind" : "fresh",
        quarantinedAnalyses: t.quarantined,
      };
    });
  }
}

const viewKey = (t: { name: string; version: number }) => `${t.name}@${t.version}`;

/** When a target's newest run started (any outcome): the next is due a third of its objective later. */
async function lastStarted(sql: Sql, target: MaterializeTarget): Promise<number> {
  const [row] = await sql<{ at: Date }[]>`
    select started_at as at from rapfs_materialization_runs
    where name = ${target.name} and version = ${target.version} and relation_kind = ${target.kind}
    order by id desc limit 1`;
  return row?.at.getTime() ?? 0;
}

/** Per `name@version`, the analyses its runs quarantined. */
async function quarantinedCounts(sql: Sql): Promise<Map<string, number>> {
  const rows = await sql<{ view: string; n: number }[]>`
    select view_name || '@' || view_version as view, count(*)::int as n
    from rapfs_quarantined_analyses group by view_name, view_version`;
  return new Map(rows.map((row) => [row.view, row.n]));
}
