import { execFile } from "node:child_process";
import { readFileSync } from "node:fs";
import { loadavg } from "node:os";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import calculateSlot from "cluster-key-slot";
import { Redis } from "ioredis";
import { generateKey } from "../src/access/api-key-format";
import type { Sql } from "../src/db/database";
import { ROW_SHARDS } from "../src/online/redis-keys";
import { eventually, type ServerProcess, startServerProcess } from "../test/access-http/processes";
import { type LocalCluster, startRedisCluster } from "../test/cluster/redis-cluster";
import { startBenchServer, stopBenchServer } from "./child";
import { alternate, type Measured, type Side } from "./load";

const run = promisify(execFile);
const SECONDS = Number(process.env.RAPFS_BENCH_SECONDS ?? 5);
const ROUNDS = Number(process.env.RAPFS_BENCH_ROUNDS ?? 3);
const PROCESSES = 2;
const BATCH = 100;
const FLOOR_ENTRY = fileURLToPath(new URL("./scale-floor.ts", import.meta.url));

export type MasterMemory = { port: number; usedBytes: number; keys: number; viewsHeld: number };

/** What the server processes measured at one scale (single and batch: one entry per process). */
export type ServerFigures = {
  readyMs: number[];
  single: Measured[];
  batch: Measured[];
  floor: Measured;
  rssBytes: number[];
  masters: MasterMemory[];
  views: string[];
  /** Views with no row on some master (none, when every view is spread over the Cluster). */
  missing: string[];
  /** The machine's 1-minute load average before and after the load: latencies on shared cores follow it. */
  loadAverage: [number, number];
};

function rssBytes(pid: number | undefined): number {
  if (pid === undefined) return Number.NaN;
  const line = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, "utf8"));
  return line ? Number(line[1]) * 1024 : Number.NaN;
}

async function redisCli(port: number, ...args: string[]): Promise<string> {
  return (await run("redis-cli", ["-p", String(port), ...args])).stdout;
}

const usedMemory = async (port: number) =>
  Number(/used_memory:(\d+)/.exec(await redisCli(port, "info", "memory"))?.[1] ?? Number.NaN);

/** Which master serves each slot, from CLUSTER SLOTS. */
async function slotOwners(port: number): Promise<(slot: number) => number> {
  const client = new Redis(port, "127.0.0.1", { lazyConnect: true });
  try {
    await client.connect();
    const ranges = (await client.cluster("SLOTS")).map(([from, to, master]) => ({
      from,
      to,
      port: master?.[1] ?? -1,
    }));
    return (slot) => ranges.find((r) => slot >= r.from && slot <= r.to)?.port ?? -1;
  } finally {
    client.disconnect();
  }
}

/** Every view version's keys per master, counted slot by slot (its 64 shard slots). */
async function viewsPerMaster(ports: number[], views: string[]) {
  const owner = await slotOwners(ports[0] as number);
  const held = new Map<number, Set<string>>(ports.map((p) => [p, new Set()]));
  for (const view of views) {
    for (let shard = 0; shard < ROW_SHARDS; shard++) {
      const slot = calculateSlot(`${view}~${shard}`);
      const port = owner(slot);
      const count = Number(await redisCli(port, "cluster", "countkeysinslot", String(slot)));
      if (count > 0) held.get(port)?.add(view);
    }
  }
  return held;
}

async function api<T>(url: string, key: string | undefined, body?: unknown): Promise<T> {
  const res = await fetch(url, {
    method: body === undefined ? "GET" : "POST",
    headers: {
      ...(key ? { authorization: `Bearer ${key}` } : {}),
      ...(body === undefined ? {} : { "content-type": "application/json" }),
    },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });
  if (!res.ok) throw new Error(`${url}: ${res.status} ${await res.text()}`);
  return (await res.json()) as T;
}

/** Deterministic ids over the whole corpus (mulberry32), so both scales draw alike. */
function randomIds(tracks: number, seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return 1 + Math.floor((((t ^ (t >>> 14)) >>> 0) / 4_294_967_296) * tracks);
  };
}

async function waitServing(server: ServerProcess): Promise<void> {
  await eventually(
    async () => {
      const res = await fetch(`${server.url}/ready`);
      if (res.status !== 200) throw new Error(`${server.name} not ready: ${await res.text()}`);
    },
    3_600_000,
    500,
  );
}

/** One scale's fleet: its Redis Cluster and its server processes, with what a lookup asks of them. */
export type Fleet = {
  scale: number;
  cluster: LocalCluster;
  servers: ServerProcess[];
  readyMs: number[];
  memoryBefore: number[];
  singles: Side[];
  batches: Side[];
  finished: string;
};

/**
 * A 3-master Redis Cluster on loopback and PROCESSES `rapfs start` processes on the scale's
 * database, ready, with a key and the sides a load sends: one track × 50 features and batches of
 * 100 tracks, ids random over the whole corpus (so the near cache holds the share of it it would
 * in production).
 */
export async function startFleet(databaseUrl: string, scale: number, tracks: number): Promise<Fleet> {
  const cluster = await startRedisCluster();
  const servers: ServerProcess[] = [];
  try {
    const memoryBefore = await Promise.all(cluster.ports.map(usedMemory));
    const env = {
      DATABASE_URL: databaseUrl,
      REDIS_URL: cluster.url,
      RAPFS_CORPUS_SCALE: String(scale),
      RAPFS_ADMIN_KEY: generateKey().key,
      RAPFS_TIERS: JSON.stringify({ free: { requests: 1e12, rows: 1e12 } }),
      LOG_LEVEL: "info",
    };
    const readyMs: number[] = [];
    for (let i = 0; i < PROCESSES; i++) {
      const started = performance.now();
      const server = await startServerProcess(`scale-${scale}-${i}`, env);
      servers.push(server);
      await waitServing(server);
      readyMs.push(performance.now() - started);
      process.stderr.write(
        `scale bench: scale ${scale}: ${server.name} ready in ${readyMs.at(-1)?.toFixed(0)} ms\n`,
      );
    }
    const [first] = servers as [ServerProcess];
    const signup = await api<{ key: { key: string } }>(`${first.url}/v1/signup`, undefined, {
      email: `scale-${scale}-${Date.now()}@bench.example`,
    });
    const key = signup.key.key;
    const auth = { authorization: `Bearer ${key}` };
    const service = await api<{ features: string[] }>(`${first.url}/v1/registry/services/hit_predictor`, key);
    const features = [...service.features, "qwen_analysis@2:mood", "qwen_analysis@2:sentiment"].slice(0, 50);
    const single = randomIds(tracks, 7);
    const batchIds = randomIds(tracks, 11);
    const lookup = (id: number) => `/v1/features/track/${id}?features=${features.join(",")}`;
    const batchBody = () => JSON.stringify({ ids: Array.from({ length: BATCH }, batchIds), features });
    const finished = await (await fetch(`${first.url}${lookup(1)}`, { headers: auth })).text();
    return {
      scale,
      cluster,
      servers,
      readyMs,
      memoryBefore,
      finished,
      singles: servers.map((server) => ({
        url: `${server.url}${lookup(1)}`,
        headers: auth,
        pid: server.pid,
        next: () => ({ path: lookup(single()) }),
      })),
      batches: servers.map((server) => ({
        url: `${server.url}/v1/features/track/batch`,
        method: "POST",
        headers: auth,
        body: batchBody(),
        pid: server.pid,
        next: () => ({ path: "/v1/features/track/batch", body: batchBody() }),
      })),
    };
  } catch (error) {
    for (const server of servers) await server.stop();
    await cluster.stop();
    throw error;
  }
}

export async function stopFleet(fleet: Fleet): Promise<void> {
  for (const server of fleet.servers) await server.stop();
  await fleet.cluster.stop();
}

/**
 * Both scales' lookups and batches in the same rounds, side after side (so a busy moment of the
 * shared machine lands on both scales alike), beside the machine's floor.
 */
export async function measureLoad(fleets: Fleet[]) {
  const floor = await startBenchServer<{ url: string }>(FLOOR_ENTRY, {
    ...process.env,
    BENCH_FLOOR_BODY: fleets[0]?.finished ?? "{}",
  });
  try {
    const at = { rounds: ROUNDS, seconds: SECONDS, connections: 10 };
    const loadBefore = loadavg()[0] ?? Number.NaN;
    process.stderr.write(`scale bench: lookups at scales ${fleets.map((f) => f.scale).join(" and ")}\n`);
    const singles = await alternate(
      [...fleets.flatMap((f) => f.singles), { url: floor.ready.url, pid: floor.child.pid }],
      at,
    );
    process.stderr.write("scale bench: batches\n");
    const batches = await alternate(
      fleets.flatMap((f) => f.batches),
      at,
    );
    const loadAverage: [number, number] = [loadBefore, loadavg()[0] ?? Number.NaN];
    return {
      floor: singles.at(-1) as Measured,
      loadAverage,
      single: fleets.map((_, i) => singles.slice(i * PROCESSES, (i + 1) * PROCESSES)),
      batch: fleets.map((_, i) => batches.slice(i * PROCESSES, (i + 1) * PROCESSES)),
    };
  } finally {
    await stopBenchServer(floor.child);
  }
}

/** Each master's memory and the views it holds rows of, and each process's RSS, after the load. */
export async function fleetMemory(sql: Sql, fleet: Fleet) {
  const views = (
    await sql<{ key: string }[]>`select name || '@' || version as key from rapfs_feature_views order by 1`
  ).map((v) => v.key);
  const { ports } = fleet.cluster;
  const held = await viewsPerMaster(ports, views);
  const masters: MasterMemory[] = [];
  for (const [i, port] of ports.entries()) {
    masters.push({
      port,
      usedBytes: (await usedMemory(port)) - (fleet.memoryBefore[i] ?? 0),
      keys: Number(await redisCli(port, "dbsize")),
      viewsHeld: held.get(port)?.size ?? 0,
    });
  }
  return {
    readyMs: fleet.readyMs,
    rssBytes: fleet.servers.map((s) => rssBytes(s.pid)),
    masters,
    views,
    missing: views.filter((v) => ports.some((p) => !held.get(p)?.has(v))),
  };
}
