import type { Sql } from "../db/database";
import type { Logger } from "../log/logger";
import { BufferedWrites } from "./buffered-writes";

/**
 * Records when keys were last used without a write per request: touches wait in memory and one
 * UPDATE per flush interval writes them all, so a key costs at most one row write per interval.
 */
export class LastUsedRecorder {
  /** The latest use per key, in epoch milliseconds. */
  private readonly writes: BufferedWrites<number>;

  constructor(sql: Sql, options: { flushIntervalMs?: number; logger?: Logger } = {}) {
    this.writes = new BufferedWrites({
      intervalMs: options.flushIntervalMs ?? 15_000,
      merge: (previous, at) => (previous !== undefined && previous >= at ? previous : at),
      write: async (batch) => {
        const ids = [...batch.keys()];
        const times = [...batch.values()].map((t) => new Date(t).toISOString());
        await sql`
          update api_keys k set last_used_at = greatest(k.last_used_at, v.at)
          from unnest(${ids}::uuid[], ${times}::timestamptz[]) as v(id, at)
          where k.id = v.id`;
      },
      logger: options.logger,
      failure: "access: could not record key last use",
    });
  }

  touch(keyId: string, at: number = Date.now()): void {
    this.writes.add(keyId, at);
  }

  get pendingCount(): number {
    return this.writes.pending.size;
  }

  flush(): Promise<void> {
    return this.writes.flush();
  }

  close(): Promise<void> {
    return this.writes.close();
  }
}
