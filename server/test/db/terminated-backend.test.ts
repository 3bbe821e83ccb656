import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { isConnectionError } from "../../src/db/connection-errors";
import { type Database, openDatabase } from "../../src/db/database";
import { eventually } from "../access-http/processes";
import { createServerTestDatabase } from "../support/databases";

let server: Awaited<ReturnType<typeof createServerTestDatabase>>;
let db: Database;

beforeAll(async () => {
  server = await createServerTestDatabase();
  db = await openDatabase({ databaseUrl: server.url, dataDir: "", requireVector: false, maxConnections: 2 });
});
afterAll(async () => {
  await db?.close();
  await server?.drop();
});

const within = <T>(promise: Promise<T>, ms: number) =>
  Promise.race([
    promise,
    new Promise<never>((_, reject) => setTimeout(() => reject(new Error(`no answer within ${ms} ms`)), ms)),
  ]);

// A PostgreSQL stop terminates every backend. postgres.js 3.4.9 then wrote the transaction's own
// ROLLBACK to the closed socket from a setImmediate: an uncaught TypeError that killed the
// process, or, with that write skipped, a ROLLBACK that never settled and a connection whose
// next query hung (patches/postgres@3.4.9.patch).
describe("a backend terminated in the middle of a transaction", () => {
  it("fails the transaction, crashes nothing, and leaves the pool answering", async () => {
    for (let round = 0; round < 3; round++) {
      let pid: number | undefined;
      const tx = db.sql
        .begin(async (t) => {
          const [row] = await t<{ pid: number }[]>`select pg_backend_pid() as pid`;
          pid = row?.pid;
          await t`select pg_sleep(5)`;
        })
        .then(
          () => undefined,
          (error: unknown) => error,
        );
      await eventually(async () => expect(pid).toBeDefined(), 5_000, 10);
      await db.bulk`select pg_terminate_backend(${pid as number})`;
      expect(isConnectionError(await within(tx, 5_000))).toBe(true);
      // The terminated connection may report its termination once more, to its next query.
      await eventually(async () => {
        expect(await within(Promise.all([db.sql`select 1 as one`, db.sql`select 2 as two`]), 5_000)).toEqual([
          [{ one: 1 }],
          [{ two: 2 }],
        ]);
      }, 10_000);
    }
  });
});
