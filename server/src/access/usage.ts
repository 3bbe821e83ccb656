import type { Sql } from "../db/database";
import { type Logger, silentLogger } from "../log/logger";
import { BufferedWrites } from "./buffered-writes";

export type UsageCounts = {
  requests: number;
  rows: number;
  downloads: number;
  bytes: number;
  rejected: number;
};
export type UsageDay = UsageCounts & { day: string };

const ZERO: UsageCounts = { requests: 0, rows: 0, downloads: 0, bytes: 0, rejected: 0 };
const FIELDS = ["requests", "rows", "downloads", "bytes", "rejected"] as const;

// Every request asks (usage and limiter keys); the day changes once in 86,400 s.
let lastDay = { number: Number.NaN, text: "" };

function add(into: UsageCounts | undefined, counts: UsageCounts): UsageCounts {
  const sum = { ...(into ?? ZERO) };
  for (const field of FIELDS) sum[field] += counts[field];
  return sum;
}

/** Adds a delta to the counts pending in a slot, in place (they are this recorder's own). */
function addPending(pending: UsageCounts | undefined, delta: Partial<UsageCounts>): UsageCounts {
  const counts = pending ?? { ...ZERO };
  for (const field of FIELDS) counts[field] += delta[field] ?? 0;
  return counts;
}

/** A UTC day, in milliseconds: usage history's days and the daily quotas' windows. */
export const DAY_MS = 86_400_000;

export function utcDay(at: Date | number): string {
  const ms = typeof at === "number" ? at : at.getTime();
  const number = Math.floor(ms / DAY_MS);
  if (number !== lastDay.number) lastDay = { number, text: new Date(ms).toISOString().slice(0, 10) };
  return lastDay.text;
}

/** The most days GET /v1/usage asks for: what an account's stored history holds. */
export const HISTORY_DAYS = 90;
const STORED_TTL_MS = 10_000;
const STORED_ACCOUNTS = 10_000;
// Flushes come once per interval, so a second read almost never meets one.
const READ_ATTEMPTS = 3;

type Stored = { since: string; days: Map<string, UsageCounts>; readAt: number; refreshing?: Promise<void> };

/**
 * Daily usage history per account. Counts accumulate in memory and one upsert per flush
 * interval adds them to usage_daily, so history costs no write on the request path.
 *
 * Reads keep each account's stored days for 10 s and then refresh them in the background while
 * answering from what they have, so /v1/usage does not wait for the database (on the embedded
 * one, it would wait behind a download's transaction). This process's own flushes are added to
 * what is kept, so its answers stay exact; another process's counts show within 10 s.
 */
export class UsageRecorder {
  /** Counts per `account|day` slot. */
  private readonly writes: BufferedWrites<UsageCounts, Partial<UsageCounts>>;
  private readonly stored = new Map<string, Stored>();
  private readonly logger: Logger;

  constructor(
    private readonly sql: Sql,
    options: { flushIntervalMs?: number; logger?: Logger } = {},
  ) {
    this.logger = options.logger ?? silentLogger;
    this.writes = new BufferedWrites({
      intervalMs: options.flushIntervalMs ?? 10_000,
      merge: addPending,
      write: (batch) => this.write(batch),
      written: (batch) => this.keep(batch),
      logger: this.logger,
      failure: "access: could not write usage history",
    });
  }

  record(accountId: string, delta: Partial<UsageCounts>, at: Date | number = Date.now()): void {
    this.writes.add(`${accountId}|${utcDay(at)}`, delta);
  }

  flush(): Promise<void> {
    return this.writes.flush();
  }

  private async write(batch: ReadonlyMap<string, UsageCounts>): Promise<void> {
    const slots = [...batch.keys()].map((slot) => slot.split("|") as [string, string]);
    const column = (field: (typeof FIELDS)[number]) => [...batch.values()].map((c) => c[field]);
    await this.sql`
      insert into usage_daily (account_id, day, requests, rows, downloads, bytes, rejected)
      select * from unnest(
        ${slots.map(([id]) => id)}::uuid[], ${slots.map(([, day]) => day)}::date[],
        ${column("requests")}::bigint[], ${column("rows")}::bigint[],
        ${column("downloads")}::bigint[], ${column("bytes")}::bigint[], ${column("rejected")}::bigint[])
      on conflict (account_id, day) do update set
        requests = usage_daily.requests + excluded.requests,
        rows = usage_daily.rows + excluded.rows,
        downloads = usage_daily.downloads + excluded.downloads,
        bytes = usage_daily.bytes + excluded.bytes,
        rejected = usage_daily.rejected + excluded.rejected`;
  }

  /** A written batch joins what is kept, in the turn it stops being counted as in flight. */
  private keep(batch: ReadonlyMap<string, UsageCounts>): void {
    for (const [slot, counts] of batch) {
      const [id, day] = slot.split("|") as [string, string];
      const kept = this.stored.get(id);
      if (kept && day >= kept.since) kept.days.set(day, add(kept.days.get(day), counts));
    }
  }

  /** The last `days` UTC days, newest first, including this process's not yet flushed counts. */
  async history(accountId: string, days = 30, now: Date = new Date()): Promise<UsageDay[]> {
    const since = utcDay(new Date(now.getTime() - (days - 1) * DAY_MS));
    const read = await this.storedDays(accountId, now);
    // From here on, one turn: what is kept, in flight and pending are each counted exactly once.
    const stored = this.stored.get(accountId)?.days ?? read;
    const byDay = new Map<string, UsageCounts>();
    for (const [day, counts] of stored) if (day >= since) byDay.set(day, { ...counts });
    for (const batch of [...this.writes.inFlight, this.writes.pending]) {
      for (const [slot, counts] of batch) {
        const [id, day] = slot.split("|") as [string, string];
        if (id === accountId && day >= since) byDay.set(day, add(byDay.get(day), counts));
      }
    }
    return [...byDay].map(([day, counts]) => ({ day, ...counts })).sort((a, b) => (a.day < b.day ? 1 : -1));
  }

  private async storedDays(accountId: string, now: Date): Promise<Map<string, UsageCounts>> {
    const since = utcDay(new Date(now.getTime() - (HISTORY_DAYS - 1) * DAY_MS));
    const kept = this.stored.get(accountId);
    if (kept && kept.since === since) {
      if (Date.now() - kept.readAt > STORED_TTL_MS) {
        kept.refreshing ??= this.readStored(accountId, since)
          .then(() => {})
          .catch((error: Error) =>
            this.logger.warn("access: could not refresh usage history", { error: error.message }),
          )
          .finally(() => {
            kept.refreshing = undefined;
          });
      }
      return kept.days;
    }
    return this.readStored(accountId, since);
  }

  /**
   * Reads the stored days and keeps them, unless a flush was in flight during the read: its
   * insert may or may not be in the read, and it joins what is kept when it ends, so keeping such
   * a read could count it twice. A refresh then keeps what it has; a first read waits and tries
   * again.
   */
  private async readStored(accountId: string, since: string): Promise<Map<string, UsageCounts>> {
    for (let attempt = 1; ; attempt++) {
      await this.writes.idle();
      const mark = this.writes.mark();
      const rows = await this.sql<(UsageCounts & { day: string })[]>`
        select to_char(day, 'YYYY-MM-DD') as day, requests::float8 as requests, rows::float8 as rows,
               downloads::float8 as downloads, bytes::float8 as bytes, rejected::float8 as rejected
        from usage_daily where account_id = ${accountId} and day >= ${since}::date`;
      const days = new Map(rows.map(({ day, ...counts }) => [day, counts]));
      const kept = this.stored.get(accountId);
      if (!this.writes.quietSince(mark)) {
        if (kept) return kept.days;
        if (attempt < READ_ATTEMPTS) continue;
        return days;
      }
      this.stored.delete(accountId);
      this.stored.set(accountId, { since, days, readAt: Date.now() });
      if (this.stored.size > STORED_ACCOUNTS) this.stored.delete(this.stored.keys().next().value as string);
      return days;
    }
  }

  close(): Promise<void> {
    return this.writes.close();
  }
}
