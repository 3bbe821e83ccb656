import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import postgres from "postgres";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { CORPUS_TABLES } from "../../src/db/corpus-tables";
import { migrate, readMigrations } from "../../src/db/migrate";
import { createServerTestDatabase, openEmbeddedTestDatabase } from "../support/databases";

describe("migrations on the server PostgreSQL", () => {
  let dir: string;
  let database: Awaited<ReturnType<typeof createServerTestDatabase>>;
  let sql: postgres.Sql;

  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), "rapfs-migrations-"));
    database = await createServerTestDatabase();
    sql = postgres(database.url, { max: 4, onnotice: () => {} });
  });
  afterEach(async () => {
    await sql.end();
    await database.drop();
    await rm(dir, { recursive: true, force: true });
  });

  it("applies files in version order and records their checksums", async () => {
    await writeFile(join(dir, "0002_second.sql"), "insert into log values ('second');");
    await writeFile(
      join(dir, "0001_first.sql"),
      "create table log (entry text); insert into log values ('first');",
    );
    const result = await migrate(sql, dir);
    expect(result.applied).toEqual(["0001_first.sql", "0002_second.sql"]);
    expect((await sql`select entry from log`).map((r) => r.entry)).toEqual(["first", "second"]);
    const recorded = await sql`select version, checksum from rapfs_migrations order by version`;
    const files = await readMigrations(dir);
    expect(recorded.map((r) => r.checksum)).toEqual(files.map((f) => f.checksum));
    expect(await migrate(sql, dir)).toEqual({ applied: [], alreadyApplied: 2 });
  });

  it("refuses an applied migration whose file was edited", async () => {
    await writeFile(join(dir, "0001_first.sql"), "create table log (entry text);");
    await migrate(sql, dir);
    await writeFile(join(dir, "0001_first.sql"), "create table log (entry text, extra int);");
    await expect(migrate(sql, dir)).rejects.toThrow(
      /0001_first\.sql was edited after it was applied.*new migration/,
    );
  });

  it("leaves nothing half-applied when a migration fails", async () => {
    await writeFile(join(dir, "0001_first.sql"), "create table log (entry text);");
    await writeFile(join(dir, "0002_broken.sql"), "insert into missing_table values (1);");
    await expect(migrate(sql, dir)).rejects.toThrow(/0002_broken\.sql failed: .*missing_table/);
    const tables = await sql`select to_regclass('log') as log, to_regclass('rapfs_migrations') as migrations`;
    expect(tables[0]).toEqual({ log: null, migrations: null });
  });

  it("applies each migration once when several processes start at the same time", async () => {
    await writeFile(join(dir, "0001_first.sql"), "create table log (entry text); select pg_sleep(0.2);");
    await writeFile(join(dir, "0002_second.sql"), "insert into log values ('once');");
    const connections = Array.from({ length: 4 }, () =>
      postgres(database.url, { max: 1, onnotice: () => {} }),
    );
    const results = await Promise.all(connections.map((c) => migrate(c, dir)));
    await Promise.all(connections.map((c) => c.end()));
    expect(results.filter((r) => r.applied.length === 2)).toHaveLength(1);
    expect(results.filter((r) => r.applied.length === 0)).toHaveLength(3);
    expect(await sql`select entry from log`).toEqual([{ entry: "once" }]);
  });

  it("refuses badly named files", async () => {
    await writeFile(join(dir, "first.sql"), "select 1;");
    await expect(migrate(sql, dir)).rejects.toThrow(/NNNN_lowercase_name\.sql/);
  });
});

describe("the shipped migrations on embedded PGlite", () => {
  it("create the corpus schema with pgvector columns", async () => {
    const db = await openEmbeddedTestDatabase();
    try {
      const columns = await db.sql<{ table_name: string; column_name: string; udt_name: string }[]>`
        select table_name, column_name, udt_name from information_schema.columns
        where table_name in ('tracks', 'analysis_results') order by table_name, ordinal_position`;
      // What the migration made, as (column, binary COPY type): varchar is COPY's text.
      const byTable = (t: string) =>
        columns
          .filter((c) => c.table_name === t)
          .map((c) => [c.column_name, c.udt_name === "varchar" ? "text" : c.udt_name]);
      for (const table of ["tracks", "analysis_results"] as const) {
        expect(byTable(table), table).toEqual(Object.entries(CORPUS_TABLES[table]));
      }
    } finally {
      await db.close();
    }
  });

  it("keep a track's vectors in its row and its long lyrics out of it", async () => {
    const db = await openEmbeddedTestDatabase();
    try {
      const vector = (n: number, seed: number) =>
        `[${Array.from({ length: n }, (_, i) => Math.sin(seed + i)).join(",")}]`;
      // Lyrics that do not compress (a PRNG's words), so they cannot stay in the row either.
      const words = Array.from({ length: 600 }, (_, i) => ((i * 2_654_435_761) % 2 ** 32).toString(36)).join(
        " ",
      );
      for (let seed = 0; seed < 20; seed++) {
        await db.sql`
          insert into tracks (title, artist, lyrics, lyrics_embedding, audio_embedding)
          values ('t', 'a', ${words}, ${vector(384, seed)}::vector, ${vector(128, seed)}::vector)`;
      }
      // An exact search reads every vector: out of line, each is a TOAST index lookup and a chunk.
      // Only the lyrics may go out (before, the lyrics vectors went too: 40 values).
      const toast = await toastOf(db.sql, "tracks");
      const [row] = await db.sql<{ values: number }[]>`
        select count(distinct chunk_id)::int as values from pg_toast.${db.sql(toast)}`;
      expect(row?.values).toBe(20);
    } finally {
      await db.close();
    }
  });
});

async function toastOf(sql: postgres.Sql, table: string): Promise<string> {
  const [row] = await sql<{ name: string }[]>`
    select t.relname as name from pg_class c join pg_class t on t.oid = c.reltoastrelid where c.relname = ${table}`;
  return row?.name as string;
}
