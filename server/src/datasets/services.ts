import type { Logger } from "../log/logger";
import { openRedis } from "../online/redis-client";
import type { DatasetCard } from "./card";
import {
  type ChargeLedger,
  type DownloadCharger,
  LedgerCharger,
  MemoryChargeLedger,
  RedisChargeLedger,
} from "./charge";
import { type DatasetConfig, loadDatasetConfig } from "./config";
import { Spool } from "./spool";
import { sweepSpools } from "./spool-sweep";

/** Cards by dataset and data version: a card is only recomputed after a materialization. */
export class CardCache {
  private readonly cards = new Map<string, DatasetCard>();
  private readonly computing = new Map<string, Promise<DatasetCard>>();
  constructor(private readonly max = 32) {}

  /** The card being computed for `key`, if a request already started it: one computation, many readers. */
  pending(key: string): Promise<DatasetCard> | undefined {
    return this.computing.get(key);
  }

  async compute(key: string, work: () => Promise<DatasetCard>): Promise<DatasetCard> {
    const running = this.computing.get(key) ?? work();
    this.computing.set(key, running);
    try {
      const card = await running;
      this.set(key, card);
      return card;
    } finally {
      this.computing.delete(key);
    }
  }

  get(key: string): DatasetCard | undefined {
    const card = this.cards.get(key);
    if (card) {
      this.cards.delete(key);
      this.cards.set(key, card);
    }
    return card;
  }

  set(key: string, card: DatasetCard): void {
    this.cards.set(key, card);
    const oldest = this.cards.keys().next().value;
    if (this.cards.size > this.max && oldest !== undefined) this.cards.delete(oldest);
  }
}

export type DatasetServices = {
  config: DatasetConfig;
  spool: Spool;
  charger: DownloadCharger;
  cards: CardCache;
  /** Bulk reads in short transactions, a key range each (the embedded database: see SnapshotOptions). */
  sliced: boolean;
  close(): Promise<void>;
};

/**
 * The datasets module's services. With Redis, download charges are remembered there (shared by
 * every server process); otherwise in this process.
 */
export function createDatasetServices(
  options: {
    config?: DatasetConfig;
    redisUrl?: string | undefined;
    redisPrefix?: string;
    ledger?: ChargeLedger;
    logger?: Logger;
    /** Where the database runs: embedded, bulk work is sliced so it never holds the one backend long. */
    databaseMode?: "embedded" | "server";
  } = {},
): DatasetServices {
  const config = options.config ?? loadDatasetConfig();
  // Its own fail-fast connection: a Redis outage must not queue downloads behind reconnects.
  const redis = options.redisUrl
    ? openRedis(options.redisUrl, { enableOfflineQueue: false, maxRetriesPerRequest: 0, commandTimeout: 250 })
    : undefined;
  redis?.on("error", () => {});
  const ledger =
    options.ledger ?? (redis ? new RedisChargeLedger(redis, options.redisPrefix) : new MemoryChargeLedger());
  const spool = new Spool({
    parentDir: config.spoolDir,
    ttlSeconds: config.spoolTtlSeconds,
    maxRunning: config.concurrentDownloads,
  });
  // Dead processes' spools at start, then every so often (a crash elsewhere, a shared volume).
  const maxAgeMs = 2 * config.spoolTtlSeconds * 1000;
  const sweep = () =>
    sweepSpools(config.spoolDir, maxAgeMs).then(
      ({ removed }) => {
        if (removed.length > 0) options.logger?.info("removed spools no live process owns", { removed });
      },
      () => {},
    );
  void sweep();
  const sweeper = setInterval(sweep, Math.max(60_000, maxAgeMs));
  sweeper.unref();
  return {
    config,
    spool,
    charger: new LedgerCharger(ledger),
    cards: new CardCache(),
    sliced: options.databaseMode !== "server",
    async close() {
      clearInterval(sweeper);
      await spool.close();
      redis?.disconnect();
    },
  };
}
