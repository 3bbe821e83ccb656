import type postgres from "postgres";
import type { Sql } from "./database";

/** Whether `sql` reaches PGlite over the wire (a test stack's shared PGlite), which takes no COPY FROM STDIN. */
export async function isPgliteOverWire(sql: Sql | postgres.TransactionSql): Promise<boolean> {
  const [server] = await sql<{ pglite: boolean }[]>`select version() like '%(PGlite%' as pglite`;
  return server?.pglite === true;
}
