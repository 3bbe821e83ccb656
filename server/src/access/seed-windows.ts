import type { Sql } from "../db/database";
import type { Limiter } from "./limiter";
import { type Dimension, policyFor, type Tiers } from "./tiers";

const DAILY = ["rows", "downloads", "bytes"] as const satisfies readonly Dimension[];

/**
 * Spends today's recorded usage (usage_daily, UTC day) on the in-process limiter's daily windows,
 * so a restart, SIGKILL included, keeps the day's quota where it was; the per-minute request
 * windows start afresh. What the limiter refused is never in the history, so this never
 * over-charges; what the history has not flushed yet (one flush interval) is what a SIGKILL loses.
 */
export async function seedDailyWindows(sql: Sql, limiter: Limiter, tiers: Tiers): Promise<number> {
  const rows = await sql<{ id: string; tier: string; rows: string; downloads: string; bytes: string }[]>`
    select u.account_id::text as id, a.tier, u.rows, u.downloads, u.bytes
    from usage_daily u join accounts a on a.id = u.account_id
    where u.day = (now() at time zone 'utc')::date`;
  for (const row of rows) {
    for (const dimension of DAILY) {
      const policy = policyFor(tiers, row.tier, dimension);
      const used = Number(row[dimension]);
      if (!policy || used <= 0) continue;
      await limiter.consume(policy, row.id, Math.min(used, policy.limit));
    }
  }
  return rows.length;
}
