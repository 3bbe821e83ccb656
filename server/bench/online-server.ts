/**
 * The online benchmark's server process: the real rapfs server (startServer, configured by the
 * environment the parent passes) and, in the same process, the bare Hono baselines. Prints one
 * JSON line with both URLs once the data is ready.
 */
import { serve } from "@hono/node-server";
import { Hono } from "hono";
import { Redis } from "ioredis";
import { startServer } from "../src/runtime/start-server";
import { bareKeys } from "./online-keys";

const prefix = process.env.BENCH_PREFIX ?? "rapfs-bench";
const running = await startServer({ keyPrefix: prefix, handleSignals: false });
await running.prepared;
// Searches are measured from memory, as the embedded mode serves them once the vectors are loaded.
await running.services.serving.embeddings.warm();
const { sql } = running.services;
const redis = new Redis(process.env.REDIS_URL ?? "redis://127.0.0.1:6379");

const keys = bareKeys(prefix);

const json = { "content-type": "application/json" };
const bare = new Hono();
// The same payload as the feature route, stored whole: one GET and nothing else.
bare.get("/one", async (c) => c.body((await redis.get(keys.one)) ?? "{}", 200, json));
// The same rows, one key per id, read with one pipeline of GETs and concatenated.
bare.post("/batch", async (c) => {
  const { ids } = (await c.req.json()) as { ids: number[] };
  const pipeline = redis.pipeline();
  for (const id of ids) pipeline.get(keys.row(id));
  const rows = ((await pipeline.exec()) ?? []).map(([, text]) => text as string);
  return c.body(`{"rows":[${rows.join(",")}]}`, 200, json);
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

const bareServer = serve({ fetch: bare.fetch, port: 0, hostname: "127.0.0.1" });
await new Promise<void>((resolve) => bareServer.once("listening", () => resolve()));
const address = bareServer.address();
const barePort = typeof address === "object" && address ? address.port : 0;
process.stdout.write(`${JSON.stringify({ url: running.url, bare: `http://127.0.0.1:${barePort}` })}\n`);

process.once("SIGTERM", async () => {
  bareServer.close();
  redis.disconnect();
  await running.shutdown("benchmark done");
  process.exit(0);
});
