import { readFile } from "node:fs/promises";
import { join } from "node:path";
import postgres from "postgres";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { DatabaseFiles, type Production } from "../../../src/datasets/delivery/shared-files";
import type { Sql } from "../../../src/db/database";
import { createServerTestDatabase, migrationsDir, openEmbeddedTestDatabase } from "../../support/databases";

// Files are shared between server processes: on server PostgreSQL, and on the PGlite a test stack
// shares over the wire (which takes no COPY FROM STDIN).
const database = {} as { sql: Sql };
let close: () => Promise<void>;
const where = ["server PostgreSQL", "PGlite over the wire"] as const;

async function open(kind: (typeof where)[number]): Promise<void> {
  if (kind === "PGlite over the wire") {
    const embedded = await openEmbeddedTestDatabase();
    database.sql = embedded.sql;
    close = () => embedded.close();
    return;
  }
  const server = await createServerTestDatabase();
  const sql = postgres(server.url, { max: 1, onnotice: () => {} });
  for (const name of ["0010_dataset_files.sql", "0017_dataset_file_chunks_uncompressed.sql"])
    await sql.unsafe(await readFile(join(migrationsDir, name), "utf8"));
  database.sql = sql;
  close = async () => {
    await sql.end();
    await server.drop();
  };
}

type Meta = { rows: number };
const bytes = (n: number, fill: number) => new Uint8Array(n).fill(fill);

/** A file of three chunks (2.5 MiB), made slowly; what a process's spool receives is collected. */
function production(encoded: { count: number }, fail = false) {
  const received: Uint8Array[] = [];
  let meta: Meta | undefined;
  const p: Production<Meta> = {
    write: async (chunk) => void received.push(chunk),
    started: (m) => {
      meta = m;
    },
    signal: new AbortController().signal,
    encode: async (write, started) => {
      encoded.count++;
      started({ rows: 3 });
      for (const fill of [1, 2, 3]) {
        await new Promise((resolve) => setTimeout(resolve, 50));
        if (fail && fill === 2) throw new Error("the encoder failed");
        await write(bytes(fill === 3 ? 512 * 1024 : 1024 * 1024, fill));
      }
    },
  };
  return { p, received: () => Buffer.concat(received), meta: () => meta };
}

/** Two DatabaseFiles are two server processes: they share the database, nothing else. */
describe.each(where)("an encoded file is made once across server processes, on %s", (kind) => {
  beforeAll(() => open(kind));
  afterAll(() => close());

  it("two processes asking at once: one encodes, the other replays its bytes; a third finds it stored", async () => {
    const encoded = { count: 0 };
    const [a, b] = [production(encoded), production(encoded)];
    await Promise.all([
      new DatabaseFiles(database.sql, 3_600).produce("f1", a.p),
      new DatabaseFiles(database.sql, 3_600).produce("f1", b.p),
    ]);
    expect(encoded.count).toBe(1);
    expect(a.received().byteLength).toBe(2.5 * 1024 * 1024);
    expect(b.received().equals(a.received())).toBe(true);
    expect(b.meta()).toEqual({ rows: 3 });
    const c = production(encoded);
    await new DatabaseFiles(database.sql, 3_600).produce("f1", c.p);
    expect(encoded.count).toBe(1);
    expect(c.received().equals(a.received())).toBe(true);
  });

  it("a failed encoding leaves nothing: the next process encodes it", async () => {
    const encoded = { count: 0 };
    await expect(
      new DatabaseFiles(database.sql, 3_600).produce("f2", production(encoded, true).p),
    ).rejects.toThrow("the encoder failed");
    const [row] =
      await database.sql`select count(*)::int as n from rapfs_dataset_file_chunks where key = 'f2'`;
    expect(row?.n).toBe(0);
    const next = production(encoded);
    await new DatabaseFiles(database.sql, 3_600).produce("f2", next.p);
    expect(encoded.count).toBe(2);
    expect(next.received().byteLength).toBe(2.5 * 1024 * 1024);
  });

  it("a claim a dead process left is taken over once stale, and old files are swept", async () => {
    await database.sql`
      insert into rapfs_dataset_files (key, claimed_by, claimed_at) values ('f3', 'dead', now() - interval '1 hour')`;
    const encoded = { count: 0 };
    await new DatabaseFiles(database.sql, 3_600).produce("f3", production(encoded).p);
    expect(encoded.count).toBe(1);
    // Aged by the database's own arithmetic, not by waiting: a TTL of 0 raced the clock (PGlite's
    // now() can equal the completion's on a fast run).
    await database.sql`
      update rapfs_dataset_files set completed_at = completed_at - interval '2 hours' where key = 'f3'`;
    await new DatabaseFiles(database.sql, 3_600).sweep();
    const left = await database.sql<{ key: string }[]>`select key from rapfs_dataset_files order by key`;
    expect(left.map((r) => r.key)).toEqual(["f1", "f2"]);
  });

  it("a replay its client stops leaves the connection serving the next statement", async () => {
    const encoded = { count: 0 };
    await new DatabaseFiles(database.sql, 3_600).produce("f4", production(encoded).p);
    const stop = new AbortController();
    let written = 0;
    const replaying = new DatabaseFiles(database.sql, 3_600).produce("f4", {
      ...production(encoded).p,
      signal: stop.signal,
      write: async () => {
        written++;
        stop.abort(new Error("the client went away"));
      },
    });
    await expect(replaying).rejects.toThrow("the client went away");
    expect(written).toBe(1);
    const [row] =
      await database.sql`select count(*)::int as n from rapfs_dataset_file_chunks where key = 'f4'`;
    expect(row?.n).toBe(3);
  });

  it("stores chunks as they are: encoded files are compressed already or kept briefly", async () => {
    const [column] = await database.sql`
      select attstorage from pg_attribute
      where attrelid = 'rapfs_dataset_file_chunks'::regclass and attname = 'data'`;
    expect(column?.attstorage).toBe("e");
  });
});
