import { connect } from "node:net";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type EmbeddedDatabase, openDatabase, type ServerDatabase } from "../../src/db/database";
import { type EmbeddedPostgres, IN_MEMORY, startEmbeddedPostgres } from "../../src/db/embedded";
import { createLogger } from "../../src/log/logger";
import { createServerTestDatabase } from "../support/databases";

describe("embedded: PGlite in a worker thread, bulk work behind interactive work", () => {
  let db: EmbeddedDatabase;
  beforeAll(async () => {
    db = await openDatabase({ dataDir: IN_MEMORY });
    // Both connections open, as in a running server (opening one takes a few round trips).
    await Promise.all([db.sql`select 1`, db.bulk`select 1`]);
  });
  afterAll(async () => {
    await db?.close();
  });

  it("a long statement does not stop this thread: timers keep firing while it runs", async () => {
    let ticks = 0;
    const timer = setInterval(() => ticks++, 10);
    await db.bulk`select pg_sleep(0.5)`;
    clearInterval(timer);
    // About 50 intervals fit in the statement; on the main thread they all came due at its end
    // and fired once.
    expect(ticks).toBeGreaterThan(10);
  });

  it("an interactive statement goes before bulk statements that were waiting", async () => {
    const finished: string[] = [];
    const bulk = Array.from({ length: 4 }, (_, i) =>
      db.bulk`select pg_sleep(0.15)`.then(() => finished.push(`bulk${i}`)),
    );
    await new Promise((resolve) => setTimeout(resolve, 50));
    const interactive = db.sql`select 1`.then(() => finished.push("interactive"));
    await Promise.all([...bulk, interactive]);
    // The running bulk statement finishes first; the interactive one is next, not last.
    expect(finished.indexOf("interactive")).toBeLessThanOrEqual(1);
  });

  it("an interactive connection's pipelined statements run back to back, not a bulk statement between each", async () => {
    const finished: string[] = [];
    const bulk = Array.from({ length: 4 }, (_, i) =>
      db.bulk`select pg_sleep(0.05)`.then(() => finished.push(`bulk${i}`)),
    );
    await new Promise((resolve) => setTimeout(resolve, 20));
    // One lookup's reads of five views: sent at once on the interactive pool's connection.
    const interactive = Array.from({ length: 5 }, (_, i) =>
      db.sql`select ${i}::int`.then(() => finished.push(`interactive${i}`)),
    );
    await Promise.all([...bulk, ...interactive]);
    const firstBulkAfter = finished.findIndex((name, i) => i > 0 && name.startsWith("bulk"));
    expect(finished.slice(0, firstBulkAfter).filter((name) => name.startsWith("interactive"))).toHaveLength(
      5,
    );
  });

  it("counts an interactive statement's wait behind a bulk one (rapfs_embedded_backend_wait_*)", async () => {
    await db.holds?.({ reset: true });
    let interactive: Promise<unknown> | undefined;
    await db.bulk.begin(async (tx) => {
      await tx`select 1`;
      interactive = db.sql`select 1`.execute();
      await new Promise((resolve) => setTimeout(resolve, 100));
      await tx`select 2`;
    });
    await interactive;
    const holds = await db.holds?.({ reset: true });
    expect(holds?.interactive.waits).toBe(1);
    expect(holds?.interactive.wait_max_ms).toBeGreaterThan(0);
    expect(holds?.interactive.wait_ms).toBe(holds?.interactive.wait_max_ms);
  });

  it("a bulk transaction holds the backend to its end, then interactive work goes first", async () => {
    const finished: string[] = [];
    const transaction = db.bulk.begin(async (tx) => {
      await tx`create temp table held (n int) on commit drop`;
      await tx`select pg_sleep(0.2)`;
      await tx`insert into held values (1)`;
      finished.push("transaction");
    });
    await new Promise((resolve) => setTimeout(resolve, 50));
    const [row] = await db.sql<
      { n: number }[]
    >`select count(*)::int as n from pg_tables where tablename = 'held'`;
    finished.push("interactive");
    await transaction;
    // Nothing of another connection ran inside the transaction.
    expect(row?.n).toBe(0);
    expect(finished).toEqual(["transaction", "interactive"]);
  });

  it("copyFromBlob loads COPY text inside the caller's transaction, and refuses outside one", async () => {
    await db.sql`create table copied (id int, name text)`;
    await db.sql.begin(async (tx) => {
      await tx`insert into copied values (0, 'before')`;
      await db.copyFromBlob?.(
        "copy copied (id, name) from '/dev/blob'",
        new TextEncoder().encode("1\tone\n2\ttwo\n"),
      );
    });
    const rows = await db.sql<{ id: number; name: string }[]>`select id, name from copied order by id`;
    expect(rows.map((r) => `${r.id}:${r.name}`)).toEqual(["0:before", "1:one", "2:two"]);
    await expect(
      db.copyFromBlob?.("copy copied (id, name) from '/dev/blob'", new TextEncoder().encode("3\tthree\n")),
    ).rejects.toThrow(/inside a transaction/);
  });

  it("busy() says the database is working while a statement runs, and not after it stopped", async () => {
    const running = db.bulk`select pg_sleep(0.3)`;
    await new Promise((resolve) => setTimeout(resolve, 100));
    expect(db.busy?.(1_000)).toBe(true);
    await running;
    expect(db.busy?.(1_000)).toBe(true);
    await new Promise((resolve) => setTimeout(resolve, 150));
    expect(db.busy?.(100)).toBe(false);
  });
});

describe("server PostgreSQL: a bulk pool of its own", () => {
  let server: { url: string; drop(): Promise<void> };
  let db: ServerDatabase;
  beforeAll(async () => {
    server = await createServerTestDatabase();
    db = await openDatabase({
      databaseUrl: server.url,
      dataDir: IN_MEMORY,
      requireVector: false,
      bulkConnections: 1,
      // Wide of the 0.25 s sleep below: at 300 ms a loaded CI machine cut it (57014) and failed the test.
      bulkStatementTimeoutMs: 1_000,
    });
  });
  afterAll(async () => {
    await db?.close();
    await server?.drop();
  });

  it("bulk connections say who they are and are cut at their statement timeout; interactive ones are not", async () => {
    const [who] = await db.bulk<{ name: string }[]>`select current_setting('application_name') as name`;
    expect(who?.name).toBe("rapfs-bulk");
    await expect(db.bulk`select pg_sleep(3)`).rejects.toMatchObject({ code: "57014" });
    await expect(db.sql`select pg_sleep(1.5)`).resolves.toBeDefined();
  });

  it("a busy bulk pool leaves the interactive pool free", async () => {
    const finished: string[] = [];
    const bulk = db.bulk`select pg_sleep(0.25)`.then(() => finished.push("bulk"));
    await db.sql`select 1`.then(() => finished.push("interactive"));
    await bulk;
    expect(finished).toEqual(["interactive", "bulk"]);
  });
});

describe("embedded: a bulk hold is reported long by the work it cost, not its wall time", () => {
  const lines: string[] = [];
  let db: EmbeddedDatabase;
  beforeAll(async () => {
    db = await openDatabase({ dataDir: IN_MEMORY, logger: createLogger("info", {}, (l) => lines.push(l)) });
    await Promise.all([db.sql`select 1`, db.bulk`select 1`]);
  });
  afterAll(async () => {
    await db?.close();
  });
  const warnings = () => lines.filter((line) => line.includes("held long"));

  // #41 item 6: statistics and cards' slices, each ~40 ms of work, held the backend 100–500 ms on
  // a busy machine and gave 193 of these warnings in 50 minutes of ordinary use. A transaction
  // whose client pauses between statements stands in for a slice stretched by other processes'
  // load: the backend is held, its thread does nothing. (pg_sleep cannot: PGlite's spins.)
  it("a bulk hold long in wall time but short in work says nothing (and is still counted)", async () => {
    const pause = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
    await db.bulk.begin(async (tx) => {
      await tx`select 1`;
      await pause(300);
      await tx`select 2`;
    });
    await db.bulk.begin(async (tx) => {
      await tx`select 1`;
      await pause(150);
      await tx`select 2`;
      await pause(150);
    });
    expect(warnings()).toEqual([]);
    const holds = await db.holds?.({ reset: false });
    expect(holds?.bulk.over_250ms).toBe(2);
  });

  it("a bulk statement that works long is a warning with its wall and work times", async () => {
    await db.bulk`select count(*) from generate_series(1, 3000000) g where g % 7 = 0`;
    expect(warnings()).toHaveLength(1);
    const fields = JSON.parse(warnings()[0] as string);
    expect(fields).toMatchObject({ level: "warn", work: "bulk" });
    expect(fields.statement).toMatch(/generate_series/);
    expect(fields.worked_ms).toBeGreaterThan(100);
    expect(fields.held_ms).toBeGreaterThanOrEqual(fields.worked_ms - 10);
  });
});

describe("embedded: replies leave as PostgreSQL sends them", () => {
  let embedded: EmbeddedPostgres;
  beforeAll(async () => {
    embedded = await startEmbeddedPostgres(IN_MEMORY);
  });
  afterAll(async () => {
    await embedded?.stop();
  });

  // A reply split over several writes meets Nagle's algorithm at any proxy between here and the
  // client, and every round trip then waits out a 40 ms delayed ACK.
  it("the answers to a pipelined batch leave in one write, an extended-protocol round trip's too", async () => {
    const client = await rawClient(Number(new URL(embedded.url).port));
    const simple = await client.roundTrip(
      Buffer.concat([query("select 1"), query("select 2"), query("select 3")]),
      (reply) => count(reply, "Z") === 3,
    );
    expect(simple.writes).toBe(1);
    const described = await client.roundTrip(
      Buffer.concat([message("P", "\0select $1::int\0\0\0"), message("D", "S\0"), message("H", "")]),
      (reply) => reply.includes(Buffer.from("T")) && count(reply, "t") >= 1,
    );
    expect(described.writes).toBe(1);
    client.end();
  });
});

function message(type: string, body: string): Buffer {
  const payload = Buffer.from(body, "utf8");
  const header = Buffer.alloc(5);
  header.write(type, 0);
  header.writeInt32BE(4 + payload.length, 1);
  return Buffer.concat([header, payload]);
}

const query = (text: string) => message("Q", `${text}\0`);

/** How many messages of a type a reply holds (walking the messages, not searching the bytes). */
function count(reply: Buffer, type: string): number {
  let n = 0;
  for (let at = 0; at + 5 <= reply.length; at += 1 + reply.readInt32BE(at + 1)) {
    if (String.fromCharCode(reply[at] as number) === type) n++;
  }
  return n;
}

async function rawClient(port: number) {
  const socket = connect(port, "127.0.0.1");
  socket.setNoDelay(true);
  await new Promise<void>((resolve) => socket.once("connect", () => resolve()));
  const roundTrip = (request: Buffer, done: (reply: Buffer) => boolean) =>
    new Promise<{ reply: Buffer; writes: number }>((resolve) => {
      let reply = Buffer.alloc(0);
      let writes = 0;
      const onData = (chunk: Buffer) => {
        reply = Buffer.concat([reply, chunk]);
        writes++;
        if (done(reply)) {
          socket.off("data", onData);
          resolve({ reply, writes });
        }
      };
      socket.on("data", onData);
      socket.write(request);
    });
  const startup = Buffer.from("\0\0\0\0\0\x03\0\0user\0postgres\0database\0postgres\0\0", "latin1");
  startup.writeInt32BE(startup.length, 0);
  await roundTrip(startup, (reply) => count(reply, "Z") === 1);
  return { roundTrip, end: () => socket.end(message("X", "")) };
}
