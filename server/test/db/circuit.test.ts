import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { isConnectionError } from "../../src/db/connection-errors";
import { openDatabase, type ServerDatabase } from "../../src/db/database";
import { eventually } from "../access-http/processes";
import { SERVER_POSTGRES_URL } from "../support/databases";
import { startTcpProxy, type TcpProxy } from "../support/tcp-proxy";

let proxy: TcpProxy;
let db: ServerDatabase;

beforeAll(async () => {
  const server = new URL(SERVER_POSTGRES_URL);
  proxy = await startTcpProxy(Number(server.port || 5432));
  server.port = String(proxy.port);
  db = await openDatabase({ databaseUrl: server.toString(), dataDir: "", requireVector: false });
});
afterAll(async () => {
  await db?.close();
  await proxy?.stop();
});

const failure = (promise: Promise<unknown>) =>
  promise.then(
    () => undefined,
    (error: unknown) => error as Error & { code?: string },
  );

describe("the server database's circuit", () => {
  it("refuses queries at once while the server cannot be reached, and closes when it answers", async () => {
    expect(await db.sql`select 1 as one`).toEqual([{ one: 1 }]);
    // Readiness drops its cached report on each change (a report from just before the cut said
    // "ready" for up to a second of the outage).
    const heard: boolean[] = [];
    db.watchReachability((reachable) => heard.push(reachable));
    await proxy.cut();
    try {
      // The pool's idle connection is found closed, then the first failure to connect opens the
      // circuit: a few queries at most.
      const failures: (Error & { code?: string })[] = [];
      for (let n = 0; n < 5 && failures.at(-1)?.code !== "DATABASE_UNAVAILABLE"; n++) {
        const error = await failure(db.sql`select 1`);
        if (error) failures.push(error);
      }
      expect(failures.map((e) => isConnectionError(e))).not.toContain(false);
      expect(failures.map((e) => e.code)).toContain("ECONNREFUSED");
      expect(failures.at(-1)?.code).toBe("DATABASE_UNAVAILABLE");
      const refused = await Promise.all([
        failure(db.sql`select ${db.sql`1`} as one`),
        failure(db.sql.unsafe("select 1")),
        failure(db.bulk`select 1`),
        failure(db.sql.begin((tx) => tx`select 1`)),
      ]);
      for (const error of refused) {
        expect(error).toMatchObject({ code: "DATABASE_UNAVAILABLE" });
        expect(isConnectionError(error)).toBe(true);
      }
    } finally {
      await proxy.restore();
    }
    await eventually(
      async () => expect(await db.sql`select ${db.sql`1`} as one`).toEqual([{ one: 1 }]),
      10_000,
    );
    expect(await db.sql.begin((tx) => tx`select 2 as two`)).toEqual([{ two: 2 }]);
    expect(await db.bulk.unsafe("select 3 as three")).toEqual([{ three: 3 }]);
    expect(heard).toEqual([false, true]);
  });

  it("stays closed when a query fails on the database's side", async () => {
    await expect(db.sql`select 1/0`).rejects.toMatchObject({ code: "22012" });
    expect(await db.sql`select 1 as one`).toEqual([{ one: 1 }]);
  });
});
