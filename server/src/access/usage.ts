import type { Sql } from "../db/database";
import { type Logger, silentLogger } from "../log/logger";

export type UsageCounts = { requests: number; rows: number; downloads: number; rejected: number };
export type UsageDay = UsageCounts & { day: string };

const ZERO: UsageCounts = { requests: 0, rows: 0, downloads: 0, rejected: 0 };
const FIELDS = ["requests", "rows", "downloads", "rejected"] as const;

// Every request asks (usage and limiter keys); the day changes once in 86,400 s.
let lastDay = { number: Number.NaN, text: "" };

export function utcDay(at: Date): string {
  const number = Math.floor(at.getTime() / 86_400_000);
  if (number !== lastDay.number) lastDay = { number, text: at.toISOString().slice(0, 10) };
  return lastDay.text;
}

/**
 * Daily usage history per account. Counts accumulate in memory and one upsert per flush
 * interval adds them to usage_daily, so history costs no write on the request path.
 */
export class UsageRecorder {
  private pending = new Map<string, UsageCounts>();
  private readonly timer: NodeJS.Timeout;
  private readonly logger: Logger;

  constructor(
    private readonly sql: Sql,
    options: { flushIntervalMs?: number; logger?: Logger } = {},
  ) {
    this.logger = options.logger ?? silentLogger;
    this.timer = setInterval(() => void this.flush(), options.flushIntervalMs ?? 10_000);
    this.timer.unref();
  }

  record(accountId: string, delta: Partial<UsageCounts>, at: Date = new Date()): void {
    const slot = `${accountId}|${utcDay(at)}`;
    const counts = this.pending.get(slot) ?? { ...ZERO };
    for (const field of FIELDS) counts[field] += delta[field] ?? 0;
    this.pending.set(slot, counts);
  }

  async flush(): Promise<void> {
    if (this.pending.size === 0) return;
    const batch = this.pending;
    this.pending = new Map();
    const slots = [...batch.keys()].map((slot) => slot.split("|") as [string, string]);
    const column = (field: (typeof FIELDS)[number]) => [...batch.values()].map((c) => c[field]);
    try {
      await this.sql`
        insert into usage_daily (account_id, day, requests, rows, downloads, rejected)
        select * from unnest(
          ${slots.map(([id]) => id)}::uuid[], ${slots.map(([, day]) => day)}::date[],
          ${column("requests")}::bigint[], ${column("rows")}::bigint[],
          ${column("downloads")}::bigint[], ${column("rejected")}::bigint[])
        on conflict (account_id, day) do update set
          requests = usage_daily.requests + excluded.requests,
          rows = usage_daily.rows + excluded.rows,
          downloads = usage_daily.downloads + excluded.downloads,
          rejected = usage_daily.rejected + excluded.rejected`;
    } catch (error) {
      for (const [slot, counts] of batch) {
        const [id, day] = slot.split("|") as [string, string];
        this.record(id, counts, new Date(`${day}T00:00:00Z`));
      }
      this.logger.warn("access: could not write usage history", { error: (error as Error).message });
    }
  }

  /** The last `days` UTC days, newest first, including this process's not yet flushed counts. */
  async history(accountId: string, days = 30, now: Date = new Date()): Promise<UsageDay[]> {
    const since = utcDay(new Date(now.getTime() - (days - 1) * 86_400_000));
    const rows = await this.sql<(UsageCounts & { day: string })[]>`
      select to_char(day, 'YYYY-MM-DD') as day, requests::float8 as requests, rows::float8 as rows,
             downloads::float8 as downloads, rejected::float8 as rejected
      from usage_daily where account_id = ${accountId} and day >= ${since}::date`;
    const byDay = new Map(rows.map((row) => [row.day, { ...row }]));
    for (const [slot, counts] of this.pending) {
      const [id, day] = slot.split("|") as [string, string];
      if (id !== accountId || day < since) continue;
      const merged = byDay.get(day) ?? { day, ...ZERO };
      for (const field of FIELDS) merged[field] += counts[field];
      byDay.set(day, merged);
    }
    return [...byDay.values()].sort((a, b) => (a.day < b.day ? 1 : -1));
  }

  async close(): Promise<void> {
    clearInterval(this.timer);
    await this.flush();
  }
}
