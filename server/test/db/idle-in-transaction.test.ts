import postgres from "postgres";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type EmbeddedPostgres, IN_MEMORY, startEmbeddedPostgres } from "../../src/db/embedded";

/**
 * PGlite has one backend, held by a connection from BEGIN to COMMIT: a client that opens a
 * transaction and goes quiet would stall every other connection for good. Like PostgreSQL's
 * idle_in_transaction_session_timeout, the embedded database rolls such a transaction back and
 * closes its connection.
 */
describe("embedded: a connection idle in a transaction", () => {
  let embedded: EmbeddedPostgres;
  beforeAll(async () => {
    embedded = await startEmbeddedPostgres(IN_MEMORY, 0, undefined, undefined, { idleInTransactionMs: 300 });
  });
  afterAll(async () => {
    await embedded?.stop();
  });

  it("is rolled back and closed with 25P03, and the others go on", async () => {
    const quiet = postgres(embedded.url, { max: 1, onnotice: () => {} });
    const other = postgres(embedded.url, { max: 1, onnotice: () => {} });
    try {
      await other`create table idle_probe (n int)`;
      const held = await quiet.reserve();
      await held`begin`;
      await held`insert into idle_probe values (1)`;
      // The other connection waits for the backend, which the quiet one gives up when it is cut.
      const [row] = await other<{ n: number }[]>`select count(*)::int as n from idle_probe`;
      expect(row?.n).toBe(0);
      await expect(held`commit`).rejects.toMatchObject({
        code: expect.stringMatching(/25P03|CONNECTION_CLOSED/),
      });
      held.release();
    } finally {
      await Promise.all([quiet.end({ timeout: 1 }), other.end({ timeout: 1 })]);
    }
  });

  it("is left alone while it keeps working", async () => {
    const sql = postgres(embedded.url, { max: 1, onnotice: () => {} });
    try {
      const total = await sql.begin(async (tx) => {
        let sum = 0;
        for (let i = 0; i < 6; i++) {
          const [row] = await tx<{ n: number }[]>`select ${i}::int as n, pg_sleep(0.1)`;
          sum += row?.n ?? 0;
        }
        return sum;
      });
      expect(total).toBe(15);
    } finally {
      await sql.end({ timeout: 1 });
    }
  });

  it("is left alone while the backend copies blobs for it (the corpus load), though its socket is quiet", async () => {
    const sql = postgres(embedded.url, { max: 1, onnotice: () => {} });
    try {
      await sql`create table copy_probe (n int)`;
      const rows = await sql.begin(async (tx) => {
        await tx`select 1`;
        // Ten copies 100 ms apart: the socket is quiet for over three times the limit, the
        // backend never for as long as the limit.
        for (let i = 0; i < 10; i++) {
          await embedded.copyFromBlob("copy copy_probe from '/dev/blob'", new TextEncoder().encode(`${i}\n`));
          await new Promise((resolve) => setTimeout(resolve, 100));
        }
        const [row] = await tx<{ n: number }[]>`select count(*)::int as n from copy_probe`;
        return row?.n;
      });
      expect(rows).toBe(10);
    } finally {
      await sql.end({ timeout: 1 });
    }
  });
});
