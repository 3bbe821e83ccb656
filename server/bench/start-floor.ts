import { createServer } from "node:http";
import { startEmbeddedPostgres } from "../src/db/embedded";

/**
 * The floor under a restart: a Node process that opens the same PGlite data directory and answers
 * HTTP, doing nothing else.
 */
const embedded = await startEmbeddedPostgres(`${process.env.RAPFS_DATA_DIR}`);
const server = createServer((_req, res) => res.end("ok")).listen(Number(process.env.PORT), "127.0.0.1");
process.once("SIGTERM", () => {
  server.close();
  void embedded.stop().then(() => process.exit(0));
});
