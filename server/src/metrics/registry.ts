import { Counter, collectDefaultMetrics, Gauge, Histogram, Registry } from "prom-client";
import { type BackendHoldSource, registerEmbeddedBackend } from "./embedded-backend";

/**
 * The process's Prometheus metrics, on a registry of its own so several apps in one process
 * (tests, two servers in a benchmark) never share or double-register series.
 * Labels are bounded sets only: route patterns, statuses, view keys, tiers — never a raw path,
 * an entity id or an API key.
 */
export type Metrics = {
  registry: Registry;
  httpRequests: Counter<"method" | "route" | "status">;
  httpDuration: Histogram<"method" | "route" | "status">;
  /**
   * The running hit and miss counts of rows looked up in an online-store layer (`redis` or
   * `memory`) for a view: plain numbers a lookup adds to, exported at scrape time.
   */
  cacheLookups(layer: string, view: string): LookupTally;
  /** One increment per read that had to go to the fallback loader, by why (`miss` or `unavailable`). */
  onlineFallbacks: Counter<"view" | "reason">;
  /**
   * `rapfs_online_store_up` and `rapfs_redis_circuits_open`, read from `source` at scrape time.
   * Both are exported from the start: 1 and 0 until a Redis store reports (no Redis to miss).
   */
  observeOnlineStore(source: OnlineStoreSource): void;
  /** View versions this process copied into Redis (start, catch-up, or healing lost keys). */
  onlineSyncs: Counter<"view" | "mode">;
  materializationRuns: Counter<"view" | "mode" | "outcome">;
  materializationDuration: Histogram<"view" | "mode">;
  lastMaterialized: Gauge<"view">;
  quotaRejections: Counter<"tier" | "limit">;
  /** Seconds downloads waited to keep their account within its tier's bytes_per_second. */
  downloadPacedSeconds: Counter<"tier">;
  /** Reports a near cache's size, state and lookups at scrape time (no work per lookup). */
  observeNearCache(cache: NearCacheSource): void;
  /** Where quota decisions come from now, and how many units this process holds leased. */
  observeLimiter(limiter: { readonly backend: string; readonly heldUnits: number }): void;
  /** `rapfs_replica_up`: whether reads go to DATABASE_REPLICA_URL now (no series without one). */
  observeReplica(router: { readonly hasReplica: boolean; readonly onReplica: boolean }): void;
  /** Records a finished materialization; freshness is derived from it at scrape time. */
  markMaterialized(view: string, at?: Date): void;
  /** `rapfs_embedded_backend_*`: how long connections held the embedded database (no series without one). */
  observeEmbeddedBackend(source: BackendHoldSource): void;
  /** `rapfs_feature_view_lag_seconds` and its objective, per view version, read at scrape time. */
  observeFreshness(source: FreshnessSource): void;
  /** `rapfs_online_view_unsynced_since_timestamp_seconds`: the view versions whose lookups read the database because Redis refused their sync. */
  observeUnsyncedViews(source: UnsyncedViewsSource): void;
  /** `rapfs_database_up`: 0 while this process cannot reach PostgreSQL (its circuit is open). */
  databaseUp: Gauge;
  /** Exceptions and rejections nothing caught, by kind: each is a bug this process lived through. */
  uncaughtErrors: Counter<"kind">;
};

/** Each view version's freshness as its scheduler last saw it. */
export type FreshnessSource = {
  views(): readonly {
    view: string;
    lagSeconds: number;
    objectiveSeconds: number;
    quarantinedAnalyses: number;
  }[];
};

/** The view versions (`name@version`) whose latest run Redis refused to take, and since when. */
export type UnsyncedViewsSource = { views(): readonly { view: string; sinceSeconds: number }[] };

export type LookupTally = { hit: number; miss: number };

/** Whether every Redis node answers (the client is connected and no circuit is open), and how many circuits are open. */
export type OnlineStoreSource = { readonly up: boolean; readonly circuitsOpen: number };

type NearCacheSource = {
  readonly enabled: boolean;
  stats(): { rows: number; hits: number; misses: number; invalidations: number };
};

const NODEJS_TOTAL_GAUGES = ["handles", "requests", "resources"];

export function createMetrics(options: { defaultMetrics?: boolean } = {}): Metrics {
  const registry = new Registry();
  if (options.defaultMetrics !== false) {
    collectDefaultMetrics({ register: registry, prefix: "rapfs_" });
    // prom-client's `nodejs_active_{handles,requests,resources}_total` are gauges, and a gauge
    // named `_total` reads as a counter (`promtool check metrics` refuses them). The per-type
    // gauges without the suffix hold the same counts: sum them for the totals.
    for (const name of NODEJS_TOTAL_GAUGES) registry.removeSingleMetric(`rapfs_nodejs_active_${name}_total`);
  }

  const lastMaterialized = new Gauge({
    name: "rapfs_feature_last_materialized_timestamp_seconds",
    help: "Unix time of the last successful materialization of each feature view version",
    labelNames: ["view"] as const,
    registers: [registry],
  });
  const materializedAt = new Map<string, number>();

  let freshness: FreshnessSource | undefined;
  new Gauge({
    name: "rapfs_feature_view_lag_seconds",
    help:
      "Seconds since the oldest change to the sources of a view version that it does not serve yet " +
      "(0 when it serves every change)",
    labelNames: ["view"] as const,
    registers: [registry],
    collect() {
      this.reset();
      for (const v of freshness?.views() ?? []) this.set({ view: v.view }, v.lagSeconds);
    },
  });
  new Gauge({
    name: "rapfs_quarantined_analyses",
    help:
      "Analyses a view version's runs skip because its SQL cannot read their analysis_data " +
      "(the track keeps its previous analysis); the registry lists them",
    labelNames: ["view"] as const,
    registers: [registry],
    collect() {
      this.reset();
      for (const v of freshness?.views() ?? []) this.set({ view: v.view }, v.quarantinedAnalyses);
    },
  });
  new Gauge({
    name: "rapfs_feature_view_freshness_objective_seconds",
    help: "How soon each view version declares a new source row must be served",
    labelNames: ["view"] as const,
    registers: [registry],
    collect() {
      this.reset();
      for (const v of freshness?.views() ?? []) this.set({ view: v.view }, v.objectiveSeconds);
    },
  });

  let unsynced: UnsyncedViewsSource | undefined;
  // rapfs_online_store_up stays 1 while Redis answers but refuses writes (out of memory): this
  // says which views are served from the database meanwhile, and since when.
  new Gauge({
    name: "rapfs_online_view_unsynced_since_timestamp_seconds",
    help:
      "Unix time since which Redis has refused to take a view version's latest run (out of memory, " +
      "read-only): its lookups read the database meanwhile; no series while Redis takes every view",
    labelNames: ["view"] as const,
    registers: [registry],
    collect() {
      this.reset();
      for (const v of unsynced?.views() ?? []) this.set({ view: v.view }, v.sinceSeconds);
    },
  });

  new Gauge({
    name: "rapfs_feature_freshness_seconds",
    help: "Seconds since each feature view version was last materialized",
    labelNames: ["view"] as const,
    registers: [registry],
    collect() {
      const now = Date.now() / 1000;
      for (const [view, at] of materializedAt) this.set({ view }, Math.max(0, now - at));
    },
  });

  // Every lookup adds to a tally; label hashing happens once per scrape, not once per lookup.
  const lookupTallies = new Map<string, LookupTally & { layer: string; view: string }>();
  new Counter({
    name: "rapfs_online_cache_lookups_total",
    help: "Rows looked up in an online-store layer, by layer, view and hit/miss",
    labelNames: ["layer", "view", "result"] as const,
    registers: [registry],
    collect() {
      this.reset();
      for (const { layer, view, hit, miss } of lookupTallies.values()) {
        if (hit > 0) this.inc({ layer, view, result: "hit" }, hit);
        if (miss > 0) this.inc({ layer, view, result: "miss" }, miss);
      }
    },
  });

  let limiter: { readonly backend: string; readonly heldUnits: number } | undefined;
  let replica: { readonly hasReplica: boolean; readonly onReplica: boolean } | undefined;
  new Gauge({
    name: "rapfs_replica_up",
    help: "1 while read-only queries go to DATABASE_REPLICA_URL, 0 while it is down and they go to the primary",
    registers: [registry],
    collect() {
      if (replica?.hasReplica) this.set(replica.onReplica ? 1 : 0);
    },
  });
  new Gauge({
    name: "rapfs_limiter_backend",
    help: "1 on where rate limits and quotas are decided: redis (shared), insurance (Redis down, per process) or memory (no Redis)",
    labelNames: ["backend"] as const,
    registers: [registry],
    collect() {
      const current = limiter?.backend;
      if (!current) return;
      for (const backend of ["redis", "insurance", "memory"])
        this.set({ backend }, backend === current ? 1 : 0);
    },
  });

  new Gauge({
    name: "rapfs_quota_leased_units",
    help: "Quota units this process took from Redis ahead of use and has not spent yet (RAPFS_QUOTA_LEASE_MS)",
    registers: [registry],
    collect() {
      if (limiter) this.set(limiter.heldUnits);
    },
  });

  let embeddedBackend: BackendHoldSource | undefined;
  registerEmbeddedBackend(registry, () => embeddedBackend);

  let onlineStore: OnlineStoreSource | undefined;
  new Gauge({
    name: "rapfs_online_store_up",
    help: "1 while every Redis node answers (or there is no Redis), 0 while some reads are served by the fallback",
    registers: [registry],
    collect() {
      this.set(!onlineStore || onlineStore.up ? 1 : 0);
    },
  });
  new Gauge({
    name: "rapfs_redis_circuits_open",
    help: "Redis nodes (slot ranges on a Cluster) whose circuit is open: their commands fail at once and callers fall back",
    registers: [registry],
    collect() {
      this.set(onlineStore?.circuitsOpen ?? 0);
    },
  });

  let nearCache: NearCacheSource | undefined;
  new Gauge({
    name: "rapfs_online_near_cache_rows",
    help: "Rows of Redis kept in this process, invalidated by Redis (CLIENT TRACKING)",
    registers: [registry],
    collect() {
      if (nearCache) this.set(nearCache.stats().rows);
    },
  });
  new Gauge({
    name: "rapfs_online_near_cache_enabled",
    help: "1 while the near cache serves reads: Redis invalidation tracking is confirmed",
    registers: [registry],
    collect() {
      if (nearCache) this.set(nearCache.enabled ? 1 : 0);
    },
  });
  const nearSeen = { hit: 0, miss: 0, invalidation: 0 };
  new Counter({
    name: "rapfs_online_near_cache_events_total",
    help: "Near cache lookups by result (hit, miss) and keys invalidated (invalidation)",
    labelNames: ["event"] as const,
    registers: [registry],
    collect() {
      if (!nearCache) return;
      const { hits, misses, invalidations } = nearCache.stats();
      const now = { hit: hits, miss: misses, invalidation: invalidations };
      for (const event of ["hit", "miss", "invalidation"] as const) {
        this.inc({ event }, now[event] - nearSeen[event]);
        nearSeen[event] = now[event];
      }
    },
  });

  return {
    registry,
    httpRequests: new Counter({
      name: "rapfs_http_requests_total",
      help: "HTTP requests by method, route pattern and status",
      labelNames: ["method", "route", "status"] as const,
      registers: [registry],
    }),
    httpDuration: new Histogram({
      name: "rapfs_http_request_duration_seconds",
      help: "HTTP request latency by method, route pattern and status",
      labelNames: ["method", "route", "status"] as const,
      // Dense below 10 ms: the online lookups' targets are p99 2 ms and 5 ms.
      buckets: [0.0005, 0.001, 0.002, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30],
      registers: [registry],
    }),
    cacheLookups(layer, view) {
      const key = `${layer}\u0000${view}`;
      let tally = lookupTallies.get(key);
      if (!tally) {
        tally = { layer, view, hit: 0, miss: 0 };
        lookupTallies.set(key, tally);
      }
      return tally;
    },
    onlineFallbacks: new Counter({
      name: "rapfs_online_fallbacks_total",
      help: "Online reads that went to the fallback loader (Postgres), by reason",
      labelNames: ["view", "reason"] as const,
      registers: [registry],
    }),
    observeOnlineStore(source) {
      onlineStore = source;
    },
    onlineSyncs: new Counter({
      name: "rapfs_online_syncs_total",
      help: "View versions this process copied into the online store (Redis), by mode (full: every row, on the masters that answer; incremental: the rows of runs since the last copy; repair: the rows of masters that lost them or missed a copy): at start, after a materialization, or because keys were lost",
      labelNames: ["view", "mode"] as const,
      registers: [registry],
    }),
    materializationRuns: new Counter({
      name: "rapfs_materialization_runs_total",
      help: "Materialization runs by view, mode (full/incremental) and outcome",
      labelNames: ["view", "mode", "outcome"] as const,
      registers: [registry],
    }),
    materializationDuration: new Histogram({
      name: "rapfs_materialization_duration_seconds",
      help: "Materialization run time by view and mode",
      labelNames: ["view", "mode"] as const,
      buckets: [0.1, 0.5, 1, 5, 15, 30, 60, 120, 300, 600],
      registers: [registry],
    }),
    lastMaterialized,
    quotaRejections: new Counter({
      name: "rapfs_quota_rejections_total",
      help: "Requests refused by a rate limit or quota, by tier and limit",
      labelNames: ["tier", "limit"] as const,
      registers: [registry],
    }),
    downloadPacedSeconds: new Counter({
      name: "rapfs_download_paced_seconds_total",
      help: "Seconds download chunks waited to keep their account within its tier's bytes_per_second, by tier",
      labelNames: ["tier"] as const,
      registers: [registry],
    }),
    observeNearCache(cache) {
      nearCache = cache;
    },
    observeLimiter(source) {
      limiter = source;
    },
    observeEmbeddedBackend(source) {
      embeddedBackend = source;
    },
    observeReplica(router) {
      replica = router;
    },
    observeFreshness(source) {
      freshness = source;
    },
    observeUnsyncedViews(source) {
      unsynced = source;
    },
    databaseUp: new Gauge({
      name: "rapfs_database_up",
      help: "Whether this process reaches PostgreSQL (0 while its database circuit is open)",
      registers: [registry],
    }),
    uncaughtErrors: new Counter({
      name: "rapfs_uncaught_errors_total",
      help: "Exceptions (kind=exception) and promise rejections (kind=rejection) nothing caught; the process logged each and kept serving",
      labelNames: ["kind"] as const,
      registers: [registry],
    }),
    markMaterialized(view, at = new Date()) {
      const seconds = at.getTime() / 1000;
      materializedAt.set(view, seconds);
      lastMaterialized.set({ view }, seconds);
    },
  };
}
