import type { Readable } from "node:stream";
import type { Sql } from "../../db/database";

/**
 * `COPY … TO STDOUT` as a Readable. postgres.js pauses its socket when the stream's buffer is
 * full; if CopyDone arrives in the same socket read, nothing resumes it, and the connection's next
 * statement (here: the snapshot's COMMIT) waits forever (porsager/postgres#499, fix proposed in
 * PR #1016). The stream's own read hook is what resumes the socket, so it is called once more
 * when the stream closes.
 */
export async function copyOut(sql: Sql, statement: string): Promise<Readable> {
  const readable = (await sql.unsafe(statement).readable()) as unknown as Readable;
  readable.once("close", () => readable._read(0));
  return readable;
}
