/**
 * The online benchmark's server process: the real rapfs server (startServer, configured by the
 * environment the parent passes) and, in the same process, the bare Hono baselines. Prints one
 * JSON line with the URLs once the data is ready (`app`: the real server's app without its lanes;
 * `floor`: Node's http answering the finished response from memory).
 */
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { getRequestListener, serve } from "@hono/node-server";
import { Hono } from "hono";
import { Redis } from "ioredis";
import { serverTimeouts, startServer } from "../src/runtime/start-server";
import { bareKeys, featuresJson } from "./online-keys";

const prefix = process.env.BENCH_PREFIX ?? "rapfs-bench";
const running = await startServer({ keyPrefix: prefix, handleSignals: false });
await running.prepared;
// Measured as it serves from then on, not while it builds what it builds after /ready.
await running.warmed;
// Searches are measured from memory, as the embedded mode serves them once the vectors are loaded.
await running.services.serving.embeddings.warm();
const { sql } = running.services;
const redis = new Redis(process.env.REDIS_URL ?? "redis://127.0.0.1:6379");

const keys = bareKeys(prefix);

const json = { "content-type": "application/json" };
const bare = new Hono();
// The brief's baseline: the same payload built from one HGETALL of the 50 values.
bare.get("/one-hash/:entity/:id", async (c) => {
  const fields = await redis.hgetall(keys.oneHash);
  const { entity, id } = c.req.param();
  return c.body(
    `{"entity":${JSON.stringify(entity)},"id":${Number(id)},"features":${featuresJson(fields)}}`,
    200,
    json,
  );
});
// A stricter one: the same payload stored whole, one GET and nothing else.
bare.get("/one", async (c) => c.body((await redis.get(keys.one)) ?? "{}", 200, json));
// The same rows, one hash per id, read with one pipeline of HGETALLs.
bare.post("/batch", async (c) => {
  const { entity, ids, features } = (await c.req.json()) as {
    entity: string;
    ids: number[];
    features: string[];
  };
  const pipeline = redis.pipeline();
  for (const id of ids) pipeline.hgetall(keys.rowHash(id));
  const rows = ((await pipeline.exec()) ?? []).map(
    ([, fields], i) => `{"id":${ids[i]},"features":${featuresJson(fields as Record<string, string>)}}`,
  );
  const head = JSON.stringify({ entity, features, format: "rows" });
  return c.body(`${head.slice(0, -1)},"rows":[${rows.join(",")}]}`, 200, json);
});
// The exact scan, as a client with SQL access would write it.
bare.post("/search", async (c) => {
  const { vector, k } = (await c.req.json()) as { vector: number[]; k: number };
  const neighbors = await sql<{ id: number; distance: number }[]>`
    select id, lyrics_embedding <=> ${`[${vector.join(",")}]`}::vector as distance
    from tracks where lyrics_embedding is not null
    order by 2, 1 limit ${k}`;
  return c.json({ neighbors });
});

async function finishedResponse(): Promise<{ body: Buffer; headers: string[] }> {
  const body = (await redis.getBuffer(keys.one)) ?? Buffer.from("{}");
  const sent = JSON.parse((await redis.get(keys.oneHeaders)) ?? "[]") as [string, string][];
  return { body, headers: [...sent.flat(), "content-length", String(body.length)] };
}

const listening = async (server: Server) => {
  await new Promise<void>((resolve) => server.once("listening", () => resolve()));
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
};
const bareServer = serve({ fetch: bare.fetch, port: 0, hostname: "127.0.0.1" }) as Server;
const bareUrl = await listening(bareServer);
// The floor of this machine: Node's http answering the finished response from memory, no work:
// rapfs's body and headers as it sent them for the lookup, kept as bytes.
let finished: { body: Buffer; headers: string[] } | undefined;
const floorServer = createServer(serverTimeouts, async (_req, res) => {
  finished ??= await finishedResponse();
  res.writeHead(200, finished.headers);
  res.end(finished.body);
}).listen(0, "127.0.0.1");
const floorUrl = await listening(floorServer);
// The same server's app without the lanes in front (what RAPFS_LOOKUP_LANE=off serves).
const appServer = createServer(serverTimeouts, getRequestListener(running.app.fetch)).listen(0, "127.0.0.1");
const appUrl = await listening(appServer);
process.stdout.write(
  `${JSON.stringify({ url: running.url, bare: bareUrl, app: appUrl, floor: floorUrl })}\n`,
);

process.once("SIGTERM", async () => {
  bareServer.close();
  appServer.close();
  floorServer.close();
  redis.disconnect();
  await running.shutdown("benchmark done");
  process.exit(0);
});
