import type { Sql } from "../db/database";
import { SOURCE_WRITES_LOCK } from "../db/source-writes";

/** Where a run's statements go, and how it opens a transaction there. */
export type Session = {
  sql: Sql;
  /** A server's reserved connection; false on the embedded PGlite's pool of one. */
  onServer: boolean;
  transaction<T>(mode: string, work: (tx: Sql) => Promise<T>): Promise<T>;
  /**
   * Waits until no corpus writer is between stamping and committing a row, and keeps new ones
   * out until the returned function is called (see freshness/source-writes.ts).
   */
  lockSourceWrites(): Promise<() => Promise<void>>;
};

/** The embedded PGlite: its one backend runs one transaction at a time, so no writer is ever mid-way. */
export function poolSession(sql: Sql): Session {
  return {
    sql,
    onServer: false,
    transaction: (mode, work) => sql.begin(mode, (tx) => work(tx as unknown as Sql)) as Promise<never>,
    lockSourceWrites: async () => async () => {},
  };
}

/** postgres.js offers sql.begin only on a pool: on a reserved connection, BEGIN/COMMIT by hand. */
export function reservedSession(sql: Sql): Session {
  return {
    sql,
    onServer: true,
    async transaction(mode, work) {
      await sql.unsafe(`begin ${mode}`);
      try {
        const value = await work(sql);
        await sql.unsafe("commit");
        return value;
      } catch (error) {
        await sql.unsafe("rollback").catch(() => {});
        throw error;
      }
    },
    // Session-level, so it can be taken before BEGIN (a repeatable-read snapshot is taken by the
    // first statement, which must not be the one that waits) and let go inside the transaction.
    async lockSourceWrites() {
      await sql`select pg_advisory_lock(hashtext(${SOURCE_WRITES_LOCK}))`;
      let held = true;
      return async () => {
        if (!held) return;
        await sql`select pg_advisory_unlock(hashtext(${SOURCE_WRITES_LOCK}))`;
        held = false;
      };
    },
  };
}
