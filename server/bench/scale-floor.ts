/**
 * The machine's floor for the scale bench: a Node process answering the finished response (a
 * lookup's body, passed in BENCH_FLOOR_BODY) from memory, doing nothing else. Prints its URL.
 */
import { createServer } from "node:http";
import type { AddressInfo } from "node:net";

const body = process.env.BENCH_FLOOR_BODY ?? "{}";
const server = createServer((_req, res) => {
  res.writeHead(200, { "content-type": "application/json", "content-length": Buffer.byteLength(body) });
  res.end(body);
}).listen(0, "127.0.0.1", () => {
  process.stdout.write(
    `${JSON.stringify({ url: `http://127.0.0.1:${(server.address() as AddressInfo).port}` })}\n`,
  );
});
process.once("SIGTERM", () => server.close(() => process.exit(0)));
