import postgres from "postgres";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { EmbeddedDatabase, Sql } from "../../src/db/database";
import { createServerTestDatabase, openEmbeddedTestDatabase } from "../support/databases";
import { seedPlainCorpus } from "../support/plain-corpus";

type Member = { track_id: number; artist_key: string; title_key: string };

/** What the duplicates list must hold: every track whose (artist, title) another track shares. */
async function recomputed(sql: Sql): Promise<Member[]> {
  return sql<Member[]>`
    select id as track_id, lower(artist) as artist_key, lower(title) as title_key from tracks t
    where artist is not null and title is not null and exists (
      select 1 from tracks u where u.id <> t.id
        and lower(u.artist) = lower(t.artist) and lower(u.title) = lower(t.title))
    order by id`;
}

async function kept(sql: Sql): Promise<Member[]> {
  return sql<Member[]>`select track_id, artist_key, title_key from rapfs_track_duplicates order by track_id`;
}

describe("the duplicate (artist, title) pairs are kept with the tracks (embedded)", () => {
  let db: EmbeddedDatabase;
  const insert = (rows: [string | null, string | null][]) =>
    db.sql`insert into tracks ${db.sql(rows.map(([artist, title]) => ({ artist, title })))}`;

  beforeAll(async () => {
    db = await openEmbeddedTestDatabase();
  });
  afterAll(async () => {
    await db?.close();
  });

  it("follows inserts, updates of a pair, updates of anything else, deletes and truncation", async () => {
    await insert([
      ["MF DOOM", "Rhymes Like Dimes"],
      ["mf doom", "rhymes like dimes"],
      ["Nas", "N.Y. State of Mind"],
      ["Nas", null],
      ["Nas", null],
      [null, "Untitled"],
      [null, "Untitled"],
    ]);
    expect((await kept(db.sql)).map((m) => m.track_id)).toEqual([1, 2]);
    expect(await kept(db.sql)).toEqual(await recomputed(db.sql));

    await insert([["NAS", "n.y. state of mind"]]);
    expect((await kept(db.sql)).map((m) => m.track_id)).toEqual([1, 2, 3, 8]);

    await db.sql`update tracks set title = 'Accordion' where id = 2`;
    expect((await kept(db.sql)).map((m) => m.track_id)).toEqual([3, 8]);
    await db.sql`update tracks set title = 'accordion' where id = 1`;
    expect((await kept(db.sql)).map((m) => m.track_id)).toEqual([1, 2, 3, 8]);
    await db.sql`update tracks set lyrics = 'a verse' where id = 3`;
    expect(await kept(db.sql)).toEqual(await recomputed(db.sql));

    await db.sql`delete from tracks where id = 8`;
    expect((await kept(db.sql)).map((m) => m.track_id)).toEqual([1, 2]);
    expect(await kept(db.sql)).toEqual(await recomputed(db.sql));

    await db.sql`truncate tracks cascade`;
    expect(await kept(db.sql)).toEqual([]);
  });
});

describe("the duplicate pairs on a server PostgreSQL, written by two transactions at once", () => {
  let url: string;
  let drop: () => Promise<void>;
  let sql: Sql;
  let other: Sql;

  beforeAll(async () => {
    ({ url, drop } = await createServerTestDatabase());
    sql = postgres(url, { max: 2, onnotice: () => {} }) as unknown as Sql;
    other = postgres(url, { max: 1, onnotice: () => {} }) as unknown as Sql;
    await seedPlainCorpus(sql, 50);
  });
  afterAll(async () => {
    await other?.end();
    await sql?.end();
    await drop?.();
  });

  it("two writers of one new pair: the later one's refresh sees the earlier one's row", async () => {
    let waiting = false;
    let second: Promise<unknown> = Promise.resolve();
    await sql.begin(async (first) => {
      await first`insert into tracks (artist, title) values ('Little Simz', 'Venom')`;
      second = other`insert into tracks (artist, title) values ('little simz', 'VENOM')`;
      let done = false;
      void second.then(() => {
        done = true;
      });
      // The second writer waits on the pair's lock until the first commits: without it, it would
      // not see the first row, and neither transaction would list the pair.
      const deadline = Date.now() + 5_000;
      while (!waiting && !done && Date.now() < deadline) {
        const [row] = await sql<{ n: number }[]>`
          select count(*)::int as n from pg_stat_activity
          where datname = current_database() and wait_event_type = 'Lock' and wait_event = 'advisory'`;
        waiting = (row?.n ?? 0) > 0;
        if (!waiting) await new Promise((r) => setTimeout(r, 20));
      }
    });
    await second;
    expect(waiting).toBe(true);
    const members = await kept(sql);
    expect(members.map((m) => [m.artist_key, m.title_key])).toEqual([
      ["little simz", "venom"],
      ["little simz", "venom"],
    ]);
    expect(members).toEqual(await recomputed(sql));
  });
});
