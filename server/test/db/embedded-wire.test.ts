import { connect, type Socket } from "node:net";
import postgres from "postgres";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type EmbeddedPostgres, IN_MEMORY, startEmbeddedPostgres } from "../../src/db/embedded";
import { embeddedDataDir } from "../support/databases";

const int32 = (n: number) => {
  const bytes = Buffer.alloc(4);
  bytes.writeInt32BE(n);
  return bytes;
};
const message = (type: string, body: string) =>
  Buffer.concat([Buffer.from(type), int32(4 + Buffer.byteLength(body)), Buffer.from(body)]);
const sslRequest = Buffer.concat([int32(8), int32(80877103)]);
const startupBody = Buffer.from("\0\x03\0\0user\0postgres\0database\0postgres\0\0", "latin1");
const startup = Buffer.concat([int32(4 + startupBody.length), startupBody]);
const readyIdle = message("Z", "I");

/** A raw client: what the pooler wrote back, and whether it closed the connection. */
async function rawClient(port: number) {
  const socket: Socket = connect(port, "127.0.0.1");
  await new Promise<void>((resolve) => socket.once("connect", () => resolve()));
  let received = Buffer.alloc(0);
  let closed = false;
  const waiters: (() => void)[] = [];
  const changed = () => {
    for (const wake of waiters.splice(0)) wake();
  };
  socket.on("data", (chunk: Buffer) => {
    received = Buffer.concat([received, chunk]);
    changed();
  });
  socket.on("close", () => {
    closed = true;
    changed();
  });
  return {
    socket,
    received: () => received,
    async until(done: () => boolean): Promise<void> {
      while (!done()) await new Promise<void>((resolve) => waiters.push(resolve));
    },
    closed: () => closed,
  };
}

describe("embedded pooler on the wire: what a client sends, byte by byte", () => {
  let pg: EmbeddedPostgres;
  let port: number;
  beforeAll(async () => {
    pg = await startEmbeddedPostgres(IN_MEMORY, 0, await embeddedDataDir({ migrate: false }));
    port = Number(new URL(pg.url).port);
  });
  afterAll(async () => {
    await pg?.stop();
  });

  it("keeps each connection's extended-protocol batches whole: concurrent prepared statements never cross", async () => {
    // Two pools sending Parse/Bind/Execute/Sync at once, with statements of different shapes: a
    // pooler that interleaved messages (pglite-socket's, pglite#1046) bound one connection's Bind
    // to the other's unnamed statement.
    const pools = [0, 1].map(() => postgres(pg.url, { max: 3, onnotice: () => {}, prepare: false }));
    try {
      const answers = await Promise.all(
        Array.from({ length: 60 }, (_, i) =>
          i % 2 === 0
            ? (pools[0] as postgres.Sql)`select ${i}::int as n, 'even' as kind`.then(([row]) => row)
            : (pools[1] as postgres.Sql)`select ${String(i)}::text as t, ${i * 2}::int8 as twice, 'odd' as kind`.then(
                ([row]) => row,
              ),
        ),
      );
      answers.forEach((row, i) => {
        expect(row).toEqual(
          i % 2 === 0 ? { n: i, kind: "even" } : { t: String(i), twice: String(i * 2), kind: "odd" },
        );
      });
    } finally {
      await Promise.all(pools.map((pool) => pool.end({ timeout: 1 })));
    }
  });

  it("answers SSLRequest with N and starts the session sent in the same write", async () => {
    const client = await rawClient(port);
    client.socket.write(Buffer.concat([sslRequest, startup]));
    await client.until(() => client.received().subarray(-6).equals(readyIdle));
    expect(client.received().subarray(0, 2).toString("latin1")).toBe("NR");
    client.socket.end(message("X", ""));
  });

  it("answers a query that arrives one byte at a time", async () => {
    const client = await rawClient(port);
    client.socket.write(startup);
    await client.until(() => client.received().subarray(-6).equals(readyIdle));
    const before = client.received().length;
    for (const byte of message("Q", "select 41 + 1\0")) client.socket.write(Buffer.from([byte]));
    await client.until(
      () => client.received().subarray(-6).equals(readyIdle) && client.received().length > before,
    );
    expect(client.received().subarray(before).toString("latin1")).toContain("42");
    client.socket.end(message("X", ""));
  });

  it("closes a connection that sends an impossible length with a protocol_violation, and serves others", async () => {
    const client = await rawClient(port);
    client.socket.write(startup);
    await client.until(() => client.received().subarray(-6).equals(readyIdle));
    const before = client.received().length;
    client.socket.write(Buffer.concat([Buffer.from("Q"), int32(2)]));
    await client.until(() => client.closed());
    const reply = client.received().subarray(before).toString("latin1");
    expect(reply[0]).toBe("E");
    expect(reply).toContain("C08P01");
    const sql = postgres(pg.url, { max: 1, onnotice: () => {} });
    expect(await sql`select 1 as one`).toEqual([{ one: 1 }]);
    await sql.end();
  });

  it("rolls back and frees the backend when a client leaves inside a transaction", async () => {
    const client = await rawClient(port);
    client.socket.write(startup);
    await client.until(() => client.received().subarray(-6).equals(readyIdle));
    client.socket.write(message("Q", "begin; create table left_behind (n int)\0"));
    await client.until(() => client.received().subarray(-6).equals(message("Z", "T")));
    client.socket.end(message("X", ""));
    const sql = postgres(pg.url, { max: 1, onnotice: () => {} });
    const [row] = await sql`select to_regclass('left_behind') as found`;
    expect(row?.found).toBeNull();
    await sql.end();
  });
});
