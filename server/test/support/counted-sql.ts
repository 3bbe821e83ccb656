import postgres from "postgres";
import type { Sql } from "../../src/db/database";

/**
 * A client of one connection to `sql`'s database that tells `sent` the text of every statement
 * it sends: what a test counts to bound the statements a piece of work costs.
 */
export function countingClient(sql: Sql, sent: (statement: string) => void): Sql {
  const { host, port, user, database } = sql.options;
  return postgres({
    host: host[0],
    port: port[0],
    user,
    database,
    max: 1,
    onnotice: () => {},
    debug: (_connection, query) => sent(query),
  }) as unknown as Sql;
}
