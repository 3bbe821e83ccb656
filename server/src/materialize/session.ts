import type { Sql } from "../db/database";

/** Where a run's statements go, and how it opens a transaction there. */
export type Session = { sql: Sql; transaction<T>(mode: string, work: (tx: Sql) => Promise<T>): Promise<T> };

export function poolSession(sql: Sql): Session {
  return {
    sql,
    transaction: (mode, work) => sql.begin(mode, (tx) => work(tx as unknown as Sql)) as Promise<never>,
  };
}

/** postgres.js offers sql.begin only on a pool: on a reserved connection, BEGIN/COMMIT by hand. */
export function reservedSession(sql: Sql): Session {
  return {
    sql,
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
  };
}
