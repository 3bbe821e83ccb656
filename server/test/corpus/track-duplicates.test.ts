import postgres from "postgres";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { EmbeddedDatabase, Sql } from "../../src/db/database";
import { createServerTestDatabase, openEmbeddedTestDatabase } from "../support/databases";
import { seedPlainCorpus } from "../support/plain-corpus";

type Pair = { artist_key: string; title_key: string; tracks: number };

/** How many times a test looks for a writer waiting on a lock before it gives up. */
const LOOKS = 20_000;

/** What the counts must be: every (artist, title) pair's tracks, ignoring case. */
function recounted(sql: Sql): Promise<Pair[]> {
  return sql<Pair[]>`
    select lower(artist) as artist_key, lower(title) as title_key, count(*)::int as tracks from tracks
    where artist is not null and title is not null group by 1, 2 order by 1, 2`;
}

function counted(sql: Sql): Promise<Pair[]> {
  return sql<Pair[]>`
    select artist_key, title_key, tracks from rapfs_track_pairs where tracks > 0 order by 1, 2`;
}

/** The ids of tracks whose pair another track shares, as the card's duplicate check reads them. */
async function shared(sql: Sql): Promise<number[]> {
  const rows = await sql<{ id: number }[]>`
    select t.id from rapfs_track_pairs p
    join tracks t on lower(t.artist) = p.artist_key and lower(t.title) = p.title_key
    where p.tracks > 1 order by t.id`;
  return rows.map((r) => r.id);
}

describe("the tracks of each (artist, title) pair are counted with the tracks (embedded)", () => {
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
    expect(await shared(db.sql)).toEqual([1, 2]);
    expect(await counted(db.sql)).toEqual(await recounted(db.sql));

    await insert([["NAS", "n.y. state of mind"]]);
    expect(await shared(db.sql)).toEqual([1, 2, 3, 8]);

    await db.sql`update tracks set title = 'Accordion' where id = 2`;
    expect(await shared(db.sql)).toEqual([3, 8]);
    await db.sql`update tracks set title = 'accordion' where id = 1`;
    expect(await shared(db.sql)).toEqual([1, 2, 3, 8]);
    // Two tracks swap pairs in one statement; a change of case or of anything else moves no count.
    await db.sql`update tracks set title = case id when 1 then 'N.Y. State of Mind' else 'Accordion' end,
      artist = case id when 1 then 'Nas' else 'MF DOOM' end where id in (1, 3)`;
    await db.sql`update tracks set lyrics = 'a verse', title = upper(title) where id = 8`;
    expect(await shared(db.sql)).toEqual([1, 2, 3, 8]);
    expect(await counted(db.sql)).toEqual(await recounted(db.sql));

    await db.sql`delete from tracks where id in (8, 2)`;
    expect(await shared(db.sql)).toEqual([]);
    expect(await counted(db.sql)).toEqual(await recounted(db.sql));

    await db.sql`truncate tracks cascade`;
    expect(await db.sql`select * from rapfs_track_pairs`).toEqual([]);
  });
});

describe("the pair counts on a server PostgreSQL, written by two transactions at once", () => {
  let url: string;
  let drop: () => Promise<void>;
  let sql: Sql;
  let other: Sql;

  beforeAll(async () => {
    ({ url, drop } = await createServerTestDatabase());
    sql = postgres(url, { max: 2, onnotice: () => {} }) as unknown as Sql;
    other = postgres(url, { max: 1, onnotice: () => {} }) as unknown as Sql;
    await seedPlainCorpus(sql, 50);
    // Both connections open before a test starts, so a second writer's insert is sent at once
    // rather than after a connection's start-up on a loaded machine.
    await Promise.all([sql`select 1`, sql`select 1`, other`select 1`]);
  });
  afterAll(async () => {
    await other?.end();
    await sql?.end();
    await drop?.();
  });

  it("two writers of one new pair: the later one waits on the pair and adds to the committed count", async () => {
    let waiting = false;
    let second: Promise<unknown> = Promise.resolve();
    await sql.begin(async (first) => {
      await first`insert into tracks (artist, title) values ('Little Simz', 'Venom')`;
      second = other`insert into tracks (artist, title) values ('little simz', 'VENOM')`;
      let done = false;
      void second.then(() => {
        done = true;
      });
      // Until the second writer is seen waiting on a lock, or has finished without waiting (the
      // failure this test is for); bounded by a count of looks, not by the clock.
      for (let look = 0; look < LOOKS && !waiting && !done; look++) {
        const [row] = await sql<{ n: number }[]>`
          select count(*)::int as n from pg_stat_activity
          where datname = current_database() and wait_event_type = 'Lock'`;
        waiting = (row?.n ?? 0) > 0;
        if (!waiting) await new Promise((r) => setImmediate(r));
      }
    });
    await second;
    expect(waiting).toBe(true);
    const [pair] = await sql<Pair[]>`
      select * from rapfs_track_pairs where artist_key = 'little simz' and title_key = 'venom'`;
    expect(pair?.tracks).toBe(2);
    expect(await counted(sql)).toEqual(await recounted(sql));
  });

  it("under REPEATABLE READ, a pair counted by a transaction committed since is a serialization failure", async () => {
    const failure = sql
      .begin("isolation level repeatable read", async (late) => {
        await late`select count(*) from tracks`;
        await other`insert into tracks (artist, title) values ('Kendrick Lamar', 'DNA.')`;
        await late`insert into tracks (artist, title) values ('kendrick lamar', 'dna.')`;
      })
      .then(
        () => "committed",
        (error: { code?: string }) => error.code,
      );
    expect(await failure).toBe("40001");
    expect(await counted(sql)).toEqual(await recounted(sql));
  });
});
