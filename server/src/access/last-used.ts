import type { Sql } from "../db/database";
import { type Logger, silentLogger } from "../log/logger";

/**
 * Records when keys were last used without a write per request: touches land in a map and one
 * UPDATE per flush interval writes them all, so a key costs at most one row write per interval.
 */
export class LastUsedRecorder {
  private pending = new Map<string, Date>();
  private readonly timer: NodeJS.Timeout;
  private readonly logger: Logger;

  constructor(
    private readonly sql: Sql,
    options: { flushIntervalMs?: number; logger?: Logger } = {},
  ) {
    this.logger = options.logger ?? silentLogger;
    this.timer = setInterval(() => void this.flush(), options.flushIntervalMs ?? 15_000);
    this.timer.unref();
  }

  touch(keyId: string, at: Date = new Date()): void {
    const previous = this.pending.get(keyId);
    if (!previous || previous < at) this.pending.set(keyId, at);
  }

  get pendingCount(): number {
    return this.pending.size;
  }

  async flush(): Promise<void> {
    if (this.pending.size === 0) return;
    const batch = this.pending;
    this.pending = new Map();
    const ids = [...batch.keys()];
    const times = [...batch.values()].map((t) => t.toISOString());
    try {
      await this.sql`
        update api_keys k set last_used_at = greatest(k.last_used_at, v.at)
        from unnest(${ids}::uuid[], ${times}::timestamptz[]) as v(id, at)
        where k.id = v.id`;
    } catch (error) {
      for (const [id, at] of batch) this.touch(id, at);
      this.logger.warn("access: could not record key last use", { error: (error as Error).message });
    }
  }

  async close(): Promise<void> {
    clearInterval(this.timer);
    await this.flush();
  }
}
