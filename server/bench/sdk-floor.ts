import { createServer } from "node:http";

/**
 * The machine's floor for the SDK bench: Node answering every request with one finished lookup
 * response (status, headers and body captured from rapfs) from memory, echoing the request id as
 * rapfs does. Against it, what a client adds per request is not hidden behind the server's work.
 */
const captured = JSON.parse(process.env.RAPFS_BENCH_FLOOR_RESPONSE ?? "") as {
  status: number;
  headers: Record<string, string>;
  body: string;
};
const body = Buffer.from(captured.body);
const server = createServer((req, res) => {
  const sent = req.headers["x-request-id"];
  res.writeHead(captured.status, {
    ...captured.headers,
    "content-length": String(body.byteLength),
    "x-request-id": typeof sent === "string" ? sent : "floor",
  });
  res.end(body);
});
server.listen(0, "127.0.0.1", () => {
  const address = server.address();
  const port = typeof address === "object" && address ? address.port : 0;
  process.stdout.write(`${JSON.stringify({ url: `http://127.0.0.1:${port}` })}\n`);
});
