import { resolve } from "node:path";
import { z } from "zod";
import { durationSeconds, freshnessDuration } from "./duration";
import { IN_MEMORY, repoRoot } from "./paths";
import { intIn, optionalUrl, readEnv } from "./read-env";

const envSchema = z.object({
  DATABASE_URL: optionalUrl(["postgres", "postgresql"]),
  // redis+cluster://host:port,host:port selects Redis Cluster (seed nodes; the rest are discovered).
  REDIS_URL: optionalUrl(["redis", "rediss", "redis+cluster"]),
  // Read-only paths (fallback reads, registry, dataset exports) go here; the primary if it is down.
  DATABASE_REPLICA_URL: optionalUrl(["postgres", "postgresql"]),
  PORT: intIn(0, 65_535, 8080),
  HOST: z.string().default("0.0.0.0"),
  RAPFS_DATA_DIR: z.string().default(".rapfs"),
  RAPFS_DEFINITIONS_DIR: z.string().optional(),
  RAPFS_CORPUS_SCALE: z.coerce.number().positive().max(10).default(1),
  RAPFS_CORPUS_SEED: z.coerce.number().int().min(0).default(42),
  RAPFS_EMBEDDED_PORT: intIn(0, 65_535, 0),
  // Rows of Redis kept in each server process and invalidated by Redis; 0 turns the near cache off.
  RAPFS_NEAR_CACHE_ROWS: intIn(0, 10_000_000, 50_000),
  // Without Redis: rows of feature views held whole in the process (smallest views first); 0 for
  // none. Views beyond it are read through an LRU of RAPFS_NEAR_CACHE_ROWS rows.
  RAPFS_MEMORY_ROWS: intIn(0, 100_000_000, 1_000_000),
  // How often each process checks that Redis holds every view version (and re-syncs one that lost its keys).
  RAPFS_ONLINE_CHECK_SECONDS: z.coerce.number().min(0.1).max(3_600).default(5),
  // `off`: views are materialized only by `rapfs materialize` (and at start), never on their own.
  RAPFS_FRESHNESS: z.enum(["on", "off"]).default("on"),
  // The freshness objective of view versions that declare none (30s, 5m, 1h).
  RAPFS_FRESHNESS_DEFAULT: freshnessDuration.default("1m"),
  // How often each process looks for source changes when no notification came (a lost one, PGlite).
  RAPFS_FRESHNESS_POLL_SECONDS: z.coerce.number().min(0.1).max(600).default(1),
  // `off` sends GET /v1/features/{entity}/{id} through the Hono app like every other route.
  RAPFS_LOOKUP_LANE: z.enum(["on", "off"]).default("on"),
  // Embeddings whose definition says `index: auto`: exact scans embedded, HNSW on a server (auto), or
  // the one named everywhere (`hnsw` runs the server's search path on PGlite, e.g. in the tests).
  RAPFS_VECTOR_INDEX: z.enum(["auto", "exact", "hnsw"]).default("auto"),
  // Server PostgreSQL: the pool of downloads, dataset cards and training data, apart from the
  // interactive one, and the statement timeout of its connections.
  RAPFS_BULK_CONNECTIONS: intIn(1, 100, 2),
  RAPFS_BULK_STATEMENT_TIMEOUT_SECONDS: z.coerce.number().min(1).max(86_400).default(300),
  // Open connections per client address and in all (runtime/connection-cap.ts); 0 for no cap.
  RAPFS_MAX_CONNECTIONS_PER_ADDRESS: z.coerce.number().int().min(0).optional(),
  RAPFS_MAX_CONNECTIONS: z.coerce.number().int().min(0).optional(),
  LOG_LEVEL: z.enum(["debug", "info", "warn", "error", "silent"]).default("info"),
});

export type Config = {
  databaseUrl: string | undefined;
  databaseReplicaUrl: string | undefined;
  redisUrl: string | undefined;
  port: number;
  host: string;
  dataDir: string;
  definitionsDir: string;
  migrationsDir: string;
  corpus: { scale: number; seed: number };
  embeddedPort: number;
  nearCacheRows: number;
  /** Without Redis: rows of feature views held whole in the process. */
  memoryRows: number;
  /** With Redis: how often the online store is checked for view versions whose keys were lost. */
  onlineCheckMs: number;
  /** The single feature lookup answered ahead of the app (api/lanes). */
  lookupLane: boolean;
  /** Change-driven materialization: off, or the default objective and the polling interval. */
  freshness: { enabled: boolean; defaultObjectiveSeconds: number; pollMs: number };
  /** The index of `index: auto` embeddings: by database mode, or forced. */
  vectorIndex: "auto" | "exact" | "hnsw";
  /** Server only: the bulk pool (downloads, cards, training data). */
  bulk: { connections: number; statementTimeoutMs: number };
  /** Caps on open client connections; unset takes the defaults of connectionLimits. */
  connections: { perAddress: number | undefined; total: number | undefined };
  logLevel: z.infer<typeof envSchema>["LOG_LEVEL"];
};

/** The server's own settings of the environment; every bad variable is named in one ConfigError. */
export function loadConfig(env: NodeJS.ProcessEnv = process.env): Config {
  const e = readEnv(envSchema, env);
  return {
    databaseUrl: e.DATABASE_URL,
    databaseReplicaUrl: e.DATABASE_REPLICA_URL,
    redisUrl: e.REDIS_URL,
    port: e.PORT,
    host: e.HOST,
    dataDir: e.RAPFS_DATA_DIR === IN_MEMORY ? IN_MEMORY : resolve(e.RAPFS_DATA_DIR),
    definitionsDir: resolve(e.RAPFS_DEFINITIONS_DIR ?? resolve(repoRoot, "feature-definitions")),
    migrationsDir: resolve(repoRoot, "migrations"),
    corpus: { scale: e.RAPFS_CORPUS_SCALE, seed: e.RAPFS_CORPUS_SEED },
    embeddedPort: e.RAPFS_EMBEDDED_PORT,
    nearCacheRows: e.RAPFS_NEAR_CACHE_ROWS,
    memoryRows: e.RAPFS_MEMORY_ROWS,
    onlineCheckMs: Math.round(e.RAPFS_ONLINE_CHECK_SECONDS * 1000),
    lookupLane: e.RAPFS_LOOKUP_LANE === "on",
    freshness: {
      enabled: e.RAPFS_FRESHNESS === "on",
      defaultObjectiveSeconds: durationSeconds(e.RAPFS_FRESHNESS_DEFAULT),
      pollMs: Math.round(e.RAPFS_FRESHNESS_POLL_SECONDS * 1000),
    },
    vectorIndex: e.RAPFS_VECTOR_INDEX,
    bulk: {
      connections: e.RAPFS_BULK_CONNECTIONS,
      statementTimeoutMs: Math.round(e.RAPFS_BULK_STATEMENT_TIMEOUT_SECONDS * 1000),
    },
    connections: { perAddress: e.RAPFS_MAX_CONNECTIONS_PER_ADDRESS, total: e.RAPFS_MAX_CONNECTIONS },
    logLevel: e.LOG_LEVEL,
  };
}
