import type { ReachabilityListener } from "../db/circuit";
import type { Database, Sql } from "../db/database";
import { SOURCE_CHANGES_CHANNEL } from "../db/source-writes";
import type { TableGate } from "../db/table-gate";
import type { VectorIndexKind } from "../definitions/compile/embedding";
import type { FreshnessSchedulerOptions } from "../freshness/scheduler";
import type { Logger } from "../log/logger";
import type { Metrics } from "../metrics/registry";

/** A statement of a dataset card at full scale ran ~60 s; longer is a stuck database. */
const DATABASE_BUSY_WINDOW_MS = 120_000;

/**
 * What the rest of the process does differently on each kind of database, decided here once:
 * composition, the start and the commands read these fields and never the database's mode.
 */
export type DatabaseProfile = {
  /** `embedded` or `server`, for logs and messages only. */
  name: Database["mode"];
  /** Whether the database answers, for the `database` readiness check. */
  probe(): Promise<void>;
  /** Hears the database become unreachable (false) and reachable again (true). */
  watchReachability(listener: ReachabilityListener): void;
  /** Registers the gauges of this kind of database. */
  observe(metrics: Metrics): void;
  /** How the freshness scheduler hears of source changes, and whom its runs wait for. */
  freshness: Pick<FreshnessSchedulerOptions, "listen" | "readers">;
  /** The readers a materialization run waits for (a server's readers take no turns). */
  runReaders: { readers?: { gate: TableGate } };
  /** Bulk reads in short key-range transactions, and encoded files shared through the database. */
  datasets: { sliced: boolean; gate?: TableGate; filesSql?: Sql };
  /**
   * Where online-store misses of many ids are read (a wide batch), when not with the others: on
   * the embedded database, the bulk class, so its one backend serves a bystander's lookup first.
   */
  wideReads?: Sql;
  /** Searches over vectors held in this process's memory, and the index `auto` means. */
  search: { inMemory: boolean; autoIndex: VectorIndexKind };
  /** Point-in-time work tables older than this are another process's leftovers, to drop at a start. */
  staleWorkTableSeconds: number;
  /** Once the data is prepared at a start. */
  afterPrepare(sql: Sql, logger: Logger): Promise<void>;
  /** Where the data lives, in a sentence's words (with the data directory, if given, embedded). */
  describe(dataDir?: string): string;
};

export function profileOf(database: Database): DatabaseProfile {
  if (database.mode === "embedded") {
    return {
      name: "embedded",
      // A probe would queue behind a long statement of PGlite's one backend: a statement that
      // is running, or one that just finished, says the database answers.
      probe: async () => {
        if (database.busy(DATABASE_BUSY_WINDOW_MS)) return;
        await database.sql`select 1`;
      },
      // In this process: it never becomes unreachable.
      watchReachability: () => {},
      observe: (metrics) => metrics.observeEmbeddedBackend({ holds: (o) => database.holds(o) }),
      // Only this process writes it: polled, and its sliced readers take turns with the runs.
      freshness: { readers: database.gate },
      runReaders: { readers: { gate: database.gate } },
      // Its one backend is never held long by bulk work; no other process shares its files.
      datasets: { sliced: true, gate: database.gate },
      wideReads: database.bulk,
      search: { inMemory: true, autoIndex: "exact" },
      // This process owns the database: every work table left is a dead process's.
      staleWorkTableSeconds: 0,
      // After a crash PGlite replays the WAL written since the last checkpoint, and a first start
      // writes the whole corpus and every view (a restart after SIGKILL spent 1.6 s more opening
      // the database than after a clean stop).
      afterPrepare: checkpoint,
      describe: (dataDir) => (dataDir ? `the embedded database in ${dataDir}` : "the embedded database"),
    };
  }
  return {
    name: "server",
    // A connection of its own: a server that is gone fails at once (refused, or its 1 s connect
    // timeout), where a pool query would hang into the readiness check's busy grace.
    probe: () => database.ping(),
    watchReachability: (listener) => database.watchReachability(listener),
    observe: () => {},
    freshness: {
      listen: async (onChange) => {
        const { unlisten } = await database.sql.listen(SOURCE_CHANGES_CHANNEL, onChange);
        return unlisten;
      },
    },
    runReaders: {},
    datasets: { sliced: false, filesSql: database.sql },
    search: { inMemory: false, autoIndex: "hnsw" },
    // Other processes' running jobs are younger than an hour.
    staleWorkTableSeconds: 3_600,
    // The server's own checkpointer keeps its recovery short.
    afterPrepare: async () => {},
    describe: () => "the DATABASE_URL database",
  };
}

async function checkpoint(sql: Sql, logger: Logger): Promise<void> {
  const started = performance.now();
  try {
    await sql`checkpoint`;
    logger.info("checkpoint", { ms: Math.round(performance.now() - started) });
  } catch (error) {
    logger.warn("checkpoint failed", { error: (error as Error).message });
  }
}
