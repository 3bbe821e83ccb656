import { Rng } from "../../src/corpus/random";
import type { Sql } from "../../src/db/database";

const DAY = 86_400_000;

/**
 * `count` training rows of random `tracks`, each at a random instant from a month before the
 * first analysis to a month after the last (epoch microseconds), from the seed given.
 */
export async function randomTrainingRows(
  sql: Sql,
  tracks: readonly number[],
  count: number,
  seed: number,
): Promise<{ ids: number[]; asOf: number[] }> {
  const [range] = await sql<{ first: Date; last: Date }[]>`
    select min(created_at) as first, max(created_at) as last from analysis_results`;
  if (!range) throw new Error("no analyses");
  const rng = new Rng(seed, 0, 0, 0);
  const first = range.first.getTime() - 30 * DAY;
  const span = range.last.getTime() + 30 * DAY - first;
  const rows = { ids: [] as number[], asOf: [] as number[] };
  for (let i = 0; i < count; i++) {
    rows.ids.push(tracks[Math.floor(rng.next() * tracks.length)] as number);
    rows.asOf.push(Math.round(first + rng.next() * span) * 1000);
  }
  return rows;
}
