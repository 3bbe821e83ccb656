import { accessSync, constants, mkdirSync } from "node:fs";
import { ConfigError } from "../config/config-error";
import type { Sql } from "../db/database";
import type { TableGate } from "../db/table-gate";
import type { Logger } from "../log/logger";
import { CardStore } from "./cards/card-store";
import { type DatasetConfig, loadDatasetConfig } from "./config";
import {
  type ChargeLedger,
  type DownloadCharger,
  LedgerCharger,
  MemoryChargeLedger,
} from "./delivery/charge";
import { SendPace, type SendPaceOptions } from "./delivery/send-pace";
import { DatabaseFiles, localFiles, type SharedFiles } from "./delivery/shared-files";
import { Spool } from "./delivery/spool";
import { sweepSpools } from "./delivery/spool-sweep";

export type DatasetServices = {
  config: DatasetConfig;
  spool: Spool;
  charger: DownloadCharger;
  cards: CardStore;
  /** How fast each account's downloads are sent (its tier's bytes_per_second). */
  pace: SendPace;
  /** Where encoded files are shared with other server processes (the database), or not (embedded). */
  files: SharedFiles;
  /** Bulk reads in short transactions, a key range each (the embedded database: see SnapshotOptions). */
  sliced: boolean;
  /** Embedded: sliced reads and the runs of the tables they read take turns (TableGate). */
  gate?: TableGate;
  close(): Promise<void>;
};

/**
 * The datasets module's services. Download charges are remembered in `ledger` (the server's is
 * Redis, shared by every server process: runtime/compose.ts); in this process without one.
 */
export function createDatasetServices(
  options: {
    config?: DatasetConfig;
    ledger?: ChargeLedger;
    logger?: Logger;
    /** Bulk work in short key-range transactions (the embedded database's one backend is never held long); the default. */
    sliced?: boolean;
    gate?: TableGate;
    /** A server database to share encoded files through (not the bulk pool, which encodes them); none embedded. */
    filesSql?: Sql;
    /** Each tier's download pace; none without (every download as fast as its client reads). */
    pace?: SendPaceOptions;
  } = {},
): DatasetServices {
  const config = options.config ?? loadDatasetConfig();
  ensureSpoolDir(config.spoolDir);
  const ledger = options.ledger ?? new MemoryChargeLedger();
  const spool = new Spool({
    parentDir: config.spoolDir,
    ttlSeconds: config.spoolTtlSeconds,
    maxRunning: config.concurrentDownloads,
    maxBytes: config.spoolMaxBytes,
    slotWaitMs: config.slotWaitMs,
  });
  // Dead processes' spools at start, then every so often (a crash elsewhere, a shared volume).
  const maxAgeMs = 2 * config.spoolTtlSeconds * 1000;
  const files = options.filesSql ? new DatabaseFiles(options.filesSql, config.spoolTtlSeconds) : localFiles;
  const sweep = () => {
    if (files instanceof DatabaseFiles) void files.sweep().catch(() => {});
    void sweepSpools(config.spoolDir, maxAgeMs).then(
      ({ removed }) => {
        if (removed.length > 0) options.logger?.info("removed spools no live process owns", { removed });
      },
      () => {},
    );
  };
  void sweep();
  const sweeper = setInterval(sweep, Math.max(60_000, maxAgeMs));
  sweeper.unref();
  return {
    config,
    spool,
    charger: new LedgerCharger(ledger),
    cards: new CardStore(),
    pace: new SendPace(options.pace ?? { rateOf: () => null }),
    files,
    sliced: options.sliced ?? true,
    ...(options.gate ? { gate: options.gate } : {}),
    async close() {
      clearInterval(sweeper);
      await spool.close();
    },
  };
}

/** Made if missing and checked writable at start: a bad RAPFS_SPOOL_DIR is found now, not by the first download. */
function ensureSpoolDir(dir: string): void {
  try {
    mkdirSync(dir, { recursive: true });
    accessSync(dir, constants.W_OK);
  } catch (error) {
    throw new ConfigError(
      `RAPFS_SPOOL_DIR ${dir} cannot hold downloads (${(error as NodeJS.ErrnoException).code ?? (error as Error).message}): point it at a writable directory`,
    );
  }
}
