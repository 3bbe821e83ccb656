import type { Sql } from "../../src/db/database";
import { openEmbeddedTestDatabase } from "../support/databases";

export const TEST_SCALE = 0.01;

export { openEmbeddedTestDatabase };

/** md5 of both tables dumped as text in id order: equal digests mean byte-identical data. */
export async function corpusDigest(sql: Sql): Promise<{ tracks: string; analyses: string }> {
  const [row] = await sql<{ tracks: string; analyses: string }[]>`
    select (select md5(string_agg(t::text, E'\\n' order by t.id)) from tracks t) as tracks,
           (select md5(string_agg(a::text, E'\\n' order by a.id)) from analysis_results a) as analyses`;
  if (!row) throw new Error("no digest");
  return row;
}
