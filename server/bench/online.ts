import { type ChildProcess, spawn } from "node:child_process";
import { randomBytes } from "node:crypto";
import { join } from "node:path";
import { createInterface } from "node:readline";
import { fileURLToPath } from "node:url";
import { Redis } from "ioredis";
import { generateKey } from "../src/access/keys";
import { repoRoot } from "../src/config/paths";
import { type LoadOptions, type LoadResult, load } from "./load";
import { bareKeys } from "./online-keys";
import type { BenchRow } from "./types";

const SCALE = Number(process.env.RAPFS_BENCH_ONLINE_SCALE ?? 1);
const SECONDS = Number(process.env.RAPFS_BENCH_SECONDS ?? 10);
const CONNECTIONS = 10;
const REDIS_URL = process.env.REDIS_URL ?? "redis://127.0.0.1:6379";
const SERVER_ENTRY = fileURLToPath(new URL("./online-server.ts", import.meta.url));

type Urls = { url: string; bare: string };
type Measured = { real: LoadResult; bare: LoadResult };
type Side = Omit<LoadOptions, "seconds" | "connections">;

/** The server child: the real server over a persistent embedded data dir, plus the bare handlers. */
async function startChild(prefix: string, adminKey: string): Promise<{ child: ChildProcess; urls: Urls }> {
  const dataDir = join(repoRoot, ".rapfs-bench", `online-scale-${SCALE}`);
  process.stderr.write(`online bench: server over ${dataDir} (generated on first use; minutes at scale 1)\n`);
  const child = spawn(process.execPath, ["--import", "tsx", SERVER_ENTRY], {
    cwd: repoRoot,
    env: {
      ...process.env,
      RAPFS_DATA_DIR: dataDir,
      RAPFS_CORPUS_SCALE: String(SCALE),
      REDIS_URL,
      HOST: "127.0.0.1",
      PORT: "0",
      LOG_LEVEL: "warn",
      RAPFS_ADMIN_KEY: adminKey,
      // Quotas are checked on every request (Redis limiter), but set high enough never to refuse.
      RAPFS_TIERS: JSON.stringify({ free: { requests: 1e12, rows: 1e12 } }),
      BENCH_PREFIX: prefix,
    },
    stdio: ["ignore", "pipe", "inherit"],
  });
  const urls = await new Promise<Urls>((resolve, reject) => {
    child.once("exit", (code) => reject(new Error(`benchmark server exited with ${code}`)));
    createInterface({ input: child.stdout as NodeJS.ReadableStream }).once("line", (line) =>
      resolve(JSON.parse(line)),
    );
  });
  return { child, urls };
}

async function stopChild(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null) return;
  const exited = new Promise((resolve) => child.once("exit", resolve));
  child.kill("SIGTERM");
  await exited;
}

async function api<T>(url: string, headers: Record<string, string>, body?: unknown): Promise<T> {
  const res = await fetch(url, {
    method: body === undefined ? "GET" : "POST",
    headers: { ...headers, ...(body === undefined ? {} : { "content-type": "application/json" }) },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });
  if (!res.ok) throw new Error(`${url}: ${res.status} ${await res.text()}`);
  return (await res.json()) as T;
}

/** Warm-up, then the baseline and the workload, each for SECONDS at CONNECTIONS. */
async function measure(workload: Side, baseline: Side): Promise<Measured> {
  const run = async (side: Side, seconds: number) => {
    const result = await load({ ...side, seconds, connections: CONNECTIONS });
    // Requests still queued when the load stops (the embedded database serves one query at a
    // time) would otherwise be measured as the next run's latency: one more request waits them out.
    await fetch(side.url, {
      method: side.method ?? "GET",
      headers: { ...side.headers, ...(side.body ? { "content-type": "application/json" } : {}) },
      ...(side.body ? { body: side.body } : {}),
    }).then((res) => res.arrayBuffer());
    return result;
  };
  await run(baseline, 2);
  await run(workload, 2);
  const bare = await run(baseline, SECONDS);
  const real = await run(workload, SECONDS);
  for (const [side, r] of [
    ["baseline", bare],
    ["rapfs", real],
  ] as const) {
    const figures = `${r.rps.toFixed(0)} req/s, p50 ${r.p50.toFixed(2)} ms, p99 ${r.p99.toFixed(2)} ms, ${r.failures} failed`;
    process.stderr.write(`  ${side} ${new URL(workload.url).pathname}: ${figures}\n`);
  }
  return { real, bare };
}

type Rows = { rows: { id: number; features: Record<string, { status: string }> }[] };
type Neighbors = { neighbors: { id: number }[] };

/**
 * One track × 50 features and a batch of 100 tracks × 50 features against bare Hono handlers
 * reading the same payloads from Redis, and top-10 lyrics search against the bare exact scan,
 * with the real server in a child process and autocannon load from this one.
 */
export async function benchOnline(): Promise<BenchRow[]> {
  const prefix = `rapfs-bench-${randomBytes(4).toString("hex")}`;
  const adminKey = generateKey().key;
  const redis = new Redis(REDIS_URL);
  const { child, urls } = await startChild(prefix, adminKey);
  try {
    // A self-service key of the free tier: every request is authenticated and quota-checked.
    const signup = await api<{ key: { key: string } }>(
      `${urls.url}/v1/signup`,
      {},
      {
        email: `${prefix}@bench.example`,
      },
    );
    const auth = { authorization: `Bearer ${signup.key.key}` };
    const service = await api<{ features: string[] }>(`${urls.url}/v1/registry/services/hit_predictor`, auth);
    const features = [...service.features, "qwen_analysis@2:mood", "qwen_analysis@2:sentiment"].slice(0, 50);
    // Tracks with a row in every view read, so no request needs Postgres for a not-found row.
    const probe = await api<Rows>(`${urls.url}/v1/features/track/batch`, auth, {
      ids: Array.from({ length: 1_000 }, (_, i) => i + 1),
      features,
    });
    const complete = probe.rows.filter((r) =>
      Object.values(r.features).every((v) => v.status !== "not_found"),
    );
    const ids = complete.slice(0, 100).map((r) => r.id);
    const one = ids[0] as number;
    const keys = bareKeys(prefix);

    const onePath = `/v1/features/track/${one}?features=${features.join(",")}`;
    await redis.set(keys.one, JSON.stringify(await api(`${urls.url}${onePath}`, auth)));
    const single = await measure(
      { url: `${urls.url}${onePath}`, headers: auth },
      { url: `${urls.bare}/one` },
    );

    const batchBody = JSON.stringify({ ids, features });
    const batchRows = await api<Rows>(`${urls.url}/v1/features/track/batch`, auth, JSON.parse(batchBody));
    for (const row of batchRows.rows) await redis.set(keys.row(row.id), JSON.stringify(row));
    const batch = await measure(
      { url: `${urls.url}/v1/features/track/batch`, method: "POST", headers: auth, body: batchBody },
      { url: `${urls.bare}/batch`, method: "POST", body: JSON.stringify({ ids }) },
    );

    const vectors = await api<{ items: { vector: number[] | null }[] }>(
      `${urls.url}/v1/embeddings/lyrics/batch`,
      auth,
      {
        ids: Array.from({ length: 60 }, (_, i) => 1 + i * 97),
      },
    );
    const queries = vectors.items.flatMap((i) =>
      i.vector ? [i.vector.map((x, d) => x + ((d % 5) - 2) * 1e-3)] : [],
    );
    const searchBody = JSON.stringify({ vector: queries[0], k: 10 });
    const search = await measure(
      { url: `${urls.url}/v1/embeddings/lyrics/search`, method: "POST", headers: auth, body: searchBody },
      { url: `${urls.bare}/search`, method: "POST", body: searchBody },
    );
    let overlap = 0;
    for (const vector of queries.slice(0, 50)) {
      const got = await api<Neighbors>(`${urls.url}/v1/embeddings/lyrics/search`, auth, { vector, k: 10 });
      const exact = await api<Neighbors>(`${urls.bare}/search`, {}, { vector, k: 10 });
      const found = new Set(got.neighbors.map((n) => n.id));
      overlap += exact.neighbors.filter((n) => found.has(n.id)).length / 10;
    }
    const recall = overlap / Math.min(50, queries.length);
    return rows({ single, batch, search, recall, tracks: complete.length });
  } finally {
    await stopChild(child);
    // The run's rows leave the shared Redis as they found it.
    let cursor = "0";
    do {
      const [next, found] = await redis.scan(cursor, "MATCH", `${prefix}:*`, "COUNT", 1_000);
      cursor = next;
      if (found.length > 0) await redis.unlink(...found);
    } while (cursor !== "0");
    redis.disconnect();
  }
}

function failures(r: Measured): string {
  const f = r.real.failures + r.bare.failures;
  return f === 0 ? "" : `; ${r.real.failures} failed or timed-out requests (baseline ${r.bare.failures})`;
}

function rows(m: {
  single: Measured;
  batch: Measured;
  search: Measured;
  recall: number;
  tracks: number;
}): BenchRow[] {
  const setup = `scale ${SCALE} embedded PGlite + Redis, ${CONNECTIONS} connections × ${SECONDS} s, server in a child process`;
  const p99 = (name: string, baseline: string, r: Measured, limit: number, extra = ""): BenchRow => ({
    workload: `${name}: p99`,
    baseline,
    value: r.real.p99,
    baselineValue: r.bare.p99,
    unit: "ms",
    ratio: r.real.p99 / r.bare.p99,
    target: `p99 ≤ ${limit} ms`,
    met: r.real.p99 <= limit,
    notes:
      `${setup}; p50 ${r.real.p50.toFixed(2)} ms (baseline ${r.bare.p50.toFixed(2)} ms); ` +
      `${r.real.rps.toFixed(0)} req/s (baseline ${r.bare.rps.toFixed(0)})${failures(r)}${extra}`,
  });
  const throughput = (name: string, baseline: string, r: Measured, target?: number): BenchRow => ({
    workload: `${name}: throughput`,
    baseline,
    value: r.real.rps,
    baselineValue: r.bare.rps,
    unit: "req/s",
    ratio: r.real.rps / r.bare.rps,
    target: target === undefined ? "(reported)" : `≥ ${target}× baseline`,
    met: target === undefined ? true : r.real.rps / r.bare.rps >= target,
  });
  const one = "bare Hono + 1 Redis GET of the same payload";
  const hundred = "bare Hono + 100 Redis GETs pipelined";
  const scan = "bare Hono + the exact SQL scan";
  return [
    throughput("1 track × 50 features", one, m.single, 0.5),
    p99(
      "1 track × 50 features",
      one,
      m.single,
      2,
      "; a free-tier key, request and row quotas checked in Redis on every request",
    ),
    throughput("100 tracks × 50 features", hundred, m.batch),
    p99("100 tracks × 50 features", hundred, m.batch, 5),
    throughput("top-10 lyrics search", scan, m.search),
    p99("top-10 lyrics search", scan, m.search, 10),
    {
      workload: "top-10 lyrics search: recall@10",
      baseline: "exact SQL scan",
      value: m.recall,
      baselineValue: 1,
      unit: "recall",
      ratio: m.recall,
      target: "= 1.0 (exact)",
      met: m.recall === 1,
    },
  ];
}
